//! The real `planner serve` process: it answers, keeps secrets out of its logs, and stops gracefully on SIGTERM.

use std::io::Read as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{PASSWORD, free_port};

struct Server {
    child: Child,
    base: String,
    /// Everything the process wrote to stderr, read as it comes so the pipe never fills and blocks it.
    logs: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn start(dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
    api::install_crypto_provider();
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_planner"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PLANNER_ADDR", format!("127.0.0.1:{port}"))
        .env("PASSWORD_HASH_MEMORY_KIB", "1024")
        .env("PASSWORD_HASH_ITERATIONS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let logs = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let sink = logs.clone();
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        logs,
        reader: Some(reader),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !reqwest::get(format!("{}/readyz", server.base))
        .await
        .is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
    {
        assert!(Instant::now() < deadline, "planner serve did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

fn stop_with_sigterm(server: &mut Server) -> (std::process::ExitStatus, String) {
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.child.wait().unwrap();
    if let Some(reader) = server.reader.take() {
        reader.join().unwrap();
    }
    let logs = server.logs.lock().unwrap().clone();
    (exit, logs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_token_or_secret_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "a-jwt-secret-that-must-never-be-printed-0123456789";
    let mut server = start(
        dir.path(),
        &[("JWT_SECRET", secret), ("RUST_LOG", "debug"), ("LOG_FORMAT", "json")],
    )
    .await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"username": "ann", "email": "ann@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let tokens: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "ann", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "ann", "password": "wrong password!"}))
        .send()
        .await
        .unwrap();
    let feed: serde_json::Value = client
        .get(format!("{base}/api/v1/me/calendar-feed"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let feed_url = feed["url"].as_str().unwrap();
    let feed_path = feed_url.split_once("/api/").unwrap().1;
    assert_eq!(
        client
            .get(format!("{base}/api/{feed_path}"))
            .send()
            .await
            .unwrap()
            .status(),
        reqwest::StatusCode::OK
    );
    client
        .get(format!("{base}/api/v1/me?access_token={access}"))
        .send()
        .await
        .unwrap();

    let (exit, logs) = stop_with_sigterm(&mut server);
    assert!(exit.success());
    assert!(logs.contains("\"request.id\""), "structured logs carry the request id");
    // LOG_FORMAT=json: every line is one JSON object with a time, a level and a source, for a log shipper.
    let lines: Vec<&str> = logs.lines().filter(|line| !line.trim().is_empty()).collect();
    assert!(lines.len() > 10, "{logs}");
    for line in &lines {
        let record: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(
            record["timestamp"].is_string() && record["level"].is_string() && record["target"].is_string(),
            "{line}"
        );
    }
    let feed_secret = feed_path.rsplit('/').next().unwrap().trim_end_matches(".ics");
    for (what, secret) in [
        ("password", PASSWORD),
        ("wrong password", "wrong password!"),
        ("JWT secret", secret),
        ("access token", access.as_str()),
        ("refresh token", refresh.as_str()),
        ("rotated refresh token", refreshed["refresh_token"].as_str().unwrap()),
        ("calendar feed secret", feed_secret),
    ] {
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish_then_exits() {
    let dir = tempfile::tempdir().unwrap();
    // A costly hash keeps the registration in flight while the signal arrives.
    let mut server = start(
        dir.path(),
        &[
            ("PASSWORD_HASH_MEMORY_KIB", "131072"),
            ("PASSWORD_HASH_ITERATIONS", "4"),
            ("RUST_LOG", "info,tower_http=debug"),
            ("LOG_FORMAT", "json"),
        ],
    )
    .await;
    let url = format!("{}/api/v1/auth/register", server.base);
    let in_flight = tokio::spawn(async move {
        reqwest::Client::new()
            .post(url)
            .json(&json!({"username": "ann", "email": "ann@example.com", "password": PASSWORD}))
            .send()
            .await
    });
    // The signal goes out once the server has started on the request, however busy the machine is.
    let deadline = Instant::now() + Duration::from_secs(20);
    let started = |logs: &str| {
        logs.lines()
            .any(|line| line.contains("started processing request") && line.contains("/api/v1/auth/register"))
    };
    while !started(&server.logs.lock().unwrap()) {
        assert!(Instant::now() < deadline, "the request never reached the server");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (exit, _) = tokio::task::block_in_place(|| stop_with_sigterm(&mut server));
    let response = in_flight.await.unwrap().expect("the request in flight was answered");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    assert!(exit.success(), "a graceful stop exits 0: {exit:?}");
}
