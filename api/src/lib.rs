//! All-in-One Planner: the JSON API, its storage and the `planner` command line.

pub mod auth;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod email;
pub mod entity;
pub mod error;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod repo;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tmdb;
pub mod web;

/// Installs ring as rustls's crypto provider; call first in `main` and in test set-up.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
