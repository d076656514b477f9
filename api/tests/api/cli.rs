//! The `planner` binary itself: configuration errors, `migrate` and `check`.

use std::process::Command;

fn planner(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_planner"));
    command
        .current_dir(data_dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command
}

#[test]
fn production_without_a_secret_stops_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = planner(dir.path())
        .args(["serve"])
        .env("PLANNER_ENV", "production")
        .env("PUBLIC_BASE_URL", "https://planner.example")
        .env("JWT_SECRET", "short")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("JWT_SECRET: must be at least 32 bytes in production"),
        "{stderr}"
    );
}

#[test]
fn migrate_creates_the_default_sqlite_database_under_the_data_dir_and_check_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let status = planner(dir.path()).arg("migrate").status().unwrap();
    assert!(status.success());
    assert!(
        dir.path().join("data/planner.db").exists(),
        "the embedded default lives in ./data"
    );
    assert!(
        dir.path().join("data/jwt-secret").exists(),
        "the development secret is kept there too"
    );
    let output = planner(dir.path()).arg("check").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!(
            "database (SQLite): ok\ntmdb (https://api.themoviedb.org/3): not configured (TMDB_API_TOKEN unset)\nmail (files in {}): ok",
            std::path::Path::new("./data").join("outbox").display()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_whether_tmdb_accepts_the_credential() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let tmdb = crate::fake_tmdb::start().await;
    Mock::given(method("GET"))
        .and(path("/configuration"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({"status_code": 7, "status_message": "Invalid API key: You must be granted a valid key.", "success": false})))
        .with_priority(10)
        .mount(&tmdb)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let run = |token: &str| {
        planner(dir.path())
            .arg("check")
            .env("TMDB_BASE_URL", tmdb.uri())
            .env("TMDB_API_TOKEN", token)
            .output()
            .unwrap()
    };
    let good = tokio::task::block_in_place(|| run(crate::fake_tmdb::TOKEN));
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stdout));
    assert!(String::from_utf8_lossy(&good.stdout).contains(&format!("tmdb ({}): ok", tmdb.uri())));
    let bad = tokio::task::block_in_place(|| run("wrong-token"));
    assert!(!bad.status.success());
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(
        stdout.contains("tmdb") && stdout.contains("FAILED") && stdout.contains("401"),
        "{stdout}"
    );
    assert!(!stdout.contains("wrong-token"), "the credential is not printed");
}

#[test]
fn check_fails_when_the_database_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let output = planner(dir.path())
        .arg("check")
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("database (PostgreSQL): FAILED"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_whether_the_mail_server_answers() {
    let smtp = crate::smtp_server::SmtpServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = smtp.url();
    let good = tokio::task::block_in_place(|| planner(dir.path()).arg("check").env("SMTP_URL", &url).output().unwrap());
    let stdout = String::from_utf8_lossy(&good.stdout);
    assert!(
        good.status.success() && stdout.contains(&format!("mail (smtp server 127.0.0.1:{}): ok", smtp.addr.port())),
        "{stdout}"
    );
    let closed = format!("smtp://user:hunter2@127.0.0.1:{}", crate::helpers::free_port());
    let bad = tokio::task::block_in_place(|| {
        planner(dir.path())
            .arg("check")
            .env("SMTP_URL", &closed)
            .output()
            .unwrap()
    });
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(
        !bad.status.success() && stdout.contains("mail (smtp server 127.0.0.1:") && stdout.contains("FAILED"),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"), "the SMTP password is not printed");
}
