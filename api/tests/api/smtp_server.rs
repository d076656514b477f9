//! A real SMTP server for the tests: it speaks the protocol on `127.0.0.1:0`, records every message it accepts, and
//! can be told to answer 451 (try later) or 550 (refused) to exercise retries and failures, or to fall silent, as a
//! server that hangs does, to catch senders in the middle of a message, or to go down and come back on its port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

/// How the server answers a recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Accept,
    TryLater,
    Refuse,
    /// Never answers a recipient: the sender waits until it gives up or dies.
    Silent,
}

/// A message as it arrived.
#[derive(Clone, Debug)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parseable message")
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    mode: Option<Mode>,
    refused: usize,
    silenced: usize,
    /// Down: the port is closed and open sessions end at their next command.
    down: bool,
    /// SMTP sessions opened so far.
    connections: usize,
    /// The user name and password of each AUTH PLAIN, decoded.
    logins: Vec<(String, String)>,
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let task = accept(listener, shared.clone());
        Self { addr, shared, task }
    }

    /// Goes down as a crashed server does: the port stops accepting and open connections are dropped.
    pub fn go_down(&mut self) {
        self.shared.lock().unwrap().down = true;
        self.task.abort();
    }

    /// Comes back on the same port.
    pub async fn come_back(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.shared.lock().unwrap().down = false;
        self.task = accept(listener, self.shared.clone());
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.lock().unwrap().mode = Some(mode);
    }

    /// SMTP sessions opened so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().unwrap().connections
    }

    /// The user name and password of each login, in order.
    pub fn logins(&self) -> Vec<(String, String)> {
        self.shared.lock().unwrap().logins.clone()
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// How many recipients were answered with 451 or 550.
    pub fn refused(&self) -> usize {
        self.shared.lock().unwrap().refused
    }

    /// How many senders are being kept waiting, or were, by [`Mode::Silent`].
    pub fn silenced(&self) -> usize {
        self.shared.lock().unwrap().silenced
    }

    /// Waits until `count` senders have been kept waiting (or fails after `seconds`).
    pub async fn wait_for_silenced(&self, count: usize, seconds: u64) -> usize {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        while self.silenced() < count && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.silenced()
    }

    /// Waits until `count` messages have arrived (or fails after `seconds`).
    pub async fn wait_for(&self, count: usize, seconds: u64) -> Vec<Received> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        loop {
            let received = self.received();
            if received.len() >= count || std::time::Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

fn accept(listener: TcpListener, shared: Arc<Mutex<Shared>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(session(stream, shared.clone()));
        }
    })
}

async fn session(stream: tokio::net::TcpStream, shared: Arc<Mutex<Shared>>) {
    shared.lock().unwrap().connections += 1;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let reply =
        async |write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str| write.write_all(text.as_bytes()).await.is_ok();
    if !reply(&mut write, "220 test-smtp ESMTP ready\r\n").await {
        return;
    }
    let mut current = Received {
        mail_from: String::new(),
        rcpt_to: vec![],
        data: vec![],
    };
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 || shared.lock().unwrap().down {
            return;
        }
        let command = line.trim_end().to_owned();
        let verb = command.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" => {
                "250-test-smtp\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH PLAIN\r\n250 PIPELINING\r\n".to_owned()
            }
            "AUTH" => {
                // `AUTH PLAIN <base64 of "\0user\0password">`, as lettre sends it.
                let decoded = command
                    .split(' ')
                    .nth(2)
                    .and_then(|b| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b).ok())
                    .unwrap_or_default();
                let parts: Vec<String> = decoded
                    .split(|b| *b == 0)
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect();
                match parts.as_slice() {
                    [_, user, password] => {
                        shared.lock().unwrap().logins.push((user.clone(), password.clone()));
                        "235 2.7.0 Authentication successful\r\n".to_owned()
                    }
                    _ => "501 5.5.2 Cannot decode\r\n".to_owned(),
                }
            }
            "HELO" | "NOOP" => "250 OK\r\n".to_owned(),
            "RSET" => {
                current = Received {
                    mail_from: String::new(),
                    rcpt_to: vec![],
                    data: vec![],
                };
                "250 OK\r\n".to_owned()
            }
            "MAIL" => {
                current.mail_from = command
                    .split_once(':')
                    .map(|(_, a)| a.trim().to_owned())
                    .unwrap_or_default();
                "250 OK\r\n".to_owned()
            }
            "RCPT" => {
                let mode = shared.lock().unwrap().mode.unwrap_or(Mode::Accept);
                match mode {
                    Mode::Accept => {
                        current.rcpt_to.push(
                            command
                                .split_once(':')
                                .map(|(_, a)| a.trim().to_owned())
                                .unwrap_or_default(),
                        );
                        "250 OK\r\n".to_owned()
                    }
                    Mode::TryLater => {
                        shared.lock().unwrap().refused += 1;
                        "451 4.3.0 Mailbox temporarily unavailable, try again later\r\n".to_owned()
                    }
                    Mode::Refuse => {
                        shared.lock().unwrap().refused += 1;
                        "550 5.1.1 No such user here\r\n".to_owned()
                    }
                    Mode::Silent => {
                        shared.lock().unwrap().silenced += 1;
                        // Hold the connection, answering nothing, until the sender hangs up or dies.
                        let mut rest = Vec::new();
                        let _ = tokio::io::AsyncReadExt::read_to_end(&mut lines, &mut rest).await;
                        return;
                    }
                }
            }
            "DATA" => {
                if !reply(&mut write, "354 End data with <CR><LF>.<CR><LF>\r\n").await {
                    return;
                }
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    // Undo dot-stuffing (RFC 5321 §4.5.2).
                    let content = line.strip_prefix('.').unwrap_or(&line);
                    data.extend_from_slice(content.as_bytes());
                }
                current.data = data;
                shared.lock().unwrap().received.push(current.clone());
                current = Received {
                    mail_from: String::new(),
                    rcpt_to: vec![],
                    data: vec![],
                };
                "250 2.0.0 Queued\r\n".to_owned()
            }
            "QUIT" => {
                let _ = reply(&mut write, "221 2.0.0 Bye\r\n").await;
                return;
            }
            _ => "502 5.5.2 Command not recognised\r\n".to_owned(),
        };
        if !reply(&mut write, &answer).await {
            return;
        }
    }
}
