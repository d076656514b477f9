//! A pool of SMTP connections whose sockets send at once (TCP_NODELAY), with lettre's client speaking the protocol.
//!
//! lettre 0.11.23's own transport never turns Nagle's algorithm off. Its client writes a message's body and then the
//! five bytes that end it (`\r\n.\r\n`) as two writes, so the kernel holds the second until the server has
//! acknowledged the first, and a Linux server delays that acknowledgement by 40 ms: every message cost 40 ms on its
//! connection (23 messages a second per connection), whatever the server. lettre has fixed this upstream (pull
//! request 1159), not yet in a release. Here each plain or STARTTLS connection is opened with TCP_NODELAY and then
//! handed to lettre's client, which does the rest: greeting, EHLO, STARTTLS, AUTH, the envelope and the message.
//! `smtps://` (TLS from the first byte) is opened by lettre itself and keeps the old cost.
//!
//! At most [`MAX_CONNECTIONS`] are open at once (servers limit connections per client). An idle connection is checked
//! with NOOP before it is used again; one found idle for longer than [`IDLE_TIMEOUT`] is closed with QUIT instead.
//! Idle connections are kept newest on top, so after a burst the older ones stay open (at most that many) until the
//! pool reaches them, or until the server closes them.

use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::Semaphore;

/// Connections open at once: as many as a worker sends at once (`jobs::queue`).
pub const MAX_CONNECTIONS: usize = 32;
/// How long an unused connection may wait to be used again.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long connecting, or one exchange with the server, may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Where and how to connect, from `SMTP_URL`, read the way lettre reads it.
#[derive(Clone)]
pub struct SmtpServer {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    hello_name: ClientId,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No credentials here: they must never reach a log.
        f.debug_struct("SmtpServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl SmtpServer {
    /// `smtp://[user:password@]host[:port][/hello-name][?tls=required|opportunistic]` (port 25, or 587 with `tls`)
    /// or `smtps://…` (port 465).
    ///
    /// # Errors
    /// A URL that is not one of those.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(url).map_err(|e| anyhow::anyhow!("not a URL: {e}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls_option = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let parameters = || TlsParameters::new(host.clone()).map_err(|e| anyhow::anyhow!("TLS for {host}: {e}"));
        let (tls, default_port) = match (url.scheme(), tls_option.as_deref()) {
            ("smtp", None) => (Tls::None, 25),
            ("smtp", Some("required")) => (Tls::Required(parameters()?), 587),
            ("smtp", Some("opportunistic")) => (Tls::Opportunistic(parameters()?), 587),
            ("smtps", _) => (Tls::Wrapper(parameters()?), 465),
            (scheme, tls) => anyhow::bail!("unknown scheme `{scheme}` or tls option {tls:?}"),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(std::borrow::Cow::into_owned)
                .map_err(|_| anyhow::anyhow!("the user name or password is not UTF-8"))
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        let hello = url.path().trim_matches('/');
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            tls,
            credentials,
            hello_name: if hello.is_empty() {
                ClientId::default()
            } else {
                ClientId::Domain(hello.to_owned())
            },
            host,
        })
    }

    /// Opens and prepares a connection: TCP with TCP_NODELAY, greeting and EHLO, STARTTLS when asked for, AUTH when
    /// there are credentials.
    async fn open(&self) -> Result<AsyncSmtpConnection, Failure> {
        let mut connection = match &self.tls {
            Tls::Wrapper(parameters) => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(TIMEOUT),
                &self.hello_name,
                Some(parameters.clone()),
                None,
            )
            .await
            .map_err(Failure::Smtp)?,
            _ => {
                let socket = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(|e| Failure::Network(format!("connecting to {}:{}: {e}", self.host, self.port)))?;
                socket.set_nodelay(true).map_err(|e| Failure::Network(e.to_string()))?;
                AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello_name)
                    .await
                    .map_err(Failure::Smtp)?
            }
        };
        match &self.tls {
            Tls::Required(parameters) => connection
                .starttls(parameters.clone(), &self.hello_name)
                .await
                .map_err(Failure::Smtp)?,
            Tls::Opportunistic(parameters) if connection.can_starttls() => connection
                .starttls(parameters.clone(), &self.hello_name)
                .await
                .map_err(Failure::Smtp)?,
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(Failure::Smtp)?;
        }
        Ok(connection)
    }
}

/// Why a send or check did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// The server answered, or lettre's client gave up.
    Smtp(SmtpError),
    /// The server could not be reached, or did not answer in time.
    Network(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp(error) => error.fmt(f),
            Self::Network(reason) => f.write_str(reason),
        }
    }
}

/// Open connections, and the right to open more.
pub struct SmtpPool {
    server: SmtpServer,
    idle: std::sync::Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    slots: Semaphore,
}

impl SmtpPool {
    pub fn new(server: SmtpServer) -> Self {
        Self {
            server,
            idle: std::sync::Mutex::new(Vec::new()),
            slots: Semaphore::new(MAX_CONNECTIONS),
        }
    }

    /// Sends one message on a pooled connection (a new one when none is idle and usable).
    ///
    /// # Errors
    /// The server's refusal, or why it could not be reached.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), Failure> {
        let (_slot, mut connection) = self.connection().await?;
        match tokio::time::timeout(TIMEOUT, connection.send(envelope, message)).await {
            Ok(Ok(_)) => {
                self.park(connection);
                Ok(())
            }
            Ok(Err(error)) => {
                // A refused message leaves the connection usable; a broken one is dropped.
                if !connection.has_broken() {
                    self.park(connection);
                }
                Err(Failure::Smtp(error))
            }
            Err(_) => Err(self.no_answer()),
        }
    }

    /// Whether the server can be reached and answers NOOP.
    ///
    /// # Errors
    /// Why it could not, or did not.
    pub async fn check(&self) -> Result<(), Failure> {
        let (_slot, mut connection) = self.connection().await?;
        if tokio::time::timeout(TIMEOUT, connection.test_connected()).await == Ok(true) {
            self.park(connection);
            Ok(())
        } else {
            Err(Failure::Network("the server did not answer NOOP".to_owned()))
        }
    }

    /// A slot and a connection in it: an idle one that still works, or a new one.
    async fn connection(&self) -> Result<(tokio::sync::SemaphorePermit<'_>, AsyncSmtpConnection), Failure> {
        let slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| Failure::Network("the mail pool is closed".to_owned()))?;
        if let Some(connection) = self.reusable().await {
            return Ok((slot, connection));
        }
        let connection = tokio::time::timeout(TIMEOUT, self.server.open())
            .await
            .map_err(|_| self.no_answer())??;
        Ok((slot, connection))
    }

    fn no_answer(&self) -> Failure {
        Failure::Network(format!(
            "{}:{} did not answer in time",
            self.server.host, self.server.port
        ))
    }

    /// An idle connection that is still young enough and answers NOOP.
    async fn reusable(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut connection, since) = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop()?;
            if since.elapsed() > IDLE_TIMEOUT {
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(TIMEOUT, connection.quit()).await;
                });
                continue;
            }
            if tokio::time::timeout(TIMEOUT, connection.test_connected()).await == Ok(true) {
                return Some(connection);
            }
        }
    }

    fn park(&self, connection: AsyncSmtpConnection) {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((connection, Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(url: &str) -> SmtpServer {
        SmtpServer::from_url(url).unwrap()
    }

    #[test]
    fn urls_are_read_the_way_lettre_reads_them() {
        let plain = read("smtp://mailpit:1025");
        assert_eq!((plain.host.as_str(), plain.port), ("mailpit", 1025));
        assert!(matches!(plain.tls, Tls::None) && plain.credentials.is_none());
        assert_eq!(read("smtp://relay.example").port, 25);
        let starttls = read("smtp://user:pw@smtp.example?tls=required");
        assert_eq!(starttls.port, 587);
        assert!(matches!(starttls.tls, Tls::Required(_)) && starttls.credentials.is_some());
        assert!(matches!(
            read("smtp://smtp.example:2525?tls=opportunistic").tls,
            Tls::Opportunistic(_)
        ));
        let implicit = read("smtps://smtp.example");
        assert_eq!(implicit.port, 465);
        assert!(matches!(implicit.tls, Tls::Wrapper(_)));
        assert_eq!(read("smtp://[::1]:25").host, "::1");
        assert!(
            matches!(read("smtp://h/planner.example").hello_name, ClientId::Domain(ref d) if d == "planner.example")
        );
        for bad in [
            "http://smtp.example",
            "smtp://smtp.example?tls=sometimes",
            "smtp:no-host",
            "not a url",
        ] {
            assert!(SmtpServer::from_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let server = read("smtp://ann:hunter2@smtp.example?tls=required");
        let shown = format!("{server:?}");
        assert!(shown.contains("smtp.example") && !shown.contains("hunter2"), "{shown}");
    }
}
