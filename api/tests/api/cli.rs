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
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "database (SQLite): ok");
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
