//! Sending mail: SMTP with a connection pool when `SMTP_URL` is set, otherwise `.eml` files in the data directory.
//!
//! Both sit behind the `Mailer` trait. Every message carries a stable Message-ID chosen by the caller, so a message
//! sent twice is recognisably the same message; the file mailer even writes it to the same file.

use std::path::PathBuf;

use async_trait::async_trait;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

use crate::email::smtp_pool::{Failure, SmtpPool, SmtpServer};

use crate::config::Config;

/// A message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Without angle brackets, such as `birthday-42-2027-03-01@planner.example`.
    pub message_id: String,
    pub to: String,
    /// Shown as the sender's name next to the configured sender address.
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: a 4xx reply, or the server could not be reached.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Will never succeed as it is: a 5xx reply, or an address that cannot be used.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Something that delivers email.
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), SendError>;

    /// Whether the mail server can be reached, for `planner check`.
    async fn check(&self) -> Result<(), String>;

    /// Where mail goes, for logs and `planner check`; never includes credentials.
    fn describe(&self) -> String;
}

/// Builds the configured mailer.
///
/// # Errors
/// When `SMTP_URL` cannot be used.
pub fn from_config(config: &Config) -> anyhow::Result<std::sync::Arc<dyn Mailer>> {
    let from: Mailbox = config
        .mail_from
        .parse()
        .map_err(|e| anyhow::anyhow!("MAIL_FROM: {e}"))?;
    Ok(match &config.smtp_url {
        Some(url) => std::sync::Arc::new(SmtpMailer::new(url.expose(), from)?),
        None => std::sync::Arc::new(FileMailer {
            dir: config.data_dir.join("outbox"),
            from,
        }),
    })
}

fn build_message(from: &Mailbox, email: &OutgoingEmail) -> Result<Message, SendError> {
    let invalid = |what: &str, e: &dyn std::fmt::Display| SendError::Permanent(format!("{what}: {e}"));
    let to: Mailbox = email.to.parse().map_err(|e| invalid("recipient", &e))?;
    let from = Mailbox::new(
        email.from_name.clone().or_else(|| from.name.clone()),
        from.email.clone(),
    );
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.replace(['\r', '\n'], " "))
        .message_id(Some(format!("<{}>", email.message_id)));
    if let Some(reply_to) = &email.reply_to {
        builder = builder.reply_to(reply_to.parse().map_err(|e| invalid("reply-to", &e))?);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| invalid("message", &e))
}

/// SMTP through a pool of connections.
pub struct SmtpMailer {
    pool: SmtpPool,
    from: Mailbox,
    description: String,
}

impl SmtpMailer {
    /// # Errors
    /// When the URL is not an SMTP URL lettre understands.
    pub fn new(url: &str, from: Mailbox) -> anyhow::Result<Self> {
        let server =
            SmtpServer::from_url(&with_starttls_for_credentials(url)).map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?;
        let description = url::Url::parse(url)
            .map(|u| {
                format!(
                    "smtp server {}:{}",
                    u.host_str().unwrap_or("?"),
                    u.port().map_or_else(|| "default port".to_owned(), |p| p.to_string())
                )
            })
            .unwrap_or_else(|_| "smtp server".to_owned());
        Ok(Self {
            pool: SmtpPool::new(server),
            from,
            description,
        })
    }
}

/// The URL lettre is given: `smtp://user:password@host:587` with no `tls` option means STARTTLS required, so that a
/// password never crosses the network in clear text (lettre alone would talk plain SMTP). A loopback server, a URL
/// without credentials (such as Mailpit's) and an explicit `?tls=…` are left as written.
pub fn with_starttls_for_credentials(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let loopback = match parsed.host() {
        // `smtp` is not a scheme the URL standard knows, so an IP address comes back as a name.
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let has_tls_option = parsed.query_pairs().any(|(key, _)| key == "tls");
    if parsed.scheme() == "smtp" && !parsed.username().is_empty() && !loopback && !has_tls_option {
        parsed.query_pairs_mut().append_pair("tls", "required");
    }
    parsed.into()
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        let message = build_message(&self.from, email)?;
        match self.pool.send(message.envelope(), &message.formatted()).await {
            Ok(()) => Ok(()),
            // 530/534/535/538 are about our credentials, not the message: fixing the configuration makes them pass.
            Err(Failure::Smtp(e))
                if e.is_permanent()
                    && !e
                        .status()
                        .is_some_and(|code| ["530", "534", "535", "538"].contains(&code.to_string().as_str())) =>
            {
                Err(SendError::Permanent(e.to_string()))
            }
            // 4xx replies, refused connections, timeouts and TLS trouble may all pass.
            Err(failure) => Err(SendError::Transient(failure.to_string())),
        }
    }

    async fn check(&self) -> Result<(), String> {
        self.pool.check().await.map_err(|failure| failure.to_string())
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

/// Writes each message as `<Message-ID>.eml` in a directory: the embedded default needs no mail server.
pub struct FileMailer {
    pub dir: PathBuf,
    pub from: Mailbox,
}

impl FileMailer {
    /// The file a message is written to; the same message always goes to the same file.
    pub fn path_for(&self, message_id: &str) -> PathBuf {
        let safe: String = message_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{safe}.eml"))
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        let message = build_message(&self.from, email)?;
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| SendError::Transient(format!("creating the outbox: {e}")))?;
        let path = self.path_for(&email.message_id);
        let partial = path.with_extension("eml.partial");
        // Written aside and renamed, so a reader never sees half a message.
        tokio::fs::write(&partial, message.formatted())
            .await
            .map_err(|e| SendError::Transient(format!("writing {}: {e}", partial.display())))?;
        tokio::fs::rename(&partial, &path)
            .await
            .map_err(|e| SendError::Transient(format!("renaming {}: {e}", path.display())))?;
        tracing::info!(email.path = %path.display(), "email written to the outbox directory (no SMTP_URL set)");
        Ok(())
    }

    async fn check(&self) -> Result<(), String> {
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| format!("{}: {e}", self.dir.display()))
    }

    fn describe(&self) -> String {
        format!("files in {}", self.dir.display())
    }
}

#[cfg(test)]
mod tests {
    use super::with_starttls_for_credentials as tls;

    #[test]
    fn credentials_to_a_remote_server_require_starttls_unless_the_url_says_otherwise() {
        assert_eq!(
            tls("smtp://user:pass@mail.example.com:587"),
            "smtp://user:pass@mail.example.com:587?tls=required"
        );
        assert_eq!(
            tls("smtp://user:pass@mail.example.com:587?tls=opportunistic"),
            "smtp://user:pass@mail.example.com:587?tls=opportunistic"
        );
        assert_eq!(
            tls("smtps://user:pass@mail.example.com:465"),
            "smtps://user:pass@mail.example.com:465"
        );
        // No password to protect, or one that never leaves the machine: as written.
        assert_eq!(tls("smtp://mailpit:1025"), "smtp://mailpit:1025");
        assert_eq!(
            tls("smtp://user:pass@127.0.0.1:1025"),
            "smtp://user:pass@127.0.0.1:1025"
        );
        assert_eq!(
            tls("smtp://user:pass@localhost:1025"),
            "smtp://user:pass@localhost:1025"
        );
        assert_eq!(tls("smtp://user:pass@[::1]:1025"), "smtp://user:pass@[::1]:1025");
        assert_eq!(
            tls("smtp://user:pass@192.0.2.7:587"),
            "smtp://user:pass@192.0.2.7:587?tls=required"
        );
    }
}
