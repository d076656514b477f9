//! Resilience under load and faults: a bounded mixed workload over 64 connections on SQLite and PostgreSQL, and a
//! PostgreSQL server restarted while requests are running. A test binary of its own, so that the load does not share
//! the machine with the timing-sensitive tests in `tests/api`.

#![expect(clippy::unwrap_used, reason = "a test should stop loudly at the first surprise")]

#[allow(dead_code, reason = "the shared harness offers more than these tests use")]
#[path = "../api/helpers.rs"]
mod helpers;

mod load;
mod postgres_restart;

/// The tests here take turns: each wants the machine to itself, so that its load or its timing is its own.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
