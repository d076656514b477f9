//! The integration tests: one binary that starts the real server and talks HTTP to it, on SQLite and PostgreSQL.

#![expect(clippy::unwrap_used, reason = "a test should stop loudly at the first surprise")]

mod helpers;

mod access_tokens;
mod account_email;
mod accounts;
mod agenda;
mod birthdays;
mod cli;
mod delivery;
mod deploy;
mod errors;
mod fake_tmdb;
mod health;
mod hostile_input;
mod me;
mod metrics;
mod movies;
mod openapi;
mod process;
mod rate_limits;
mod refresh;
mod scale_out;
mod sessions;
mod smtp_server;
mod tasks;
mod web;
mod workers;
