//! Typed configuration, read once from the environment (and a `.env` file) and validated at start-up.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use url::Url;

/// A value that must never reach a log line: `Debug` prints a placeholder.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Whether the instance runs for a developer or for real users.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordHashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl PasswordHashParams {
    /// The OWASP minimum for argon2id: 19 MiB, two passes, one lane.
    pub const OWASP: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
}

/// Per-client-address request budgets for the unauthenticated auth endpoints, and the per-account failed-login limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Login, register and refresh requests allowed per client address per window, for each endpoint.
    pub auth_requests_per_window: u32,
    pub window: Duration,
    /// Failed logins allowed per account per window before the account refuses logins until the window ends.
    pub failed_logins_per_account: u32,
    pub failed_login_window: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            auth_requests_per_window: 20,
            window: Duration::from_secs(60),
            failed_logins_per_account: 10,
            failed_login_window: Duration::from_secs(15 * 60),
        }
    }
}

/// Everything the application needs to start, already validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub environment: Environment,
    pub data_dir: PathBuf,
    pub database_url: Secret,
    /// Connections in the pool; `None` picks the backend's default (see `db::connect`).
    pub database_max_connections: Option<u32>,
    pub listen_addr: SocketAddr,
    pub public_base_url: Url,
    pub cors_allowed_origins: Vec<String>,
    pub jwt_secret: Secret,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub session_idle_timeout: Duration,
    pub session_max_lifetime: Duration,
    pub refresh_reuse_grace: Duration,
    pub password_hash: PasswordHashParams,
    pub password_hash_concurrency: usize,
    pub rate_limits: RateLimits,
    pub trust_forwarded_for: bool,
    pub default_timezone: String,
    pub default_region: String,
    pub log_format: LogFormat,
    pub tmdb_base_url: String,
    pub tmdb_api_token: Option<Secret>,
    pub tmdb_requests_per_second: u32,
    /// TMDB-backed requests (search, tracking a movie) one account may make per minute.
    pub tmdb_requests_per_user_per_minute: u32,
    /// Memory for rendered task-list pages kept per API process (`0` turns the cache off).
    pub task_page_cache_bytes: usize,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    /// How often each worker looks for deliveries that have come due.
    pub sweep_interval: Duration,
    /// How late a delivery missed while the service was down may still go out; older ones are skipped.
    pub delivery_grace: Duration,
    pub greetings_per_account_per_day: u32,
    /// How long a sender may hold a claimed delivery before another worker takes it over (the first one died).
    pub delivery_lease: Duration,
    /// Required as a bearer token by `GET /metrics`; without it the endpoint is open in development and off in
    /// production.
    pub metrics_token: Option<Secret>,
    /// Where `planner worker` answers `GET /metrics` and `GET /healthz` (off when unset): a worker serves no API, so
    /// its own figures (emails sent, retried and failed; TMDB calls) are only visible here.
    pub worker_metrics_addr: Option<SocketAddr>,
    /// The built browser app (`trunk build` writes it to `frontend/dist`).
    pub web_dir: std::path::PathBuf,
    /// Whether this process runs the background worker (`serve --no-worker` turns it off).
    pub run_worker: bool,
}

/// Every variable the application reads, for the README table and for `.env.example`.
pub const VARIABLES: &[&str] = &[
    "PLANNER_ENV",
    "PLANNER_DATA_DIR",
    "DATABASE_URL",
    "DATABASE_MAX_CONNECTIONS",
    "PLANNER_ADDR",
    "PUBLIC_BASE_URL",
    "CORS_ALLOWED_ORIGINS",
    "JWT_SECRET",
    "ACCESS_TOKEN_TTL_SECONDS",
    "PASSWORD_HASH_MEMORY_KIB",
    "PASSWORD_HASH_ITERATIONS",
    "PASSWORD_HASH_CONCURRENCY",
    "AUTH_RATE_LIMIT_PER_MINUTE",
    "LOGIN_FAILURES_PER_ACCOUNT",
    "TRUST_FORWARDED_FOR",
    "DEFAULT_TIMEZONE",
    "DEFAULT_REGION",
    "LOG_FORMAT",
    "TMDB_BASE_URL",
    "TMDB_API_TOKEN",
    "TMDB_RATE_LIMIT_PER_SECOND",
    "TMDB_USER_RATE_LIMIT_PER_MINUTE",
    "TASK_PAGE_CACHE_KIB",
    "SMTP_URL",
    "MAIL_FROM",
    "SWEEP_INTERVAL_SECONDS",
    "DELIVERY_GRACE_HOURS",
    "GREETINGS_PER_ACCOUNT_PER_DAY",
    "DELIVERY_LEASE_SECONDS",
    "WEB_DIR",
    "METRICS_TOKEN",
    "WORKER_METRICS_ADDR",
    "RUST_LOG",
];

/// All the problems found in the environment, one line per bad variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  {}", .0.join("\n  "))]
pub struct ConfigError(pub Vec<String>);

const MIN_PRODUCTION_SECRET_BYTES: usize = 32;
const JWT_SECRET_FILE: &str = "jwt-secret";

impl Config {
    /// Reads the configuration from the process environment, after loading `.env` if present.
    ///
    /// # Errors
    /// Every invalid variable is reported, not only the first.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing `.env` is the normal case; a malformed one is not worth refusing to start over.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any source of variables; tests pass a map.
    ///
    /// # Errors
    /// Every invalid variable is reported, not only the first.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut errors = Vec::new();

        let environment = match get("PLANNER_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                errors.push(format!(
                    "PLANNER_ENV: expected `development` or `production`, got `{other}`"
                ));
                Environment::Development
            }
        };
        let data_dir = PathBuf::from(get("PLANNER_DATA_DIR").unwrap_or_else(|| "./data".to_owned()));
        let database_url = get("DATABASE_URL").unwrap_or_else(|| default_sqlite_url(&data_dir));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            errors.push("DATABASE_URL: expected a `sqlite:` or `postgres://` URL".to_owned());
        }
        let database_max_connections = match get("DATABASE_MAX_CONNECTIONS") {
            None => None,
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => Some(n),
                _ => {
                    errors.push(format!(
                        "DATABASE_MAX_CONNECTIONS: expected a number from 1 to 1000, got `{raw}`"
                    ));
                    None
                }
            },
        };
        let listen_addr = parse_or(
            &get,
            "PLANNER_ADDR",
            "127.0.0.1:8080".parse().ok(),
            &mut errors,
            "an address such as 127.0.0.1:8080",
        );
        let worker_metrics_addr = parse_or(
            &get,
            "WORKER_METRICS_ADDR",
            None,
            &mut errors,
            "an address such as 0.0.0.0:9100",
        );
        let public_base_url = match get("PUBLIC_BASE_URL") {
            None => Url::parse(&format!(
                "http://{}",
                listen_addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)))
            ))
            .ok(),
            Some(raw) => match Url::parse(&raw) {
                Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
                _ => {
                    errors.push(format!(
                        "PUBLIC_BASE_URL: expected an http(s) URL such as https://planner.example.com, got `{raw}`"
                    ));
                    None
                }
            },
        };
        if environment == Environment::Production && get("PUBLIC_BASE_URL").is_none() {
            errors.push(
                "PUBLIC_BASE_URL: required in production (links in emails and cookie security depend on it)".to_owned(),
            );
        }
        let mut cors_allowed_origins = Vec::new();
        for origin in get("CORS_ALLOWED_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            match Url::parse(origin) {
                Ok(url)
                    if matches!(url.scheme(), "http" | "https")
                        && url.host().is_some()
                        && (url.path() == "/" || url.path().is_empty()) =>
                {
                    cors_allowed_origins.push(url.origin().ascii_serialization());
                }
                _ => errors.push(format!(
                    "CORS_ALLOWED_ORIGINS: `{origin}` is not an origin such as https://app.example.com"
                )),
            }
        }

        let jwt_secret = match get("JWT_SECRET") {
            Some(secret) if environment == Environment::Production && secret.len() < MIN_PRODUCTION_SECRET_BYTES => {
                errors.push(format!(
                    "JWT_SECRET: must be at least {MIN_PRODUCTION_SECRET_BYTES} bytes in production"
                ));
                None
            }
            Some(secret) if environment == Environment::Production && secret.starts_with("change-me") => {
                errors.push(
                    "JWT_SECRET: still the placeholder from .env.example; set at least 32 random bytes \
                     (`openssl rand -base64 48`)"
                        .to_owned(),
                );
                None
            }
            Some(secret) => Some(Secret::new(secret)),
            None if environment == Environment::Production => {
                errors.push(
                    "JWT_SECRET: required in production (at least 32 random bytes, e.g. `openssl rand -base64 48`)"
                        .to_owned(),
                );
                None
            }
            // In development the secret is created once and kept, so restarts do not log everybody out.
            None => match load_or_create_dev_secret(&data_dir) {
                Ok(secret) => Some(secret),
                Err(e) => {
                    errors.push(format!(
                        "JWT_SECRET: unset, and the development secret in {} could not be kept: {e}",
                        data_dir.display()
                    ));
                    None
                }
            },
        };

        let access_ttl_secs = parse_or(
            &get,
            "ACCESS_TOKEN_TTL_SECONDS",
            Some(600u64),
            &mut errors,
            "a number of seconds",
        );
        let memory_kib = parse_or(
            &get,
            "PASSWORD_HASH_MEMORY_KIB",
            Some(PasswordHashParams::OWASP.memory_kib),
            &mut errors,
            "a number of KiB",
        );
        let iterations = parse_or(
            &get,
            "PASSWORD_HASH_ITERATIONS",
            Some(PasswordHashParams::OWASP.iterations),
            &mut errors,
            "a number",
        );
        if environment == Environment::Production
            && (memory_kib.is_some_and(|m| m < PasswordHashParams::OWASP.memory_kib)
                || iterations.is_some_and(|t| t < PasswordHashParams::OWASP.iterations))
        {
            errors.push("PASSWORD_HASH_MEMORY_KIB/PASSWORD_HASH_ITERATIONS: below the OWASP minimum (19456 KiB, 2 iterations) in production".to_owned());
        }
        // One core is always left for everything else, so a flood of logins cannot stall the other requests.
        let default_concurrency = std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1));
        let password_hash_concurrency = parse_or(
            &get,
            "PASSWORD_HASH_CONCURRENCY",
            Some(default_concurrency),
            &mut errors,
            "a positive number",
        );
        if password_hash_concurrency == Some(0) {
            errors.push("PASSWORD_HASH_CONCURRENCY: must be at least 1".to_owned());
        }
        let defaults = RateLimits::default();
        let auth_per_minute = parse_or(
            &get,
            "AUTH_RATE_LIMIT_PER_MINUTE",
            Some(defaults.auth_requests_per_window),
            &mut errors,
            "a number",
        );
        let failures = parse_or(
            &get,
            "LOGIN_FAILURES_PER_ACCOUNT",
            Some(defaults.failed_logins_per_account),
            &mut errors,
            "a number",
        );
        let trust_forwarded_for = parse_bool(&get, "TRUST_FORWARDED_FOR", &mut errors);

        let default_timezone = get("DEFAULT_TIMEZONE").unwrap_or_else(|| "UTC".to_owned());
        if default_timezone.parse::<chrono_tz::Tz>().is_err() {
            errors.push(format!(
                "DEFAULT_TIMEZONE: `{default_timezone}` is not an IANA time zone"
            ));
        }
        let default_region = get("DEFAULT_REGION")
            .unwrap_or_else(|| "US".to_owned())
            .to_ascii_uppercase();
        if !crate::domain::is_region_code(&default_region) {
            errors.push(format!(
                "DEFAULT_REGION: `{default_region}` is not an ISO 3166-1 alpha-2 code"
            ));
        }
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                errors.push(format!("LOG_FORMAT: expected `text` or `json`, got `{other}`"));
                LogFormat::Text
            }
        };

        let tmdb_base_url = get("TMDB_BASE_URL").unwrap_or_else(|| "https://api.themoviedb.org/3".to_owned());
        if !Url::parse(&tmdb_base_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            errors.push(format!("TMDB_BASE_URL: `{tmdb_base_url}` is not an http(s) URL"));
        }
        let tmdb_api_token = get("TMDB_API_TOKEN").map(Secret::new);
        let tmdb_per_second = parse_or(&get, "TMDB_RATE_LIMIT_PER_SECOND", Some(20u32), &mut errors, "a number");
        if tmdb_per_second == Some(0) {
            errors.push("TMDB_RATE_LIMIT_PER_SECOND: must be at least 1".to_owned());
        }
        let tmdb_per_user = parse_or(
            &get,
            "TMDB_USER_RATE_LIMIT_PER_MINUTE",
            Some(60u32),
            &mut errors,
            "a number",
        );
        let task_page_cache_kib = parse_or(
            &get,
            "TASK_PAGE_CACHE_KIB",
            Some(4096usize),
            &mut errors,
            "a number of KiB",
        );
        if task_page_cache_kib.is_some_and(|kib| kib > 1024 * 1024) {
            errors.push("TASK_PAGE_CACHE_KIB: must be at most 1048576 (1 GiB)".to_owned());
        }
        let smtp_url = get("SMTP_URL").map(Secret::new);
        if let Some(url) = &smtp_url
            && !Url::parse(url.expose()).is_ok_and(|u| matches!(u.scheme(), "smtp" | "smtps"))
        {
            // The value may hold a password, so it is not repeated here.
            errors.push("SMTP_URL: expected smtp://user:password@host:587 or smtps://host:465".to_owned());
        }
        let mail_from = get("MAIL_FROM").unwrap_or_else(|| "All-in-One Planner <planner@localhost>".to_owned());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            errors.push(format!(
                "MAIL_FROM: `{mail_from}` is not an address such as \"Planner <planner@example.com>\""
            ));
        }
        let sweep_secs = parse_or(
            &get,
            "SWEEP_INTERVAL_SECONDS",
            Some(300u64),
            &mut errors,
            "a number of seconds",
        );
        if sweep_secs == Some(0) {
            errors.push("SWEEP_INTERVAL_SECONDS: must be at least 1".to_owned());
        }
        let grace_hours = parse_or(
            &get,
            "DELIVERY_GRACE_HOURS",
            Some(24u64),
            &mut errors,
            "a number of hours",
        );
        let lease_secs = parse_or(
            &get,
            "DELIVERY_LEASE_SECONDS",
            Some(600u64),
            &mut errors,
            "a number of seconds",
        );
        if lease_secs.is_some_and(|secs| !(2..=86_400).contains(&secs)) {
            errors.push("DELIVERY_LEASE_SECONDS: must be between 2 and 86400".to_owned());
        }
        let greetings_cap = parse_or(
            &get,
            "GREETINGS_PER_ACCOUNT_PER_DAY",
            Some(50u32),
            &mut errors,
            "a number",
        );

        if !errors.is_empty() {
            return Err(ConfigError(errors));
        }
        let missing = || ConfigError(vec!["internal: a validated value is missing".to_owned()]);
        let public_base_url = public_base_url.ok_or_else(missing)?;
        let own_origin = public_base_url.origin().ascii_serialization();
        Ok(Self {
            environment,
            data_dir,
            database_url: Secret::new(database_url),
            database_max_connections,
            listen_addr: listen_addr.ok_or_else(missing)?,
            jwt_issuer: own_origin.clone(),
            jwt_audience: format!("{own_origin}/api"),
            public_base_url,
            cors_allowed_origins,
            jwt_secret: jwt_secret.ok_or_else(missing)?,
            access_token_ttl: Duration::from_secs(access_ttl_secs.ok_or_else(missing)?),
            session_idle_timeout: Duration::from_secs(14 * 24 * 3600),
            session_max_lifetime: Duration::from_secs(30 * 24 * 3600),
            refresh_reuse_grace: Duration::from_secs(10),
            password_hash: PasswordHashParams {
                memory_kib: memory_kib.ok_or_else(missing)?,
                iterations: iterations.ok_or_else(missing)?,
                parallelism: 1,
            },
            password_hash_concurrency: password_hash_concurrency.ok_or_else(missing)?,
            rate_limits: RateLimits {
                auth_requests_per_window: auth_per_minute.ok_or_else(missing)?,
                failed_logins_per_account: failures.ok_or_else(missing)?,
                ..defaults
            },
            trust_forwarded_for,
            default_timezone,
            default_region,
            log_format,
            tmdb_base_url,
            tmdb_api_token,
            tmdb_requests_per_second: tmdb_per_second.ok_or_else(missing)?,
            tmdb_requests_per_user_per_minute: tmdb_per_user.ok_or_else(missing)?,
            task_page_cache_bytes: 1024 * task_page_cache_kib.ok_or_else(missing)?,
            smtp_url,
            mail_from,
            sweep_interval: Duration::from_secs(sweep_secs.ok_or_else(missing)?),
            delivery_grace: Duration::from_secs(3600 * grace_hours.ok_or_else(missing)?),
            greetings_per_account_per_day: greetings_cap.ok_or_else(missing)?,
            delivery_lease: Duration::from_secs(lease_secs.ok_or_else(missing)?),
            metrics_token: get("METRICS_TOKEN").map(Secret::new),
            worker_metrics_addr,
            web_dir: get("WEB_DIR").map_or_else(|| std::path::PathBuf::from("frontend/dist"), std::path::PathBuf::from),
            run_worker: true,
        })
    }

    /// Whether cookies must carry `Secure`.
    pub fn cookies_secure(&self) -> bool {
        self.public_base_url.scheme() == "https"
    }

    /// Origins allowed to use the refresh cookie: the app's own plus the configured CORS origins.
    pub fn trusted_origins(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::once(self.public_base_url.origin().ascii_serialization())
            .chain(self.cors_allowed_origins.iter().cloned())
    }

    /// A link into the app, built on `PUBLIC_BASE_URL` (never on a request's Host header).
    pub fn app_url(&self, path: &str) -> String {
        format!("{}{}", self.public_base_url.as_str().trim_end_matches('/'), path)
    }

    /// Where a user changes what the planner emails them.
    pub fn notification_settings_url(&self) -> String {
        self.app_url("/account#notifications")
    }

    /// Whether the database is PostgreSQL (otherwise SQLite).
    pub fn is_postgres(&self) -> bool {
        self.database_url.expose().starts_with("postgres")
    }
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("planner.db").display())
}

fn parse_or<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: Option<T>,
    errors: &mut Vec<String>,
    expected: &str,
) -> Option<T> {
    match get(name) {
        None => default,
        Some(raw) => match raw.parse() {
            Ok(value) => Some(value),
            Err(_) => {
                errors.push(format!("{name}: expected {expected}, got `{raw}`"));
                None
            }
        },
    }
}

fn parse_bool(get: &impl Fn(&str) -> Option<String>, name: &str, errors: &mut Vec<String>) -> bool {
    match get(name).as_deref() {
        None | Some("false" | "0" | "no") => false,
        Some("true" | "1" | "yes") => true,
        Some(other) => {
            errors.push(format!("{name}: expected true or false, got `{other}`"));
            false
        }
    }
}

/// Reads the development JWT secret from the data directory, creating it (readable by the owner only) the first time.
fn load_or_create_dev_secret(data_dir: &Path) -> std::io::Result<Secret> {
    let path = data_dir.join(JWT_SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing.trim().len() >= MIN_PRODUCTION_SECRET_BYTES => {
            return Ok(Secret::new(existing.trim()));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::auth::random_bytes::<48>());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    std::io::Write::write_all(&mut options.open(&path)?, secret.as_bytes())?;
    Ok(Secret::new(secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn production_without_a_secret_refuses_to_start() {
        let err = config(&[("PLANNER_ENV", "production"), ("PUBLIC_BASE_URL", "https://p.example")]).unwrap_err();
        assert!(err.to_string().contains("JWT_SECRET: required in production"), "{err}");
    }

    #[test]
    fn production_with_a_short_secret_refuses_to_start() {
        let err = config(&[
            ("PLANNER_ENV", "production"),
            ("PUBLIC_BASE_URL", "https://p.example"),
            ("JWT_SECRET", "too-short"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("at least 32 bytes"), "{err}");
    }

    #[test]
    fn production_refuses_the_placeholder_secret_of_env_example() {
        let example = include_str!("../../.env.example");
        let placeholder = example
            .lines()
            .find_map(|line| line.strip_prefix("JWT_SECRET="))
            .expect(".env.example sets JWT_SECRET");
        assert!(
            placeholder.len() >= MIN_PRODUCTION_SECRET_BYTES,
            "long enough to pass the length check"
        );
        let err = config(&[
            ("PLANNER_ENV", "production"),
            ("PUBLIC_BASE_URL", "https://p.example"),
            ("JWT_SECRET", placeholder),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("JWT_SECRET: still the placeholder"), "{err}");
    }

    #[test]
    fn development_secret_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dir_str = dir.path().to_str().unwrap();
        let first = config(&[("PLANNER_DATA_DIR", dir_str)]).unwrap();
        let second = config(&[("PLANNER_DATA_DIR", dir_str)]).unwrap();
        assert_eq!(first.jwt_secret.expose(), second.jwt_secret.expose());
        assert!(first.jwt_secret.expose().len() >= 32);
    }

    #[test]
    fn every_bad_value_is_reported_by_name() {
        let err = config(&[
            ("PLANNER_ADDR", "nope"),
            ("LOG_FORMAT", "xml"),
            ("DEFAULT_TIMEZONE", "Mars/Olympus"),
            ("JWT_SECRET", "x"),
        ])
        .unwrap_err();
        let text = err.to_string();
        for name in ["PLANNER_ADDR", "LOG_FORMAT", "DEFAULT_TIMEZONE"] {
            assert!(text.contains(name), "{name} missing from {text}");
        }
    }

    #[test]
    fn every_variable_read_is_listed_and_documented_in_the_readme() {
        let source = include_str!("config.rs");
        // The code that reads variables: after the VARIABLES list, before the tests.
        let start = source.find("pub struct ConfigError").unwrap();
        let end = source.find("#[cfg(test)]").unwrap();
        let readme = include_str!("../../README.md");
        let read: std::collections::BTreeSet<&str> = source[start..end]
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.len() > 3 && s.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .collect();
        let listed: std::collections::BTreeSet<&str> = VARIABLES.iter().copied().filter(|v| *v != "RUST_LOG").collect();
        assert_eq!(read, listed, "config.rs reads exactly the variables in VARIABLES");
        for variable in VARIABLES {
            assert!(
                readme.contains(&format!("| `{variable}` |")),
                "README does not document {variable}"
            );
        }
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let cfg = config(&[
            ("JWT_SECRET", "a-very-secret-value-that-must-not-print"),
            ("DATABASE_URL", "postgres://u:hunter2@db/x"),
        ])
        .unwrap();
        let debug = format!("{cfg:?}");
        assert!(
            !debug.contains("a-very-secret-value") && !debug.contains("hunter2"),
            "{debug}"
        );
    }
}
