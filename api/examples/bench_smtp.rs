//! `bench/run`'s fifth target: 10 000 emails through the real delivery path (outbox → relay → apalis queue →
//! pooled SMTP) to a local SMTP server started here, timed from the moment the rows are due until the server has
//! accepted the last one; then the outbox is checked: every row sent once, on its first attempt.
//!
//! `DATABASE_URL` (SQLite or PostgreSQL) and `BENCH_EMAILS` (default 10 000) are read from the environment.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use api::clock::SystemClock;
use api::config::Config;
use api::repo::notifications::{NewNotification, PENDING};
use api::repo::users::NewUser;
use sea_orm::{ConnectionTrait as _, Statement};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    api::install_crypto_provider();
    let count: usize = std::env::var("BENCH_EMAILS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let received = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let smtp_addr = listener.local_addr()?;
    let sink = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(session(stream, sink.clone()));
        }
    });
    let mut config = Config::from_lookup(|name| match name {
        "SMTP_URL" => Some(format!("smtp://{smtp_addr}")),
        "SWEEP_INTERVAL_SECONDS" => Some("3600".to_owned()),
        other => std::env::var(other).ok(),
    })?;
    config.run_worker = false;
    let db = api::db::connect(&config).await?;
    api::db::migrate(&db, &config).await?;
    let state = api::state::AppState::new(config, db, Arc::new(SystemClock))?;
    let now = chrono::Utc::now();
    let user = api::repo::users::insert(
        &state.db,
        NewUser {
            username: format!("bench{}", now.timestamp_micros()),
            email: format!("bench{}@example.com", now.timestamp_micros()),
            display_name: "Bench".to_owned(),
            password_hash: "unused".to_owned(),
            timezone: "UTC".to_owned(),
            region: "US".to_owned(),
        },
        now,
    )
    .await?;
    let started_insert = Instant::now();
    for i in 0..count {
        api::repo::notifications::record(
            &state.db,
            NewNotification {
                user_id: user.id,
                kind: "task_reminder",
                dedupe_key: format!("bench:{}:{i}", user.id),
                subject_id: i64::try_from(i)?,
                due_at: now,
                recipient: format!("someone{i}@example.com"),
                from_name: None,
                reply_to: None,
                subject: format!("Reminder {i}"),
                body_text: "A reminder.".to_owned(),
                body_html: "<p>A reminder.</p>".to_owned(),
                status: PENDING,
                note: None,
            },
            now,
        )
        .await?;
    }
    println!(
        "recorded {count} outbox rows in {:.1} s",
        started_insert.elapsed().as_secs_f64()
    );

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    // BENCH_DIRECT=1 sends from this task without the queue, to tell the queue's cost from the delivery's.
    let worker = if std::env::var_os("BENCH_DIRECT").is_some() {
        let direct = state.clone();
        tokio::spawn(async move {
            while api::jobs::deliver::dispatch_due(&direct).await.unwrap_or(0) > 0 {}
            drop(stopped);
        })
    } else {
        tokio::spawn(api::jobs::run(state.clone(), stopped))
    };
    while received.load(Ordering::Relaxed) < count {
        if started.elapsed() > Duration::from_secs(600) {
            anyhow::bail!(
                "only {} of {count} arrived in 10 minutes",
                received.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = stop.send(true);
    let _ = worker.await;

    let backend = state.db.get_database_backend();
    let row = state
        .db
        .query_one_raw(Statement::from_string(
            backend,
            format!(
                "SELECT COUNT(*), SUM(CASE WHEN status = 'sent' AND attempts = 1 THEN 1 ELSE 0 END) \
                 FROM notifications WHERE user_id = {}",
                user.id
            ),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no count"))?;
    let rows: i64 = row.try_get_by_index(0)?;
    let sent_once: i64 = row.try_get_by_index(1)?;
    let arrived = received.load(Ordering::Relaxed);
    println!(
        "target 5: {count} emails in {elapsed:.2} s = {:.0} messages/s; server received {arrived}; \
         outbox: {rows} rows, {sent_once} sent on the first attempt",
        count as f64 / elapsed
    );
    if arrived != count || sent_once != i64::try_from(count)? {
        anyhow::bail!("the outbox is not right");
    }
    Ok(())
}

async fn session(stream: tokio::net::TcpStream, received: Arc<AtomicUsize>) {
    // Replies go out at once, as a mail server's do (without this, Nagle and delayed ACKs add 40 ms per message).
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 bench ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    let mut in_data = false;
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        if in_data {
            if line == ".\r\n" {
                in_data = false;
                received.fetch_add(1, Ordering::Relaxed);
                if write.write_all(b"250 2.0.0 Queued\r\n").await.is_err() {
                    return;
                }
            }
            continue;
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-bench\r\n250-8BITMIME\r\n250 PIPELINING\r\n",
            "DATA" => {
                in_data = true;
                b"354 go ahead\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"250 OK\r\n",
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}
