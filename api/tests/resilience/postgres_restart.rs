//! PostgreSQL restarted while requests run: while it is down, requests fail fast with a 503 problem document; once it
//! is back, the same process serves again, and every write it acknowledged is there.
//!
//! The test runs its own PostgreSQL server (Debian's binaries, `initdb` and `pg_ctl`, as the `postgres` user when
//! run as root) on a free port, so that stopping it disturbs nothing else.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestDatabase, free_port, spawn_app_on, start_time};

/// A PostgreSQL server of the test's own, stopped (immediately) when dropped.
struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

/// Runs a PostgreSQL program as the `postgres` user when we are root (PostgreSQL refuses to run as root).
fn as_postgres(program: &Path) -> Command {
    if std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0) {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl PrivatePostgres {
    fn start() -> Self {
        // The newest installed major version.
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries under /usr/lib/postgresql (Debian's postgresql package)")
            .map(|entry| entry.unwrap().path())
            .collect();
        versions.sort_by_key(|p| p.file_name().and_then(|n| n.to_str()?.parse::<u32>().ok()));
        let bin = versions.pop().expect("a PostgreSQL version").join("bin");
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        if Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
        {
            run(
                {
                    let mut chown = Command::new("chown");
                    chown.arg("postgres:").arg(dir.path());
                    chown
                },
                "chown",
            );
        }
        let mut initdb = as_postgres(&bin.join("initdb"));
        initdb
            .args([
                "--auth=trust",
                "--username=postgres",
                "--no-sync",
                "--no-instructions",
                "-D",
            ])
            .arg(&data);
        run(initdb, "initdb");
        let server = Self {
            bin,
            data,
            port: free_port(),
            _dir: dir,
        };
        server.pg_ctl_start();
        server
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl(&self) -> Command {
        let mut command = as_postgres(&self.bin.join("pg_ctl"));
        command.arg("-D").arg(&self.data);
        command
    }

    fn pg_ctl_start(&self) {
        let mut start = self.pg_ctl();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.data.display()
        );
        start
            .args(["-w", "-t", "30", "-l"])
            .arg(self.data.join("server.log"))
            .args(["-o", &options, "start"]);
        run(start, "pg_ctl start");
    }

    fn stop(&self, mode: &str) {
        let mut stop = self.pg_ctl();
        stop.args(["-w", "-m", mode, "stop"]);
        run(stop, "pg_ctl stop");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.pg_ctl().args(["-m", "immediate", "stop"]).output();
    }
}

/// One request as the client saw it.
struct Seen {
    sent: Instant,
    took: Duration,
    status: Option<StatusCode>,
    problem_json: bool,
    created: Option<(i64, String)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_postgres_means_fast_503s_then_service_again_without_a_restart() {
    let _turn = crate::ONE_AT_A_TIME.lock().await;
    let postgres = PrivatePostgres::start();
    // The harness's database holder gives the app its data directory; the database itself is the private server.
    let holder = Arc::new(TestDatabase::create(Backend::Sqlite).await);
    let clock = Arc::new(api::clock::ManualClock::new(start_time()));
    let app = spawn_app_on(Backend::Postgres, holder, &[("DATABASE_URL", &postgres.url())], clock).await;
    let ann = app.signed_up("ann").await;

    let stop_at = Instant::now() + Duration::from_secs(10);
    let clients: Vec<_> = (0..8)
        .map(|index| {
            let client = app.client.clone();
            let base = app.url("");
            let token = ann.access_token.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut n = 0;
                while Instant::now() < stop_at {
                    n += 1;
                    let title = format!("written {index}-{n}");
                    let request = if n % 2 == 0 {
                        client.get(format!("{base}/api/v1/tasks")).bearer_auth(&token)
                    } else {
                        client
                            .post(format!("{base}/api/v1/tasks"))
                            .bearer_auth(&token)
                            .json(&json!({"title": title}))
                    };
                    let sent = Instant::now();
                    let response = request.timeout(Duration::from_secs(30)).send().await;
                    let took = sent.elapsed();
                    let (status, problem_json, created) = match response {
                        Ok(response) => {
                            let status = response.status();
                            let problem_json = response
                                .headers()
                                .get("content-type")
                                .is_some_and(|v| v == "application/problem+json");
                            let body: serde_json::Value = response.json().await.unwrap_or_default();
                            let created =
                                (status == StatusCode::CREATED).then(|| (body["id"].as_i64().unwrap(), title));
                            (Some(status), problem_json, created)
                        }
                        Err(_) => (None, false, None),
                    };
                    seen.push(Seen {
                        sent,
                        took,
                        status,
                        problem_json,
                        created,
                    });
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                seen
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(2)).await;
    let down_at = Instant::now();
    postgres.stop("fast");
    tokio::time::sleep(Duration::from_secs(3)).await;
    postgres.pg_ctl_start();
    let up_at = Instant::now();

    let mut seen = Vec::new();
    for client in clients {
        seen.extend(client.await.unwrap());
    }
    let unexpected: Vec<_> = seen
        .iter()
        .filter(|s| {
            !matches!(
                s.status,
                Some(StatusCode::OK | StatusCode::CREATED | StatusCode::SERVICE_UNAVAILABLE)
            )
        })
        .map(|s| s.status)
        .collect();
    assert!(
        unexpected.is_empty(),
        "only 200, 201 and 503, never a 500 or a dropped connection: {unexpected:?}"
    );

    let outage: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.status == Some(StatusCode::SERVICE_UNAVAILABLE))
        .collect();
    assert!(!outage.is_empty(), "requests during the outage were refused");
    assert!(outage.iter().all(|s| s.problem_json), "each 503 is a problem document");
    // Fast: no request waits for the server to come back, or for the pool's timeout, to hear its answer.
    let slowest = seen.iter().map(|s| s.took).max().unwrap();
    println!(
        "{} requests, {} answered 503 during the outage; the slowest request took {slowest:?}",
        seen.len(),
        outage.len()
    );
    assert!(
        slowest < Duration::from_secs(1),
        "every answer came fast, none after a long wait: {slowest:?}"
    );
    assert!(
        outage.iter().all(|s| s.sent + s.took >= down_at),
        "nothing failed before the server stopped"
    );

    // Back in service without restarting the app: everything sent a few seconds after the restart succeeds.
    let settled = up_at + Duration::from_secs(3);
    let after: Vec<&Seen> = seen.iter().filter(|s| s.sent > settled).collect();
    assert!(!after.is_empty(), "requests ran after the restart");
    assert!(
        after.iter().all(|s| s.status.is_some_and(|s| s.is_success())),
        "every request after the restart succeeded"
    );
    let (status, _) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK);

    // Every acknowledged write is stored.
    let acknowledged: Vec<&(i64, String)> = seen.iter().filter_map(|s| s.created.as_ref()).collect();
    for (id, title) in acknowledged {
        let (status, task) = app
            .call(
                Method::GET,
                &format!("/api/v1/tasks/{id}"),
                Some(&ann.access_token),
                None,
            )
            .await;
        assert_eq!((status, task["title"].as_str()), (StatusCode::OK, Some(title.as_str())));
    }
}
