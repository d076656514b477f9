//! `bench/run`'s fourth target: among `BENCH_BIRTHDAYS` birthdays (default 1 000 000) of 100 000 verified users,
//! spread evenly over the year, the sweep's queries for one day's greetings and reminders (about 2 700 each): their
//! time, their plans (through the indexes), and the time for a week's, to show the cost follows the number due.
//!
//! `DATABASE_URL` names an empty SQLite file or PostgreSQL database.

use std::sync::Arc;
use std::time::Instant;

use api::clock::SystemClock;
use api::config::Config;
use api::repo::users::NewUser;
use chrono::{Datelike as _, NaiveDate};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ConnectionTrait as _, DatabaseBackend, QueryTrait as _, Statement,
};

const USERS: i64 = 100_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    api::install_crypto_provider();
    let birthdays: i64 = std::env::var("BENCH_BIRTHDAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let config = Config::from_env()?;
    let db = api::db::connect(&config).await?;
    api::db::migrate(&db, &config).await?;
    let state = api::state::AppState::new(config, db, Arc::new(SystemClock))?;
    let db = &state.db;
    let backend = db.get_database_backend();
    let name = if backend == DatabaseBackend::Postgres {
        "postgres"
    } else {
        "sqlite"
    };
    let now = chrono::Utc::now();

    // One template user and birthday written by the app itself, then copied in bulk by SQL.
    let template = api::repo::users::insert(
        db,
        NewUser {
            username: "template".to_owned(),
            email: "template@example.com".to_owned(),
            display_name: "Template".to_owned(),
            password_hash: "unused".to_owned(),
            timezone: "Europe/Berlin".to_owned(),
            region: "DE".to_owned(),
        },
        now,
    )
    .await?;
    let mut verified: api::entity::user::ActiveModel = template.clone().into();
    verified.email_verified_at = Set(Some(now));
    verified.update(db).await?;
    let birthday = api::entity::birthday::ActiveModel {
        user_id: Set(template.id),
        name: Set("Template".to_owned()),
        month: Set(1),
        day: Set(1),
        year: Set(Some(1990)),
        email: Set(Some("friend@example.com".to_owned())),
        send_greeting: Set(true),
        subject_template: Set("Happy birthday, {name}!".to_owned()),
        message_template: Set("All the best, {sender}".to_owned()),
        timezone: Set(None),
        remind_me_days_before: Set("[0]".to_owned()),
        leap_day_rule: Set("feb28".to_owned()),
        notes: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;

    let started = Instant::now();
    let series = |count: i64| match backend {
        DatabaseBackend::Postgres => format!("generate_series(1, {count}) AS g(n)"),
        _ => "g".to_owned(),
    };
    let with = |count: i64| match backend {
        DatabaseBackend::Postgres => String::new(),
        _ => format!("WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {count}) "),
    };
    let exec = |sql: String| async move { db.execute_raw(Statement::from_string(backend, sql)).await };
    exec(format!(
        "{}INSERT INTO users (username, username_normalized, email, email_normalized, email_verified_at, \
         display_name, password_hash, timezone, region, language, calendar_feed_version, notify_birthday_reminders, \
         notify_task_reminders, notify_release_alerts, digest_time, created_at, updated_at) \
         SELECT 'u' || n, 'u' || n, 'u' || n || '@example.com', 'u' || n || '@example.com', t.email_verified_at, \
         t.display_name, t.password_hash, t.timezone, t.region, t.language, t.calendar_feed_version, \
         t.notify_birthday_reminders, t.notify_task_reminders, t.notify_release_alerts, t.digest_time, t.created_at, \
         t.updated_at FROM users t, {} WHERE t.id = {}",
        with(USERS - 1),
        series(USERS - 1),
        template.id
    ))
    .await?;
    // The 365 days of a common year, to spread birthdays evenly.
    exec("CREATE TABLE bench_days (doy INTEGER PRIMARY KEY, month SMALLINT, day SMALLINT)".to_owned()).await?;
    let values: Vec<String> = (0..365)
        .map(|doy| {
            let date = NaiveDate::from_yo_opt(2027, doy + 1).expect("a day of 2027");
            format!("({doy}, {}, {})", date.month(), date.day())
        })
        .collect();
    exec(format!(
        "INSERT INTO bench_days (doy, month, day) VALUES {}",
        values.join(", ")
    ))
    .await?;
    exec(format!(
        "{}INSERT INTO birthdays (user_id, name, month, day, year, email, send_greeting, subject_template, \
         message_template, timezone, remind_me_days_before, leap_day_rule, notes, created_at, updated_at) \
         SELECT {} + (n % {USERS}), 'Friend ' || n, d.month, d.day, t.year, 'f' || n || '@example.com', \
         t.send_greeting, t.subject_template, t.message_template, t.timezone, t.remind_me_days_before, \
         t.leap_day_rule, t.notes, t.created_at, t.updated_at \
         FROM birthdays t, {} JOIN bench_days d ON d.doy = n % 365 WHERE t.id = {}",
        with(birthdays - 1),
        template.id,
        series(birthdays - 1),
        birthday.id
    ))
    .await?;
    exec("INSERT INTO birthday_reminders (birthday_id, month, day) SELECT id, month, day FROM birthdays".to_owned())
        .await?;
    exec("ANALYZE".to_owned()).await?;
    println!(
        "{name}: wrote {USERS} users and {birthdays} birthdays in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let today = [(12_i16, 4_i16)];
    let week: Vec<(i16, i16)> = (4..11).map(|day| (12, day)).collect();
    for (label, days) in [("one day", &today[..]), ("a week", &week[..])] {
        let (count, ms) = best_of_three(|| api::repo::birthdays::greeting_candidates(db, days)).await?;
        println!("{name}: greetings for {label}: {count} birthdays in {ms:.1} ms");
        let (count, ms) = best_of_three(|| api::repo::birthdays::reminder_candidates(db, days)).await?;
        println!("{name}: reminders for {label}: {count} birthdays in {ms:.1} ms");
    }
    let explain = if backend == DatabaseBackend::Postgres {
        "EXPLAIN"
    } else {
        "EXPLAIN QUERY PLAN"
    };
    for (label, query) in [
        ("greetings", api::repo::birthdays::greeting_query(&today).build(backend)),
        ("reminders", api::repo::birthdays::reminder_query(&today).build(backend)),
    ] {
        let plan = Statement {
            sql: format!("{explain} {}", query.sql),
            ..query
        };
        println!("{name}: plan of the {label} query:");
        for row in db.query_all_raw(plan).await? {
            let line: String = if backend == DatabaseBackend::Postgres {
                row.try_get_by_index(0)?
            } else {
                row.try_get_by_index(3)?
            };
            println!("    {line}");
        }
    }
    Ok(())
}

async fn best_of_three<F, Fut, T>(run: F) -> anyhow::Result<(usize, f64)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, sea_orm::DbErr>>,
{
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..3 {
        let started = Instant::now();
        count = run().await?.len();
        best = best.min(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((count, best))
}
