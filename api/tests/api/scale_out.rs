//! Scale-out without Docker: two `planner serve --no-worker` processes and two `planner worker` processes on one
//! PostgreSQL database. A token from one API process works on the other, a refresh token rotated on one is refused
//! as reused on the other, the failed-login limit holds across both, the API processes send nothing, and the workers
//! deliver each due email once and keep sweeping for new ones.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, TestDatabase, figure, free_port, test_env};
use crate::smtp_server::SmtpServer;
use crate::workers::{WorkerProcess, zone_past_nine_oclock_now};

/// A `planner serve --no-worker` process; killed when dropped.
struct ApiProcess {
    child: Child,
    base: String,
}

impl Drop for ApiProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn planner(database: &TestDatabase, smtp: &SmtpServer, log_name: &str) -> Command {
    let log = std::fs::File::create(database.data_dir.path().join(log_name)).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_planner"));
    command
        .current_dir(database.data_dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(Stdio::null())
        .stderr(log);
    for (key, value) in test_env(database) {
        command.env(key, value);
    }
    command
        .env("SMTP_URL", smtp.url())
        .env("MAIL_FROM", "Planner <planner@planner.test>")
        .env("LOGIN_FAILURES_PER_ACCOUNT", "3");
    command
}

impl ApiProcess {
    async fn start(database: &TestDatabase, smtp: &SmtpServer, log_name: &str) -> Self {
        let port = free_port();
        let child = planner(database, smtp, log_name)
            .args(["serve", "--no-worker"])
            .env("PLANNER_ADDR", format!("127.0.0.1:{port}"))
            .spawn()
            .unwrap();
        let process = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !reqwest::get(format!("{}/readyz", process.base))
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            assert!(Instant::now() < deadline, "planner serve did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        process
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = reqwest::Client::new().post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .patch(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// One figure from this process's `/metrics`.
    async fn figure(&self, series: &str) -> u64 {
        let page = reqwest::get(format!("{}/metrics", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        figure(&page, series)
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"username": username, "password": password}),
        )
        .await
    }
}

/// The token in the newest verification link the mail server received.
fn verification_token(smtp: &SmtpServer) -> Option<String> {
    smtp.received().iter().rev().find_map(|message| {
        let text = message.parsed().body_text(0)?.into_owned();
        let start = text.find("token=")? + "token=".len();
        Some(
            text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                .collect(),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_api_and_two_worker_processes_share_one_postgres_database() {
    let smtp = SmtpServer::start().await;
    let database = TestDatabase::create(Backend::Postgres).await;
    let migrated = planner(&database, &smtp, "migrate.log")
        .arg("migrate")
        .status()
        .unwrap();
    assert!(migrated.success());
    let first = ApiProcess::start(&database, &smtp, "api-1.log").await;
    let second = ApiProcess::start(&database, &smtp, "api-2.log").await;

    // An account made on one process; its access token works on the other.
    let body = json!({"username": "ann", "email": "ann@example.com", "password": PASSWORD});
    assert_eq!(
        first.post("/api/v1/auth/register", None, body).await.0,
        StatusCode::CREATED
    );
    let (status, tokens) = first.login("ann", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, me) = second.get("/api/v1/me", &access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "ann");

    // A task list the second process serves from memory shows a change made through the first one at once: the
    // first announces it with NOTIFY, and the second drops its copy.
    let deadline = Instant::now() + Duration::from_secs(10);
    while second.figure("planner_task_page_cache_enabled").await != 1 {
        assert!(Instant::now() < deadline, "the second process's cache never came on");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, task) = first
        .post("/api/v1/tasks", Some(&access), json!({"title": "Buy milk"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let titles = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let hits = r#"planner_task_page_cache_lookups_total{result="hit"}"#;
    let hits_before = second.figure(hits).await;
    for _ in 0..2 {
        let (status, page) = second.get("/api/v1/tasks", &access).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(titles(&page), ["Buy milk"]);
    }
    assert_eq!(
        second.figure(hits).await,
        hits_before + 1,
        "the second read came from memory"
    );
    let changed_at = Instant::now();
    let (status, _) = first
        .patch(
            &format!("/api/v1/tasks/{}", task["id"]),
            &access,
            json!({"title": "Buy oat milk"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    loop {
        let (_, page) = second.get("/api/v1/tasks", &access).await;
        if titles(&page) == ["Buy oat milk"] {
            break;
        }
        assert!(
            changed_at.elapsed() < Duration::from_secs(1),
            "the other process still serves the old title: {page}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Rotated twice on the first process; the oldest token presented to the second is reuse, and ends the session.
    let original = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, rotated) = first
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": original}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, rotated) = first
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": rotated["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = second
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": original}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "reuse is detected by the other process"
    );
    let (status, _) = first
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": rotated["refresh_token"]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "and the whole session is over, on both"
    );

    // Verify the address (the link arrives by SMTP), then 20 greetings come due.
    let (_, tokens) = second.login("ann", PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, _) = second
        .post("/api/v1/auth/verify-email/request", Some(&access), json!(null))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    smtp.wait_for(1, 20).await;
    let token = verification_token(&smtp).expect("a verification link");
    let (status, _) = first
        .post("/api/v1/auth/verify-email/confirm", None, json!({"token": token}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (zone, month, day) = zone_past_nine_oclock_now();
    for i in 0..20 {
        let process = if i % 2 == 0 { &first } else { &second };
        let body = json!({"name": format!("Friend {i}"), "month": month, "day": day, "email": format!("friend{i}@example.com"),
            "send_greeting": true, "timezone": zone, "remind_me_days_before": []});
        assert_eq!(
            process.post("/api/v1/birthdays", Some(&access), body).await.0,
            StatusCode::CREATED
        );
    }
    let greetings = |smtp: &SmtpServer| {
        smtp.received()
            .iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r.contains("friend")))
            .map(|m| m.rcpt_to.join(","))
            .collect::<Vec<_>>()
    };
    // `serve --no-worker` sends nothing: the greetings are due, and only the workers started below deliver them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        greetings(&smtp),
        Vec::<String>::new(),
        "an API process without a worker sends no greeting"
    );
    let sweep = [("SWEEP_INTERVAL_SECONDS", "1")];
    let mut one = WorkerProcess::start(&database, &smtp, &sweep, "worker-1.log");
    let mut two = WorkerProcess::start(&database, &smtp, &sweep, "worker-2.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    while greetings(&smtp).len() < 20 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut sent = greetings(&smtp);
    assert_eq!(sent.len(), 20, "each greeting once");
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), 20, "to twenty different friends");
    // The workers keep sweeping: a birthday added now (after their first sweeps) is found by a later one.
    let body = json!({"name": "Late friend", "month": month, "day": day, "email": "friend-late@example.com",
        "send_greeting": true, "timezone": zone, "remind_me_days_before": []});
    assert_eq!(
        first.post("/api/v1/birthdays", Some(&access), body).await.0,
        StatusCode::CREATED
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while greetings(&smtp).len() < 21 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = greetings(&smtp);
    assert_eq!(sent.iter().filter(|r| r.contains("friend-late")).count(), 1, "{sent:?}");
    assert_eq!(sent.len(), 21, "and nothing else twice");
    assert!(one.is_running() && two.is_running(), "both workers are still up");

    // Failed logins count across both processes: two on one, one on the other, and the account is locked on both.
    for _ in 0..2 {
        assert_eq!(first.login("ann", "wrong password").await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(second.login("ann", "wrong password").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(second.login("ann", PASSWORD).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.login("ann", PASSWORD).await.0, StatusCode::TOO_MANY_REQUESTS);
}
