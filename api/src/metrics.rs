//! `GET /metrics` in Prometheus' text format.
//!
//! Counted in this process: HTTP requests per method, route and status with a latency histogram; emails sent,
//! retried, failed and returned; TMDB calls, their 429s and failures; the task page cache's hits, misses and size.
//! Read from the database at each scrape, so the figures cover every worker process: outbox deliveries by kind and
//! status, and queued jobs by queue and state.
//!
//! In production the endpoint answers only with `Authorization: Bearer $METRICS_TOKEN` (404 when no token is set);
//! in development it is open. `planner worker`, which serves no API, answers `/metrics` and `/healthz` on
//! `WORKER_METRICS_ADDR` when that is set ([`worker_router`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::state::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Latency {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Counters of events in this process.
#[derive(Default)]
pub struct Counters {
    pub emails_sent: AtomicU64,
    pub emails_retried: AtomicU64,
    pub emails_failed: AtomicU64,
    pub emails_returned: AtomicU64,
    pub tmdb_calls: AtomicU64,
    pub tmdb_rate_limited: AtomicU64,
    pub tmdb_failures: AtomicU64,
}

/// Every metric this process keeps.
#[derive(Default)]
pub struct Registry {
    requests: Mutex<BTreeMap<(String, String, u16), Latency>>,
    pub counters: Counters,
}

/// The process's registry.
pub static METRICS: LazyLock<Registry> = LazyLock::new(Registry::default);

/// Adds one to a counter.
pub fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Registry {
    fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut requests = self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        entry.count += 1;
        entry.sum += seconds;
        for (bucket, bound) in entry.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    fn render_process(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP planner_http_requests_total HTTP requests answered, by method, route and status."
        );
        let _ = writeln!(out, "# TYPE planner_http_requests_total counter");
        let requests = self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((method, route, status), latency) in requests.iter() {
            let _ = writeln!(
                out,
                "planner_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                latency.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP planner_http_request_duration_seconds Time to answer, by method, route and status."
        );
        let _ = writeln!(out, "# TYPE planner_http_request_duration_seconds histogram");
        for ((method, route, status), latency) in requests.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", escape(route));
            for (bound, count) in BUCKETS.iter().zip(latency.buckets) {
                let _ = writeln!(
                    out,
                    "planner_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "planner_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                latency.count
            );
            let _ = writeln!(
                out,
                "planner_http_request_duration_seconds_sum{{{labels}}} {}",
                latency.sum
            );
            let _ = writeln!(
                out,
                "planner_http_request_duration_seconds_count{{{labels}}} {}",
                latency.count
            );
        }
        drop(requests);
        let counters = &self.counters;
        let emails = [
            ("sent", &counters.emails_sent),
            ("retried", &counters.emails_retried),
            ("failed", &counters.emails_failed),
            ("returned", &counters.emails_returned),
        ];
        let _ = writeln!(
            out,
            "# HELP planner_emails_total Delivery attempts by this process, by outcome."
        );
        let _ = writeln!(out, "# TYPE planner_emails_total counter");
        for (outcome, counter) in emails {
            let _ = writeln!(
                out,
                "planner_emails_total{{outcome=\"{outcome}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP planner_tmdb_requests_total Calls to TMDB by this process, by result."
        );
        let _ = writeln!(out, "# TYPE planner_tmdb_requests_total counter");
        let tmdb = [
            ("all", &counters.tmdb_calls),
            ("rate_limited", &counters.tmdb_rate_limited),
            ("failed", &counters.tmdb_failures),
        ];
        for (result, counter) in tmdb {
            let _ = writeln!(
                out,
                "planner_tmdb_requests_total{{result=\"{result}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
    }
}

/// Compares two secrets in time that does not depend on where they differ.
fn same_secret(presented: &str, expected: &str) -> bool {
    use sha2::{Digest as _, Sha256};
    let (a, b) = (
        Sha256::digest(presented.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    a.iter().zip(b.iter()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Counts every request with its route template (never the raw path, which may hold ids or secrets).
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    METRICS.record_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let allowed = match &state.config.metrics_token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|presented| same_secret(presented, token.expose())),
        None => state.config.environment != crate::config::Environment::Production,
    };
    if !allowed {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut out = String::new();
    METRICS.render_process(&mut out);
    render_task_page_cache(&state, &mut out);
    render_database(&state, &mut out).await;
    let mut response = out.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The router a `planner worker` serves on `WORKER_METRICS_ADDR`: `/metrics` under the same rules as the API's, and
/// `/healthz` for a container health check.
pub fn worker_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .route("/healthz", axum::routing::get(crate::routes::health::healthz))
        .with_state(state)
}

/// This process's cache of task pages (see [`crate::http::task_page_cache`]).
fn render_task_page_cache(state: &AppState, out: &mut String) {
    let cache = &state.task_pages;
    let (hits, misses) = cache.hits_and_misses();
    let _ = writeln!(
        out,
        "# HELP planner_task_page_cache_lookups_total Task lists asked of this process's cache, by result."
    );
    let _ = writeln!(out, "# TYPE planner_task_page_cache_lookups_total counter");
    let _ = writeln!(out, "planner_task_page_cache_lookups_total{{result=\"hit\"}} {hits}");
    let _ = writeln!(out, "planner_task_page_cache_lookups_total{{result=\"miss\"}} {misses}");
    let _ = writeln!(
        out,
        "# HELP planner_task_page_cache_bytes Rendered task pages held in memory."
    );
    let _ = writeln!(out, "# TYPE planner_task_page_cache_bytes gauge");
    let _ = writeln!(out, "planner_task_page_cache_bytes {}", cache.bytes());
    let _ = writeln!(
        out,
        "# HELP planner_task_page_cache_enabled 1 while the cache serves pages (PostgreSQL: while it hears other processes' writes)."
    );
    let _ = writeln!(out, "# TYPE planner_task_page_cache_enabled gauge");
    let _ = writeln!(out, "planner_task_page_cache_enabled {}", u8::from(cache.enabled()));
}

/// Figures shared by all processes, read from the database.
async fn render_database(state: &AppState, out: &mut String) {
    let backend = state.db.get_database_backend();
    let deliveries =
        "SELECT kind, status, COUNT(*) AS n FROM notifications GROUP BY kind, status ORDER BY kind, status";
    let _ = writeln!(
        out,
        "# HELP planner_deliveries Outbox deliveries (all processes), by kind and status."
    );
    let _ = writeln!(out, "# TYPE planner_deliveries gauge");
    for (kind, status, n) in grouped(state, backend, deliveries).await {
        let _ = writeln!(
            out,
            "planner_deliveries{{kind=\"{}\",status=\"{}\"}} {n}",
            escape(&kind),
            escape(&status)
        );
    }
    let jobs_table = if backend == DatabaseBackend::Postgres {
        "apalis.jobs"
    } else {
        "Jobs"
    };
    let jobs = format!(
        "SELECT job_type, status, COUNT(*) AS n FROM {jobs_table} GROUP BY job_type, status ORDER BY job_type, status"
    );
    let _ = writeln!(
        out,
        "# HELP planner_jobs Jobs on the queues (all processes), by queue and state."
    );
    let _ = writeln!(out, "# TYPE planner_jobs gauge");
    for (queue, status, n) in grouped(state, backend, &jobs).await {
        let _ = writeln!(
            out,
            "planner_jobs{{queue=\"{}\",state=\"{}\"}} {n}",
            escape(&queue),
            escape(&status)
        );
    }
}

async fn grouped(state: &AppState, backend: DatabaseBackend, sql: &str) -> Vec<(String, String, i64)> {
    match state.db.query_all_raw(Statement::from_string(backend, sql)).await {
        Ok(rows) => rows
            .iter()
            .filter_map(|row| {
                Some((
                    row.try_get_by_index::<String>(0).ok()?,
                    row.try_get_by_index::<String>(1).ok()?,
                    row.try_get_by_index::<i64>(2).ok()?,
                ))
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error.cause = %e, "metrics: reading the database failed");
            Vec::new()
        }
    }
}
