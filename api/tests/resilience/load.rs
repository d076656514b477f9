//! A bounded mixed workload: 16 users reading and writing at once over 64 connections, with zero errors, and every
//! write the server acknowledged present afterwards (and every acknowledged delete gone).
//!
//! `LOAD_SECONDS` sets how long the load runs: 20 s by default, as CI runs it; `LOAD_SECONDS=60` for the full run
//! (`LOAD_SECONDS=60 cargo test -p api --test resilience load -- --nocapture`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(a_mixed_workload_has_no_errors_and_loses_no_acknowledged_write);

const CONNECTIONS: usize = 64;
const USERS: usize = 16;

/// What one connection did, and what the server acknowledged to it.
#[derive(Default)]
struct Outcome {
    requests: u64,
    errors: Vec<String>,
    /// Tasks this connection created and did not delete: id → (title, completed).
    live_tasks: HashMap<i64, (String, bool)>,
    deleted_tasks: Vec<i64>,
    birthdays: u64,
}

/// A small deterministic generator, so that each connection's mix is reproducible.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// One client connection's session: who it is, and what it has seen.
struct Connection {
    client: reqwest::Client,
    base: String,
    token: String,
    outcome: Outcome,
}

impl Connection {
    /// Sends a request; returns the body when the status is the expected one, and records an error otherwise.
    async fn send(&mut self, method: Method, path: &str, body: Option<Value>, expected: StatusCode) -> Option<Value> {
        self.outcome.requests += 1;
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        match request.send().await {
            Ok(response) if response.status() == expected => Some(response.json().await.unwrap_or(Value::Null)),
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                self.outcome.errors.push(format!("{method} {path}: {status} {text}"));
                None
            }
            Err(error) => {
                self.outcome.errors.push(format!("{method} {path}: {error}"));
                None
            }
        }
    }

    /// Runs a random mix of reads and writes until `until`.
    async fn run(mut self, index: usize, until: Instant) -> Outcome {
        let mut random = XorShift(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1));
        let mut made = 0_u64;
        let (ok, created) = (StatusCode::OK, StatusCode::CREATED);
        while Instant::now() < until {
            let roll = random.next() % 100;
            let pick = random.next() as usize;
            let live = self.outcome.live_tasks.len();
            match roll {
                0..40 => {
                    self.send(Method::GET, "/api/v1/tasks?limit=50", None, ok).await;
                }
                40..50 => {
                    self.send(Method::GET, "/api/v1/agenda", None, ok).await;
                }
                50..55 => {
                    self.send(Method::GET, "/api/v1/birthdays", None, ok).await;
                }
                55..80 => {
                    made += 1;
                    let title = format!("load {index}-{made} '; DROP TABLE tasks; --");
                    let body =
                        json!({"title": title, "priority": "high", "labels": ["load"], "due_date": "2027-01-15"});
                    if let Some(task) = self.send(Method::POST, "/api/v1/tasks", Some(body), created).await {
                        self.outcome
                            .live_tasks
                            .insert(task["id"].as_i64().unwrap(), (title, false));
                    }
                }
                80..90 if live > 0 => {
                    let id = *self.outcome.live_tasks.keys().nth(pick % live).unwrap();
                    let completed = !self.outcome.live_tasks[&id].1;
                    let path = format!("/api/v1/tasks/{id}");
                    if self
                        .send(Method::PATCH, &path, Some(json!({"completed": completed})), ok)
                        .await
                        .is_some()
                    {
                        self.outcome.live_tasks.get_mut(&id).unwrap().1 = completed;
                    }
                }
                90..95 if live > 0 => {
                    let id = *self.outcome.live_tasks.keys().nth(pick % live).unwrap();
                    let path = format!("/api/v1/tasks/{id}");
                    if self
                        .send(Method::DELETE, &path, None, StatusCode::NO_CONTENT)
                        .await
                        .is_some()
                    {
                        self.outcome.live_tasks.remove(&id);
                        self.outcome.deleted_tasks.push(id);
                    }
                }
                _ => {
                    made += 1;
                    let body =
                        json!({"name": format!("Friend {index}-{made}"), "month": 1 + made % 12, "day": 1 + made % 28});
                    let stored = self.send(Method::POST, "/api/v1/birthdays", Some(body), created).await;
                    self.outcome.birthdays += u64::from(stored.is_some());
                }
            }
        }
        self.outcome
    }
}

/// Every item of a paged list, following `next_cursor`.
async fn all_items(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(cursor) => format!("{path}?limit=200&cursor={cursor}"),
            None => format!("{path}?limit=200"),
        };
        let (status, page) = app.call(Method::GET, &url, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

async fn a_mixed_workload_has_no_errors_and_loses_no_acknowledged_write(backend: Backend) {
    let _turn = crate::ONE_AT_A_TIME.lock().await;
    let seconds: u64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let app = spawn_app_with(backend, &[]).await;
    let mut sessions = Vec::new();
    for user in 0..USERS {
        sessions.push(app.signed_up(&format!("load{user}")).await);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let connections: Vec<_> = (0..CONNECTIONS)
        .map(|index| {
            let connection = Connection {
                client: client.clone(),
                base: app.url(""),
                token: sessions[index % USERS].access_token.clone(),
                outcome: Outcome::default(),
            };
            tokio::spawn(connection.run(index, until))
        })
        .collect();
    let mut outcomes = Vec::new();
    for connection in connections {
        outcomes.push(connection.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let requests: u64 = outcomes.iter().map(|o| o.requests).sum();
    let errors: Vec<&String> = outcomes.iter().flat_map(|o| &o.errors).collect();
    println!(
        "{backend:?}: {requests} requests in {elapsed:.1} s over {CONNECTIONS} connections ({:.0}/s), {} errors",
        requests as f64 / elapsed,
        errors.len()
    );
    assert!(
        errors.is_empty(),
        "{} errors, the first: {:#?}",
        errors.len(),
        &errors[..errors.len().min(10)]
    );
    assert!(requests > CONNECTIONS as u64, "the load ran: {requests} requests");

    // Each user's tasks are exactly the acknowledged ones, in the acknowledged state; each deleted one is gone.
    for (user, session) in sessions.iter().enumerate() {
        let stored: HashMap<i64, (String, bool)> = all_items(&app, &session.access_token, "/api/v1/tasks")
            .await
            .into_iter()
            .map(|t| {
                let id = t["id"].as_i64().unwrap();
                (
                    id,
                    (
                        t["title"].as_str().unwrap().to_owned(),
                        t["completed"].as_bool().unwrap(),
                    ),
                )
            })
            .collect();
        let mine = outcomes.iter().enumerate().filter(|(index, _)| index % USERS == user);
        let mut expected = HashMap::new();
        let mut birthdays = 0;
        for (_, outcome) in mine {
            expected.extend(outcome.live_tasks.clone());
            for id in &outcome.deleted_tasks {
                assert!(
                    !stored.contains_key(id),
                    "deleted task {id} of load{user} is still there"
                );
            }
            birthdays += outcome.birthdays;
        }
        assert_eq!(stored, expected, "load{user}'s tasks are exactly the acknowledged ones");
        let stored_birthdays = all_items(&app, &session.access_token, "/api/v1/birthdays").await.len();
        assert_eq!(stored_birthdays as u64, birthdays, "load{user}'s birthdays");
    }
}
