//! Greetings, reminders and alerts: sent on the right day in the right time zone, once, through a real SMTP
//! conversation, with retries, catch-up after downtime, and the delivery log.

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, spawn_app_with};
use crate::on_both_databases;
use crate::smtp_server::{Mode, SmtpServer};

on_both_databases!(
    a_greeting_goes_out_at_nine_in_the_persons_time_zone_exactly_once,
    nine_oclock_is_right_in_pago_pago_and_on_a_dst_day_in_new_york,
    leap_day_birthdays_are_greeted_by_their_rule,
    downtime_within_the_grace_window_catches_up_and_longer_downtime_skips,
    reminders_go_to_verified_owners_only,
    temporary_failures_retry_and_permanent_ones_fail_with_the_reply,
    mail_waits_while_the_smtp_server_is_down_and_goes_once_when_it_is_back,
    concurrent_sweeps_and_senders_deliver_each_message_once,
    the_worker_in_serve_sends_without_being_asked,
    new_years_day_east_of_utc_and_the_daily_greeting_limit,
    the_daily_greeting_limit_holds_when_many_senders_race,
    notification_settings_turn_kinds_off_and_the_digest_on,
    a_missed_digest_follows_the_grace_window_and_names_the_weeks_release,
    release_days_are_alerted_and_moved_dates_are_refreshed_once_per_movie,
    a_failing_tmdb_changes_no_alert_and_the_refresh_is_retried_within_the_hour,
    reminders_follow_edits_and_birthdays_saved_before_the_index_are_indexed_at_migrate,
);

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

async fn app_with_smtp(backend: Backend, smtp: &SmtpServer, extra: &[(&str, &str)]) -> TestApp {
    let url = smtp.url();
    let mut overrides = vec![
        ("SMTP_URL", url.as_str()),
        ("MAIL_FROM", "Planner <planner@planner.test>"),
    ];
    overrides.extend_from_slice(extra);
    spawn_app_with(backend, &overrides).await
}

/// An app with a real SMTP server and a fake TMDB that knows Dune (asked once, when it is tracked).
async fn app_with_smtp_and_tmdb(backend: Backend) -> (TestApp, SmtpServer, wiremock::MockServer) {
    let smtp = SmtpServer::start().await;
    let tmdb = crate::fake_tmdb::start().await;
    crate::fake_tmdb::mount_dune(&tmdb, 1).await;
    let tmdb_url = tmdb.uri();
    let app = app_with_smtp(
        backend,
        &smtp,
        &[
            ("TMDB_BASE_URL", &tmdb_url),
            ("TMDB_API_TOKEN", crate::fake_tmdb::TOKEN),
        ],
    )
    .await;
    (app, smtp, tmdb)
}

/// From now on TMDB says Dune's German digital release moved from 1 March to 15 March 2027, and expects one call.
async fn mount_dune_with_the_digital_release_moved(tmdb: &wiremock::MockServer) {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    tmdb.reset().await;
    let mut moved = crate::fake_tmdb::dune_details();
    moved["release_dates"]["results"][0]["release_dates"][2]["release_date"] = json!("2027-03-15T00:00:00.000Z");
    Mock::given(method("GET"))
        .and(path(format!("/movie/{}", crate::fake_tmdb::DUNE)))
        .respond_with(ResponseTemplate::new(200).set_body_json(moved))
        .expect(1)
        .mount(tmdb)
        .await;
}

async fn sweep_and_send(app: &TestApp) -> usize {
    api::jobs::sweep::sweep(&app.state).await.unwrap();
    api::jobs::deliver::dispatch_due(&app.state).await.unwrap()
}

async fn add_birthday(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, birthday) = app
        .call(Method::POST, "/api/v1/birthdays", Some(token), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{birthday}");
    birthday
}

async fn log(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app.call(Method::GET, "/api/v1/notifications", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn a_greeting_goes_out_at_nine_in_the_persons_time_zone_exactly_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[]).await;
    let ann = app.verified("ann").await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&ann.access_token),
        Some(json!({"display_name": "Ann Lee", "timezone": "Europe/Berlin"})),
    )
    .await;
    let bo = add_birthday(
        &app,
        &ann.access_token,
        json!({"name": "Bo", "month": 12, "day": 5, "year": 1990, "email": "bo@example.com", "send_greeting": true,
               "timezone": "Pacific/Kiritimati", "remind_me_days_before": [], "subject": "Happy {age}th, {name}!",
               "message": "Dear {name},\n\nall the best!\n\n{sender}"}),
    )
    .await;
    // 09:00 on 5 December in Kiritimati (UTC+14) is 19:00 UTC on 4 December.
    app.clock.set(at("2026-12-04T18:59:00Z"));
    assert_eq!(sweep_and_send(&app).await, 0);
    app.clock.set(at("2026-12-04T19:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 1);
    for _ in 0..3 {
        assert_eq!(sweep_and_send(&app).await, 0, "swept again, nothing is sent twice");
    }
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, ["<bo@example.com>"]);
    let message = received[0].parsed();
    assert_eq!(message.subject(), Some("Happy 36th, Bo!"));
    let from = message.from().and_then(|f| f.first()).unwrap();
    assert_eq!(
        (from.name(), from.address()),
        (Some("Ann Lee"), Some("planner@planner.test"))
    );
    assert_eq!(
        message.reply_to().and_then(|r| r.first()).and_then(|a| a.address()),
        Some("ann@example.com")
    );
    assert_eq!(
        message.message_id(),
        Some(format!("birthday_greeting.{}.2026@planner.test", bo["id"]).as_str())
    );
    assert!(
        message
            .body_text(0)
            .unwrap()
            .replace("\r\n", "\n")
            .starts_with("Dear Bo,\n\nall the best!\n\nAnn Lee")
    );
    assert!(message.body_html(0).unwrap().contains("<p>all the best!</p>"));
    assert!(
        message
            .body_text(0)
            .unwrap()
            .contains("http://planner.test/account#notifications"),
        "a link to the settings"
    );

    let ann = app.logged_in("ann").await;
    let entries = log(&app, &ann.access_token).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0]["kind"].as_str(),
            entries[0]["status"].as_str(),
            entries[0]["recipient"].as_str(),
            entries[0]["attempts"].as_i64()
        ),
        (Some("birthday_greeting"), Some("sent"), Some("bo@example.com"), Some(1))
    );
    assert_eq!(entries[0]["due_at"], "2026-12-04T19:00:00Z");
    assert_eq!(entries[0]["subject"], "Happy 36th, Bo!");
    assert_eq!(
        entries[0]["sent_at"], "2026-12-04T19:00:00Z",
        "sent at the clock's time"
    );
    assert_eq!(entries[0]["last_error"], Value::Null);

    let mallory = app.verified("mallory").await;
    assert!(log(&app, &mallory.access_token).await.is_empty());
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/notifications/{}/resend", entries[0]["id"]),
            Some(&mallory.access_token),
            None,
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
    // A greeting goes to someone else: once sent, it is not repeated on request.
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/notifications/{}/resend", entries[0]["id"]),
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT).await;
    assert_eq!(smtp.received().len(), 1);
}

async fn nine_oclock_is_right_in_pago_pago_and_on_a_dst_day_in_new_york(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[]).await;
    let ann = app.verified("ann").await;
    let t = &ann.access_token;
    add_birthday(&app, t, json!({"name": "Pago", "month": 12, "day": 5, "email": "p@example.com", "send_greeting": true, "timezone": "Pacific/Pago_Pago", "remind_me_days_before": []})).await;
    add_birthday(&app, t, json!({"name": "York", "month": 3, "day": 14, "email": "y@example.com", "send_greeting": true, "timezone": "America/New_York", "remind_me_days_before": []})).await;
    // 09:00 on 5 December in Pago Pago (UTC-11) is 20:00 UTC that day.
    app.clock.set(at("2026-12-05T19:59:59Z"));
    assert_eq!(sweep_and_send(&app).await, 0);
    app.clock.set(at("2026-12-05T20:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 1);
    // Daylight saving time starts at 02:00 on 14 March 2027 in New York: 09:00 EDT is 13:00 UTC, not 14:00.
    app.clock.set(at("2027-03-14T12:59:00Z"));
    assert_eq!(sweep_and_send(&app).await, 0);
    app.clock.set(at("2027-03-14T13:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 1);
    let recipients: Vec<_> = smtp.received().iter().map(|m| m.rcpt_to[0].clone()).collect();
    assert_eq!(recipients, ["<p@example.com>", "<y@example.com>"]);
}

async fn leap_day_birthdays_are_greeted_by_their_rule(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[]).await;
    let ann = app.verified("ann").await;
    let t = &ann.access_token;
    add_birthday(&app, t, json!({"name": "Feb", "month": 2, "day": 29, "email": "feb@example.com", "send_greeting": true, "timezone": "UTC", "remind_me_days_before": []})).await;
    add_birthday(&app, t, json!({"name": "Mar", "month": 2, "day": 29, "leap_day_rule": "mar1", "email": "mar@example.com", "send_greeting": true, "timezone": "UTC", "remind_me_days_before": []})).await;
    let mut seen = 0;
    for (day, expected) in [
        ("2027-02-27T09:00:00Z", vec![]),
        ("2027-02-28T09:00:00Z", vec!["<feb@example.com>"]),
        ("2027-03-01T09:00:00Z", vec!["<mar@example.com>"]),
        ("2028-02-28T09:00:00Z", vec![]),
        ("2028-02-29T09:00:00Z", vec!["<feb@example.com>", "<mar@example.com>"]),
        ("2028-03-01T09:00:00Z", vec![]),
    ] {
        app.clock.set(at(day));
        sweep_and_send(&app).await;
        let received = smtp.received();
        let mut new: Vec<String> = received[seen..].iter().map(|m| m.rcpt_to[0].clone()).collect();
        new.sort();
        assert_eq!(new, expected, "on {day}");
        seen = received.len();
    }
}

async fn downtime_within_the_grace_window_catches_up_and_longer_downtime_skips(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[]).await;
    let ann = app.verified("ann").await;
    let t = &ann.access_token;
    add_birthday(&app, t, json!({"name": "Soon", "month": 12, "day": 10, "email": "soon@example.com", "send_greeting": true, "timezone": "UTC", "remind_me_days_before": []})).await;
    add_birthday(&app, t, json!({"name": "Later", "month": 12, "day": 12, "email": "later@example.com", "send_greeting": true, "timezone": "UTC", "remind_me_days_before": []})).await;
    // Down from before 09:00 on the 10th until 14:00: the greeting goes out on the first sweep, 5 hours late.
    app.clock.set(at("2026-12-10T14:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 1);
    // Down from the 11th until 10:00 on the 13th: the 12th's greeting is 25 hours late, so it is skipped.
    app.clock.set(at("2026-12-13T10:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 0);
    let ann = app.logged_in("ann").await;
    let entries = log(&app, &ann.access_token).await;
    let statuses: Vec<_> = entries
        .iter()
        .map(|e| (e["recipient"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [("later@example.com", "skipped"), ("soon@example.com", "sent")]
    );
    assert_eq!(smtp.received().len(), 1);
}

async fn reminders_go_to_verified_owners_only(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[]).await;
    let ann = app.verified("ann").await;
    let eve = app.signed_up("eve").await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&ann.access_token),
        Some(json!({"timezone": "Asia/Tokyo"})),
    )
    .await;
    let body = json!({"name": "Bo", "month": 12, "day": 24, "year": 2000, "remind_me_days_before": [7, 0], "email": "bo@example.com", "send_greeting": true, "timezone": "Asia/Tokyo"});
    add_birthday(&app, &ann.access_token, body.clone()).await;
    add_birthday(&app, &eve.access_token, body).await;
    let (_, task) = app
        .call(Method::POST, "/api/v1/tasks", Some(&ann.access_token), Some(json!({"title": "Buy a gift", "due_date": "2026-12-17", "due_time": "18:00", "remind_before_minutes": 60})))
        .await;
    // 09:00 on 17 December in Tokyo is 00:00 UTC: the 7-day reminder. The task reminder is due at 17:00 Tokyo time.
    app.clock.set(at("2026-12-17T00:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 1);
    app.clock.set(at("2026-12-17T08:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 1);
    let received = smtp.received();
    assert_eq!(received.len(), 2, "nothing for eve, whose address is not verified");
    assert_eq!(received[0].rcpt_to, ["<ann@example.com>"]);
    assert_eq!(received[0].parsed().subject(), Some("Bo's birthday is in 7 days"));
    assert!(received[0].parsed().body_text(0).unwrap().contains("(turning 26)"));
    assert_eq!(received[1].parsed().subject(), Some("Reminder: Buy a gift"));
    assert!(
        received[1].parsed().body_text(0).unwrap().contains("at 18:00"),
        "{task}"
    );
    // 09:00 on 24 December in Tokyo: Ann's day-of reminder (the second entry of [7, 0]) and Ann's greeting to Bo.
    // Eve's greeting to the same Bo is not sent: her address is not verified.
    app.clock.set(at("2026-12-24T00:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 2);
    let received = smtp.received();
    assert_eq!(received.len(), 4, "nothing for or from eve");
    let mut on_the_day: Vec<(String, Option<String>)> = received[2..]
        .iter()
        .map(|m| {
            let reply_to = m
                .parsed()
                .reply_to()
                .and_then(|r| r.first())
                .and_then(|a| a.address())
                .map(str::to_owned);
            (m.rcpt_to[0].clone(), reply_to)
        })
        .collect();
    on_the_day.sort();
    assert_eq!(
        on_the_day,
        [
            ("<ann@example.com>".to_owned(), None),
            ("<bo@example.com>".to_owned(), Some("ann@example.com".to_owned()))
        ]
    );
}

async fn temporary_failures_retry_and_permanent_ones_fail_with_the_reply(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[]).await;
    let ann = app.verified("ann").await;
    add_birthday(&app, &ann.access_token, json!({"name": "Bo", "month": 12, "day": 5, "email": "bo@example.com", "send_greeting": true, "timezone": "UTC", "remind_me_days_before": []})).await;
    app.clock.set(at("2026-12-05T09:00:00Z"));
    smtp.set_mode(Mode::TryLater);
    assert_eq!(sweep_and_send(&app).await, 0);
    let ann = app.logged_in("ann").await;
    let entry = &log(&app, &ann.access_token).await[0];
    assert_eq!(
        (entry["status"].as_str(), entry["attempts"].as_i64()),
        (Some("pending"), Some(1))
    );
    assert!(entry["last_error"].as_str().unwrap().contains("451"), "{entry}");
    smtp.set_mode(Mode::Accept);
    assert_eq!(
        api::jobs::deliver::dispatch_due(&app.state).await.unwrap(),
        0,
        "not before the backoff"
    );
    app.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(api::jobs::deliver::dispatch_due(&app.state).await.unwrap(), 1);
    assert_eq!(smtp.received().len(), 1);

    add_birthday(&app, &ann.access_token, json!({"name": "Gone", "month": 12, "day": 6, "email": "gone@example.com", "send_greeting": true, "timezone": "UTC", "remind_me_days_before": []})).await;
    app.clock.set(at("2026-12-06T09:00:00Z"));
    smtp.set_mode(Mode::Refuse);
    assert_eq!(sweep_and_send(&app).await, 0);
    let ann = app.logged_in("ann").await;
    let entry = &log(&app, &ann.access_token).await[0];
    assert_eq!(entry["status"], "failed");
    assert!(entry["last_error"].as_str().unwrap().contains("550"), "{entry}");
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        api::jobs::deliver::dispatch_due(&app.state).await.unwrap(),
        0,
        "a permanent failure is not retried"
    );
    assert_eq!(smtp.refused(), 2);
    // Once the address works again, the owner can have the failed greeting sent after all.
    smtp.set_mode(Mode::Accept);
    let ann = app.logged_in("ann").await;
    let (status, queued) = app
        .call(
            Method::POST,
            &format!("/api/v1/notifications/{}/resend", entry["id"]),
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_eq!(
        (status, queued["status"].as_str(), queued["attempts"].as_i64()),
        (StatusCode::ACCEPTED, Some("pending"), Some(0))
    );
    assert_eq!(api::jobs::deliver::dispatch_due(&app.state).await.unwrap(), 1);
    assert_eq!(smtp.received().last().unwrap().rcpt_to, ["<gone@example.com>"]);
}

async fn mail_waits_while_the_smtp_server_is_down_and_goes_once_when_it_is_back(backend: Backend) {
    let mut smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[]).await;
    let ann = app.verified("ann").await;
    add_birthday(&app, &ann.access_token, json!({"name": "Bo", "month": 12, "day": 5, "email": "bo@example.com", "send_greeting": true, "timezone": "UTC", "remind_me_days_before": []})).await;
    app.clock.set(at("2026-12-05T09:00:00Z"));
    smtp.go_down();
    assert_eq!(sweep_and_send(&app).await, 0);
    // Down for a while: each retry finds the port closed and waits longer.
    for _ in 0..3 {
        app.clock.advance(chrono::Duration::minutes(30));
        assert_eq!(api::jobs::deliver::dispatch_due(&app.state).await.unwrap(), 0);
    }
    let ann = app.logged_in("ann").await;
    let entry = &log(&app, &ann.access_token).await[0];
    assert_eq!(entry["status"], "pending", "{entry}");
    assert!(entry["attempts"].as_i64().unwrap() >= 2, "retried while down: {entry}");
    assert!(!entry["last_error"].as_str().unwrap_or("").is_empty(), "{entry}");

    smtp.come_back().await;
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(api::jobs::deliver::dispatch_due(&app.state).await.unwrap(), 1);
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(sweep_and_send(&app).await, 0, "nothing more to send");
    let received = smtp.received();
    assert_eq!(received.len(), 1, "delivered once");
    assert_eq!(received[0].rcpt_to, ["<bo@example.com>"]);
    let ann = app.logged_in("ann").await;
    let entry = &log(&app, &ann.access_token).await[0];
    assert_eq!(entry["status"], "sent", "{entry}");
}

async fn concurrent_sweeps_and_senders_deliver_each_message_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[("GREETINGS_PER_ACCOUNT_PER_DAY", "1000")]).await;
    let owners = [app.verified("ann").await, app.verified("bob").await];
    for i in 0..40 {
        let owner = &owners[i % 2];
        let body = json!({"name": format!("p{i}"), "month": 12, "day": 5, "email": format!("p{i}@example.com"), "send_greeting": true, "timezone": "UTC", "remind_me_days_before": []});
        add_birthday(&app, &owner.access_token, body).await;
    }
    app.clock.set(at("2026-12-05T09:30:00Z"));
    let sweeps = futures::future::join_all((0..4).map(|_| api::jobs::sweep::sweep(&app.state))).await;
    let recorded: usize = sweeps.into_iter().map(|r| r.unwrap().recorded).sum();
    assert_eq!(recorded, 40, "four sweeps at once record each greeting once");
    let senders = futures::future::join_all((0..4).map(|_| api::jobs::deliver::dispatch_due(&app.state))).await;
    let sent: usize = senders.into_iter().map(|r| r.unwrap()).sum();
    assert_eq!(sent, 40);
    let mut recipients: Vec<_> = smtp.received().iter().map(|m| m.rcpt_to[0].clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(
        (smtp.received().len(), recipients.len()),
        (40, 40),
        "every message once"
    );
}

async fn the_worker_in_serve_sends_without_being_asked(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(
        backend,
        &smtp,
        &[("TEST_RUN_WORKER", "1"), ("SWEEP_INTERVAL_SECONDS", "1")],
    )
    .await;
    let ann = app.verified("ann").await;
    add_birthday(&app, &ann.access_token, json!({"name": "Bo", "month": 12, "day": 4, "email": "bo@example.com", "send_greeting": true, "timezone": "UTC", "remind_me_days_before": []})).await;
    // The test clock says 12:00 on 4 December, three hours after the greeting was due.
    let received = smtp.wait_for(1, 30).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, ["<bo@example.com>"]);
}

async fn new_years_day_east_of_utc_and_the_daily_greeting_limit(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[("GREETINGS_PER_ACCOUNT_PER_DAY", "2")]).await;
    let ann = app.verified("ann").await;
    for name in ["a", "b", "c"] {
        let body = json!({"name": name, "month": 1, "day": 1, "email": format!("{name}@example.com"), "send_greeting": true,
                          "timezone": "Pacific/Kiritimati", "remind_me_days_before": []});
        add_birthday(&app, &ann.access_token, body).await;
    }
    // 09:00 on 1 January 2027 in Kiritimati is 19:00 UTC on 31 December 2026: still the old year in UTC.
    app.clock.set(at("2026-12-31T19:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 2, "two greetings, then the daily limit");
    let ann = app.logged_in("ann").await;
    let mut statuses: Vec<String> = log(&app, &ann.access_token)
        .await
        .iter()
        .map(|e| e["status"].as_str().unwrap().to_owned())
        .collect();
    statuses.sort();
    assert_eq!(statuses, ["sent", "sent", "skipped"]);
    assert_eq!(smtp.received().len(), 2);
}

async fn the_daily_greeting_limit_holds_when_many_senders_race(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[("GREETINGS_PER_ACCOUNT_PER_DAY", "3")]).await;
    let ann = app.verified("ann").await;
    for n in 0..12 {
        let body = json!({"name": format!("Friend {n}"), "month": 3, "day": 1, "email": format!("friend{n}@example.com"),
                          "send_greeting": true, "timezone": "UTC", "remind_me_days_before": []});
        add_birthday(&app, &ann.access_token, body).await;
    }
    app.clock.set(at("2027-03-01T09:00:00Z"));
    api::jobs::sweep::sweep(&app.state).await.unwrap();
    let lease = chrono::Duration::minutes(10);
    let ids = api::repo::notifications::due(&app.state.db, at("2027-03-01T09:00:00Z"), lease, 100)
        .await
        .unwrap();
    assert_eq!(ids.len(), 12, "twelve greetings are due");
    // Twelve senders at once, as several workers with many sends in flight would be.
    let senders = ids.into_iter().map(|id| {
        let state = app.state.clone();
        tokio::spawn(async move { api::jobs::deliver::deliver(&state, id).await.unwrap() })
    });
    let outcomes: Vec<_> = futures::future::join_all(senders)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let sent = outcomes
        .iter()
        .filter(|o| **o == api::jobs::deliver::Outcome::Sent)
        .count();
    assert_eq!(sent, 3, "{outcomes:?}");
    assert_eq!(smtp.received().len(), 3, "the server got exactly the daily limit");
    let ann = app.logged_in("ann").await;
    let entries = log(&app, &ann.access_token).await;
    let skipped: Vec<&Value> = entries.iter().filter(|e| e["status"] == "skipped").collect();
    assert_eq!(skipped.len(), 9, "{entries:?}");
    assert!(
        skipped
            .iter()
            .all(|e| e["last_error"].as_str().unwrap().contains("daily limit"))
    );
}

async fn notification_settings_turn_kinds_off_and_the_digest_on(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[]).await;
    let ann = app.verified("ann").await;
    let t = ann.access_token.clone();
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&t), None).await;
    assert_eq!(
        me["notifications"],
        json!({"birthday_reminders": true, "task_reminders": true, "release_alerts": true, "digest_time": null})
    );
    let settings =
        json!({"timezone": "Europe/Berlin", "notifications": {"birthday_reminders": false, "digest_time": "07:30"}});
    let (status, me) = app.call(Method::PATCH, "/api/v1/me", Some(&t), Some(settings)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        me["notifications"],
        json!({"birthday_reminders": false, "task_reminders": true, "release_alerts": true, "digest_time": "07:30"})
    );
    let (status, problem) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&t),
            Some(json!({"notifications": {"digest_time": "7.30"}})),
        )
        .await;
    assert_eq!(
        (status, crate::helpers::invalid_fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["notifications.digest_time".to_owned()]
        )
    );

    add_birthday(
        &app,
        &t,
        json!({"name": "Bo", "month": 12, "day": 9, "year": 1990, "remind_me_days_before": [0]}),
    )
    .await;
    app.call(
        Method::POST,
        "/api/v1/tasks",
        Some(&t),
        Some(json!({"title": "File taxes", "due_date": "2026-12-01"})),
    )
    .await;
    app.call(
        Method::POST,
        "/api/v1/tasks",
        Some(&t),
        Some(json!({"title": "Done already", "due_date": "2026-12-05", "completed": true})),
    )
    .await;
    // 07:30 in Berlin on 5 December is 06:30 UTC.
    app.clock.set(at("2026-12-05T06:29:00Z"));
    assert_eq!(sweep_and_send(&app).await, 0);
    app.clock.set(at("2026-12-05T06:30:00Z"));
    assert_eq!(sweep_and_send(&app).await, 1);
    let received = smtp.received();
    let digest = received[0].parsed();
    assert_eq!(digest.subject(), Some("Your plan for Saturday, 5 December 2026"));
    let text = digest.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(text.contains("- Task: File taxes (overdue)"), "{text}");
    assert!(text.contains("- Wed 9 Dec: Bo's birthday, turning 36"), "{text}");
    assert!(!text.contains("Done already"), "{text}");
    // The birthday reminder on the 9th is off; the digest that day still names it.
    app.clock.set(at("2026-12-09T08:00:00Z"));
    sweep_and_send(&app).await;
    let subjects: Vec<String> = smtp
        .received()
        .iter()
        .map(|m| m.parsed().subject().unwrap().to_owned())
        .collect();
    assert_eq!(
        subjects,
        [
            "Your plan for Saturday, 5 December 2026",
            "Your plan for Wednesday, 9 December 2026"
        ]
    );
}

async fn a_missed_digest_follows_the_grace_window_and_names_the_weeks_release(backend: Backend) {
    let (app, smtp, _tmdb) = app_with_smtp_and_tmdb(backend).await;
    let ann = app.verified("ann").await;
    let t = ann.access_token.clone();
    let settings = json!({"region": "DE", "timezone": "Europe/Berlin", "notifications": {"digest_time": "07:30"}});
    let (status, me) = app.call(Method::PATCH, "/api/v1/me", Some(&t), Some(settings)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let track = json!({"tmdb_id": crate::fake_tmdb::DUNE, "release_types": ["theatrical"]});
    let (status, alert) = app
        .call(Method::POST, "/api/v1/movie-alerts", Some(&t), Some(track))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    let task = json!({"title": "Buy tickets", "due_date": "2027-01-10"});
    let (status, task) = app.call(Method::POST, "/api/v1/tasks", Some(&t), Some(task)).await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    let digests = || -> Vec<(String, String)> {
        smtp.received()
            .iter()
            .map(|m| m.parsed())
            .filter(|m| m.subject().is_some_and(|s| s.starts_with("Your plan")))
            .map(|m| {
                (
                    m.subject().unwrap().to_owned(),
                    m.body_text(0).unwrap().replace("\r\n", "\n"),
                )
            })
            .collect()
    };

    // Down from before 07:30 on 9 January (Berlin) until 06:00 on the 10th: the 9th's digest is 22.5 hours late,
    // within the grace window, so it goes out now. Dune opens in German cinemas on Friday 15 January.
    app.clock.set(at("2027-01-10T05:00:00Z"));
    sweep_and_send(&app).await;
    let sent = digests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "Your plan for Saturday, 9 January 2027");
    assert!(sent[0].1.contains("Fri 15 Jan: Dune"), "{}", sent[0].1);
    assert!(
        !sent[0].1.contains("Buy tickets"),
        "not due yet on the 9th: {}",
        sent[0].1
    );

    // 07:30 on the 10th: the day's own digest, with the task due that day (not overdue) and the release.
    app.clock.set(at("2027-01-10T06:30:00Z"));
    sweep_and_send(&app).await;
    let sent = digests();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1].0, "Your plan for Sunday, 10 January 2027");
    assert!(sent[1].1.contains("- Task: Buy tickets\n"), "{}", sent[1].1);
    assert!(sent[1].1.contains("Fri 15 Jan: Dune"), "{}", sent[1].1);

    // Down from the 10th until 08:00 on the 12th: the 11th's digest is 24.5 hours late, beyond the grace window, so
    // it is logged as skipped, and the 12th's goes out.
    app.clock.set(at("2027-01-12T07:00:00Z"));
    sweep_and_send(&app).await;
    let sent = digests();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(sent[2].0, "Your plan for Tuesday, 12 January 2027");
    let ann = app.logged_in("ann").await;
    let log = log(&app, &ann.access_token).await;
    let skipped: Vec<&str> = log
        .iter()
        .filter(|e| e["kind"] == "digest" && e["status"] == "skipped")
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["Your plan for Monday, 11 January 2027"], "{log:?}");
}

async fn release_days_are_alerted_and_moved_dates_are_refreshed_once_per_movie(backend: Backend) {
    let (app, smtp, tmdb) = app_with_smtp_and_tmdb(backend).await;
    let fans = [app.verified("ann").await, app.verified("bob").await];
    for fan in &fans {
        app.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&fan.access_token),
            Some(json!({"region": "DE", "timezone": "Europe/Berlin"})),
        )
        .await;
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/movie-alerts",
                Some(&fan.access_token),
                Some(json!({"tmdb_id": crate::fake_tmdb::DUNE, "release_types": ["theatrical", "digital"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // A day later TMDB says the German digital release moved from 1 March to 15 March 2027.
    mount_dune_with_the_digital_release_moved(&tmdb).await;
    app.clock.set(at("2026-12-05T13:00:00Z"));
    let report = api::jobs::refresh::refresh_releases(&app.state).await.unwrap();
    assert_eq!(
        (report.movies, report.moved),
        (1, 2),
        "one call for the movie, one moved date for each of two fans"
    );
    assert_eq!(
        api::jobs::refresh::refresh_releases(&app.state).await.unwrap().movies,
        0,
        "fresh for a day"
    );
    assert_eq!(api::jobs::deliver::dispatch_due(&app.state).await.unwrap(), 2);
    let received = smtp.received();
    let message = received[0].parsed();
    assert_eq!(
        message.subject(),
        Some("Dune: Teil Drei moved from 1 March 2027 to 15 March 2027")
    );
    let ann = app.logged_in("ann").await;
    let (_, alerts) = app
        .call(Method::GET, "/api/v1/movie-alerts", Some(&ann.access_token), None)
        .await;
    assert_eq!(
        alerts["items"][0]["releases"][1],
        json!({"type": "digital", "date": "2027-03-15"})
    );

    // On the theatrical release day, at 09:00 in Berlin, each fan hears that it is out.
    app.clock.set(at("2027-01-15T08:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 2);
    let subjects: Vec<String> = smtp.received()[2..]
        .iter()
        .map(|m| m.parsed().subject().unwrap().to_owned())
        .collect();
    assert_eq!(
        subjects,
        ["Dune: Teil Drei is out today", "Dune: Teil Drei is out today"]
    );
}

async fn a_failing_tmdb_changes_no_alert_and_the_refresh_is_retried_within_the_hour(backend: Backend) {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let (app, smtp, tmdb) = app_with_smtp_and_tmdb(backend).await;
    let ann = app.verified("ann").await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&ann.access_token),
        Some(json!({"region": "DE"})),
    )
    .await;
    let (status, alert) = app
        .call(
            Method::POST,
            "/api/v1/movie-alerts",
            Some(&ann.access_token),
            Some(json!({"tmdb_id": crate::fake_tmdb::DUNE, "release_types": ["theatrical", "digital"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");

    // A day later, TMDB answers 500 to every call.
    tmdb.reset().await;
    Mock::given(method("GET"))
        .and(path(format!("/movie/{}", crate::fake_tmdb::DUNE)))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"status_code": 11, "status_message": "Internal error"})),
        )
        .mount(&tmdb)
        .await;
    app.clock.set(at("2026-12-05T13:00:00Z"));
    let report = api::jobs::refresh::refresh_releases(&app.state).await.unwrap();
    assert_eq!((report.movies, report.moved), (0, 0));
    let ann = app.logged_in("ann").await;
    let (_, alerts) = app
        .call(Method::GET, "/api/v1/movie-alerts", Some(&ann.access_token), None)
        .await;
    assert_eq!(
        alerts["items"][0]["releases"], alert["releases"],
        "the dates TMDB gave last stay"
    );
    assert!(
        log(&app, &ann.access_token).await.is_empty(),
        "no email about a move that did not happen"
    );
    let failed_calls = tmdb.received_requests().await.unwrap().len();
    assert!(failed_calls >= 1);

    // TMDB is back, with the digital release moved; the movie is not asked for again before the hour is up.
    mount_dune_with_the_digital_release_moved(&tmdb).await;
    app.clock.advance(chrono::Duration::minutes(30));
    assert_eq!(
        api::jobs::refresh::refresh_releases(&app.state).await.unwrap().movies,
        0
    );
    app.clock.advance(chrono::Duration::minutes(31));
    let report = api::jobs::refresh::refresh_releases(&app.state).await.unwrap();
    assert_eq!((report.movies, report.moved), (1, 1));
    assert_eq!(api::jobs::deliver::dispatch_due(&app.state).await.unwrap(), 1);
    assert_eq!(
        smtp.received()[0].parsed().subject(),
        Some("Dune: Teil Drei moved from 1 March 2027 to 15 March 2027")
    );
}

async fn reminders_follow_edits_and_birthdays_saved_before_the_index_are_indexed_at_migrate(backend: Backend) {
    use sea_orm::{EntityTrait as _, PaginatorTrait as _};
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp, &[]).await;
    let ann = app.verified("ann").await;
    let body = json!({"name": "Bo", "month": 12, "day": 24, "remind_me_days_before": [30], "timezone": "UTC"});
    let bo = add_birthday(&app, &ann.access_token, body).await;
    // Edited to a week before: the old reminder day no longer applies, the new one does.
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/birthdays/{}", bo["id"]),
            Some(&ann.access_token),
            Some(json!({"remind_me_days_before": [7]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // As if saved by a version without the index: its rows are gone until `migrate` puts them back.
    api::entity::birthday_reminder::Entity::delete_many()
        .exec(&app.state.db)
        .await
        .unwrap();
    app.clock.set(at("2026-12-17T09:00:00Z"));
    assert_eq!(sweep_and_send(&app).await, 0, "not indexed, not found");
    api::db::migrate(&app.state.db, &app.state.config).await.unwrap();
    let rows = api::entity::birthday_reminder::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert!(rows >= 1);
    assert_eq!(sweep_and_send(&app).await, 1);
    assert_eq!(
        smtp.received()[0].parsed().subject(),
        Some("Bo's birthday is in 7 days")
    );
    app.clock.set(at("2026-12-24T09:00:00Z"));
    assert_eq!(
        sweep_and_send(&app).await,
        0,
        "nothing on the day: the reminder is 7 days before only"
    );
}

/// The SMTP pool: one login per connection with the URL's (percent-encoded) credentials, and one connection reused
/// for messages sent one after another, each message arriving whole.
#[tokio::test]
async fn the_smtp_pool_logs_in_with_the_urls_credentials_and_reuses_its_connection() {
    use api::email::mailer::{Mailer as _, OutgoingEmail, SmtpMailer};
    let smtp = SmtpServer::start().await;
    let url = format!("smtp://ann%40example.com:p%40ss%20word@{}", smtp.addr);
    let mailer = SmtpMailer::new(&url, "Planner <planner@planner.test>".parse().unwrap()).unwrap();
    for n in 0..5 {
        let email = OutgoingEmail {
            message_id: format!("pool-{n}@planner.test"),
            to: format!("friend{n}@example.com"),
            from_name: None,
            reply_to: None,
            subject: format!("Message {n}"),
            text: format!("Body {n}"),
            html: format!("<p>Body {n}</p>"),
        };
        mailer.send(&email).await.unwrap();
    }
    mailer.check().await.unwrap();
    let received = smtp.received();
    assert_eq!(received.len(), 5);
    for (n, message) in received.iter().enumerate() {
        assert_eq!(message.rcpt_to, [format!("<friend{n}@example.com>")]);
        assert_eq!(message.parsed().subject(), Some(format!("Message {n}").as_str()));
    }
    assert_eq!(smtp.connections(), 1, "one connection for every message and the check");
    assert_eq!(
        smtp.logins(),
        [("ann@example.com".to_owned(), "p@ss word".to_owned())],
        "logged in once, with the decoded credentials"
    );
}
