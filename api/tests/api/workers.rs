//! Real `planner worker` processes on one database: several of them send each due message once, a worker killed in
//! the middle of a message is replaced without a duplicate, and SIGTERM returns a message stuck on a silent mail
//! server instead of leaving it claimed. A worker's own figures are on its metrics address.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use api::clock::ManualClock;
use chrono::{Timelike as _, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestDatabase, figure, free_port, spawn_app_on, start_time, test_env};
use crate::on_both_databases;
use crate::smtp_server::{Mode, SmtpServer};

on_both_databases!(
    two_worker_processes_send_each_of_500_due_greetings_exactly_once,
    a_worker_killed_in_the_middle_of_a_message_is_replaced_and_the_message_goes_out_once,
    sigterm_returns_a_message_stuck_on_a_silent_mail_server_and_the_worker_exits,
    a_worker_shows_its_own_email_figures_on_its_metrics_address,
);

/// A `planner worker` process; killed with SIGKILL when dropped.
pub struct WorkerProcess {
    child: Child,
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl WorkerProcess {
    pub fn start(database: &TestDatabase, smtp: &SmtpServer, extra: &[(&str, &str)], log_name: &str) -> Self {
        let log = std::fs::File::create(database.data_dir.path().join(log_name)).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_planner"));
        command
            .arg("worker")
            .current_dir(database.data_dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SMTP_URL", smtp.url())
            .env("MAIL_FROM", "Planner <planner@planner.test>")
            .env("SWEEP_INTERVAL_SECONDS", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log);
        for (key, value) in test_env(database) {
            command.env(key, value);
        }
        for (key, value) in extra {
            command.env(key, value);
        }
        Self {
            child: command.spawn().unwrap(),
        }
    }

    /// Whether the process has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM and waits for the exit, at most `seconds`.
    fn terminate(&mut self, seconds: u64) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the worker did not exit within {seconds} s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// An API (without a worker of its own) on a fresh database, to set up accounts and read the delivery log.
async fn api_on_fresh_database(backend: Backend) -> (TestApp, Arc<TestDatabase>) {
    let database = Arc::new(TestDatabase::create(backend).await);
    let app = spawn_app_on(backend, database.clone(), &[], Arc::new(ManualClock::new(start_time()))).await;
    (app, database)
}

/// A fixed-offset zone where it is now between 11:00 and 13:00, and today's (month, day) there: a birthday on that
/// day in that zone was due at 09:00, two to four hours ago, whatever time the test runs.
pub fn zone_past_nine_oclock_now() -> (String, u32, u32) {
    let now = Utc::now();
    let offset = 12 - i64::from(now.hour());
    let zone = match offset {
        0 => "UTC".to_owned(),
        // The Etc zones' signs are POSIX-style: Etc/GMT-5 is five hours ahead of UTC.
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    let local = now + chrono::Duration::hours(offset);
    (zone, chrono::Datelike::month(&local), chrono::Datelike::day(&local))
}

async fn add_due_greetings(app: &TestApp, token: &str, count: usize) {
    let (zone, month, day) = zone_past_nine_oclock_now();
    for i in 0..count {
        let body = json!({"name": format!("Friend {i}"), "month": month, "day": day,
                          "email": format!("friend{i}@example.com"), "send_greeting": true,
                          "timezone": zone, "remind_me_days_before": []});
        let (status, created) = app
            .call(Method::POST, "/api/v1/birthdays", Some(token), Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
}

async fn delivery_log(app: &TestApp, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = "/api/v1/notifications?limit=100".to_owned();
    loop {
        let (status, page) = app.call(Method::GET, &path, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/notifications?limit=100&cursor={cursor}"),
            None => return items,
        }
    }
}

/// Waits until the delivery log holds one entry with `status` (or fails after `seconds`).
async fn wait_for_status(app: &TestApp, token: &str, status: &str, seconds: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let log = delivery_log(app, token).await;
        if let Some(entry) = log.iter().find(|e| e["status"] == status) {
            return entry.clone();
        }
        assert!(Instant::now() < deadline, "no delivery became `{status}`: {log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn two_worker_processes_send_each_of_500_due_greetings_exactly_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let (app, database) = api_on_fresh_database(backend).await;
    let ann = app.verified("ann").await;
    add_due_greetings(&app, &ann.access_token, 500).await;

    let limit = [("GREETINGS_PER_ACCOUNT_PER_DAY", "1000")];
    let _first = WorkerProcess::start(&database, &smtp, &limit, "worker-1.log");
    let _second = WorkerProcess::start(&database, &smtp, &limit, "worker-2.log");
    let received = smtp.wait_for(500, 180).await;
    assert_eq!(received.len(), 500, "every greeting arrives");
    // Both workers keep sweeping and relaying: give a duplicate every chance to show up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = smtp.received();
    let mut recipients: Vec<String> = received.iter().map(|m| m.rcpt_to.join(",")).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(received.len(), 500, "no greeting is sent twice");
    assert_eq!(recipients.len(), 500, "each friend gets exactly one");

    let log = delivery_log(&app, &ann.access_token).await;
    assert_eq!(log.len(), 500);
    assert!(
        log.iter().all(|e| e["status"] == "sent" && e["attempts"] == 1),
        "each delivery is sent on its first attempt"
    );
}

async fn a_worker_killed_in_the_middle_of_a_message_is_replaced_and_the_message_goes_out_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.set_mode(Mode::Silent);
    let (app, database) = api_on_fresh_database(backend).await;
    let ann = app.verified("ann").await;
    add_due_greetings(&app, &ann.access_token, 1).await;
    let lease = [("DELIVERY_LEASE_SECONDS", "3")];

    let mut doomed = WorkerProcess::start(&database, &smtp, &lease, "doomed.log");
    assert_eq!(
        smtp.wait_for_silenced(1, 60).await,
        1,
        "the worker is in the middle of the message"
    );
    let claimed = wait_for_status(&app, &ann.access_token, "sending", 10).await;
    assert_eq!(claimed["attempts"], 1);
    doomed.kill_9();

    smtp.set_mode(Mode::Accept);
    let _replacement = WorkerProcess::start(&database, &smtp, &lease, "replacement.log");
    let received = smtp.wait_for(1, 60).await;
    assert_eq!(received.len(), 1, "the message goes out once its lease has run out");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(smtp.received().len(), 1, "and only once");
    let sent = wait_for_status(&app, &ann.access_token, "sent", 10).await;
    assert_eq!(sent["attempts"], 2, "the killed attempt counts");
}

async fn sigterm_returns_a_message_stuck_on_a_silent_mail_server_and_the_worker_exits(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.set_mode(Mode::Silent);
    let (app, database) = api_on_fresh_database(backend).await;
    let ann = app.verified("ann").await;
    add_due_greetings(&app, &ann.access_token, 1).await;

    let mut worker = WorkerProcess::start(&database, &smtp, &[], "worker.log");
    assert_eq!(
        smtp.wait_for_silenced(1, 60).await,
        1,
        "the worker is in the middle of the message"
    );
    wait_for_status(&app, &ann.access_token, "sending", 10).await;
    let exit = worker.terminate(30);
    assert!(exit.success(), "a clean exit: {exit}");

    // With the default lease of ten minutes, only a returned message can go out now.
    let returned = wait_for_status(&app, &ann.access_token, "pending", 5).await;
    assert_eq!(returned["attempts"], 0, "the interrupted attempt is not counted");
    smtp.set_mode(Mode::Accept);
    let _next = WorkerProcess::start(&database, &smtp, &[], "next.log");
    assert_eq!(smtp.wait_for(1, 60).await.len(), 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.received().len(), 1);
}

async fn a_worker_shows_its_own_email_figures_on_its_metrics_address(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let (app, database) = api_on_fresh_database(backend).await;
    let ann = app.verified("ann").await;
    let addr = format!("127.0.0.1:{}", free_port());
    let _worker = WorkerProcess::start(&database, &smtp, &[("WORKER_METRICS_ADDR", &addr)], "worker.log");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = client.get(format!("http://{addr}/healthz")).send().await {
            assert_eq!(response.status(), StatusCode::OK);
            break;
        }
        assert!(Instant::now() < deadline, "the worker's /healthz never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let scrape = || async {
        let response = client.get(format!("http://{addr}/metrics")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    };
    let before = scrape().await;
    assert_eq!(figure(&before, r#"planner_emails_total{outcome="sent"}"#), 0);

    // A 451, a 550, then a message the server takes: one of each, counted by the process that sent them.
    smtp.set_mode(Mode::TryLater);
    add_due_greetings(&app, &ann.access_token, 1).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while figure(&scrape().await, r#"planner_emails_total{outcome="retried"}"#) < 1 {
        assert!(Instant::now() < deadline, "the 451 was never counted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    smtp.set_mode(Mode::Refuse);
    add_due_greetings(&app, &ann.access_token, 1).await;
    wait_for_status(&app, &ann.access_token, "failed", 20).await;
    smtp.set_mode(Mode::Accept);
    add_due_greetings(&app, &ann.access_token, 1).await;
    wait_for_status(&app, &ann.access_token, "sent", 20).await;
    let after = scrape().await;
    for (outcome, expected) in [("retried", 1), ("failed", 1), ("sent", 1)] {
        assert_eq!(
            figure(&after, &format!("planner_emails_total{{outcome=\"{outcome}\"}}")),
            expected,
            "{outcome}"
        );
    }
    assert!(
        after.contains("planner_deliveries{kind=\"birthday_greeting\",status=\"sent\"} 1"),
        "{after}"
    );
}
