//! `GET /metrics`: Prometheus text with real figures that change as the app is used; behind a token in production.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::on_both_databases;
use crate::smtp_server::SmtpServer;

on_both_databases!(
    metrics_count_requests_deliveries_and_jobs,
    in_production_metrics_need_the_token,
);

async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String) {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The value of the first sample whose line starts with `prefix`, or 0.
fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

async fn metrics_count_requests_deliveries_and_jobs(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(
        backend,
        &[
            ("SMTP_URL", url.as_str()),
            ("TEST_RUN_WORKER", "1"),
            ("SWEEP_INTERVAL_SECONDS", "1"),
        ],
    )
    .await;
    let (status, before) = scrape(&app, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(before.contains("# TYPE planner_http_request_duration_seconds histogram"));

    let ann = app.verified("ann").await;
    let (status, _) = app
        .call(Method::GET, "/api/v1/tasks", Some(&ann.access_token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(Method::GET, "/api/v1/tasks/12345", Some(&ann.access_token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let body = json!({"name": "Bo", "month": 12, "day": 4, "email": "bo@example.com", "send_greeting": true,
                      "timezone": "UTC", "remind_me_days_before": []});
    let (status, _) = app
        .call(Method::POST, "/api/v1/birthdays", Some(&ann.access_token), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(smtp.wait_for(1, 30).await.len(), 1);

    let (_, after) = scrape(&app, None).await;
    let tasks_ok = r#"planner_http_requests_total{method="GET",route="/api/v1/tasks",status="200"}"#;
    assert!(sample(&after, tasks_ok) >= 1.0 + sample(&before, tasks_ok), "{after}");
    // Routes are templates, never raw paths with ids in them.
    assert!(after.contains(r#"route="/api/v1/tasks/{id}",status="404""#));
    assert!(!after.contains("/api/v1/tasks/12345"));
    assert!(
        sample(
            &after,
            r#"planner_http_request_duration_seconds_count{method="GET",route="/api/v1/tasks",status="200"}"#
        ) >= 1.0
    );
    assert!(
        after.contains(r#"planner_deliveries{kind="birthday_greeting",status="sent"} 1"#),
        "{after}"
    );
    assert!(sample(&after, r#"planner_emails_total{outcome="sent"}"#) >= 1.0);
    assert!(
        after.contains(r#"planner_jobs{queue="planner.send-email",state="#),
        "the send job is on the queue's books: {after}"
    );

    // Finished jobs are pruned from the queue (the outbox keeps the log).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let pruned = api::jobs::queue::prune_finished(&app.state.db, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert!(pruned >= 1, "the finished send job is pruned");
    let (_, later) = scrape(&app, None).await;
    assert!(
        !later.contains(r#"planner_jobs{queue="planner.send-email",state="Done"}"#),
        "{later}"
    );
    assert!(later.contains(r#"planner_deliveries{kind="birthday_greeting",status="sent"} 1"#));
}

async fn in_production_metrics_need_the_token(backend: Backend) {
    let production = [
        ("PLANNER_ENV", "production"),
        ("PASSWORD_HASH_MEMORY_KIB", "19456"),
        ("PASSWORD_HASH_ITERATIONS", "2"),
    ];
    let open = spawn_app_with(backend, &production).await;
    assert_eq!(
        scrape(&open, None).await.0,
        StatusCode::NOT_FOUND,
        "off without a token"
    );

    let token = "metrics-token-0123456789abcdef";
    let mut settings = production.to_vec();
    settings.push(("METRICS_TOKEN", token));
    let guarded = spawn_app_with(backend, &settings).await;
    assert_eq!(scrape(&guarded, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(scrape(&guarded, Some("wrong")).await.0, StatusCode::NOT_FOUND);
    let (status, text) = scrape(&guarded, Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("planner_tmdb_requests_total"));
}
