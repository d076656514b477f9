//! Test harness: starts the real application on `127.0.0.1:0` against a fresh SQLite file or a fresh PostgreSQL
//! database, with a settable clock, and offers request helpers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use api::clock::ManualClock;
use api::config::Config;
use api::startup::Application;
use api::state::AppState;
use chrono::{DateTime, TimeZone as _, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The default PostgreSQL server for tests; `TEST_DATABASE_URL` overrides it.
const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A secret of production length, so tests run with a realistic key.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PUBLIC_BASE_URL: &str = "http://planner.test";
pub const PASSWORD: &str = "correct horse battery staple";

/// A database made for one test, dropped (PostgreSQL) or deleted with its directory (SQLite) when the test ends.
pub struct TestDatabase {
    pub url: String,
    pub data_dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Self {
        api::install_crypto_provider();
        // `TEST_LOG=1` shows the application's logs (all tests' together) when a test needs explaining.
        if std::env::var_os("TEST_LOG").is_some() {
            static LOGS: std::sync::Once = std::sync::Once::new();
            LOGS.call_once(|| api::telemetry::init(api::config::LogFormat::Text));
        }
        let data_dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}?mode=rwc", data_dir.path().join("planner.db").display()),
                data_dir,
                postgres: None,
            },
            Backend::Postgres => {
                let admin_url =
                    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned());
                let name = format!("planner_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = connect_admin(&admin_url).await;
                sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .unwrap_or_else(|e| panic!("creating a test database on {admin_url} (set TEST_DATABASE_URL): {e}"));
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    data_dir,
                    postgres: Some((admin_url, name)),
                }
            }
        }
    }
}

async fn connect_admin(url: &str) -> sea_orm::sqlx::PgConnection {
    use sea_orm::sqlx::Connection as _;
    sea_orm::sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url} (set TEST_DATABASE_URL to a PostgreSQL server): {e}"))
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            // Drop runs outside any runtime we may block, so use a thread with its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    let mut admin = connect_admin(&admin_url).await;
                    let _ = sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                });
            })
            .join();
        }
    }
}

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub database: Arc<TestDatabase>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// The moment every test's clock starts at.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0)
        .single()
        .expect("valid time")
}

/// The variables every test app gets; a test adds or overrides some.
pub fn test_env(database: &TestDatabase) -> HashMap<String, String> {
    [
        ("PLANNER_ADDR", "127.0.0.1:0"),
        ("PUBLIC_BASE_URL", PUBLIC_BASE_URL),
        ("JWT_SECRET", TEST_JWT_SECRET),
        ("PASSWORD_HASH_MEMORY_KIB", "1024"),
        ("PASSWORD_HASH_ITERATIONS", "1"),
        ("AUTH_RATE_LIMIT_PER_MINUTE", "10000"),
        ("LOGIN_FAILURES_PER_ACCOUNT", "1000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain([
        ("DATABASE_URL".to_owned(), database.url.clone()),
        (
            "PLANNER_DATA_DIR".to_owned(),
            database.data_dir.path().display().to_string(),
        ),
    ])
    .collect()
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, overrides: &[(&str, &str)]) -> TestApp {
    let database = Arc::new(TestDatabase::create(backend).await);
    spawn_app_on(backend, database, overrides, Arc::new(ManualClock::new(start_time()))).await
}

/// Starts another application process-equivalent on an existing database (for multi-instance tests).
pub async fn spawn_app_on(
    _backend: Backend,
    database: Arc<TestDatabase>,
    overrides: &[(&str, &str)],
    clock: Arc<ManualClock>,
) -> TestApp {
    let mut env = test_env(&database);
    for (key, value) in overrides {
        if value.is_empty() {
            env.remove(*key);
        } else {
            env.insert((*key).to_owned(), (*value).to_owned());
        }
    }
    // The background worker runs only where a test asks for it; others drive sweeps and deliveries themselves.
    let run_worker = env.remove("TEST_RUN_WORKER").is_some();
    let mut config = Config::from_lookup(|name| env.get(name).cloned()).expect("test configuration is valid");
    config.run_worker = run_worker;
    let app = Application::build(config, clock.clone())
        .await
        .expect("application builds");
    let addr = app.local_addr().expect("bound");
    let state = app.state().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        clock,
        state,
        database,
        shutdown: Some(tx),
        server: Some(server),
    }
}

/// A logged-in user.
#[derive(Clone)]
pub struct Session {
    pub user_id: i64,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Asks the server to stop; in-flight requests finish first.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }

    /// Sends a request and returns the status and the JSON body (or `Null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let response = self.request(method, path, token, body).await;
        let status = response.status();
        let text = response.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn register(&self, username: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(json!({"username": username, "email": format!("{username}@example.com"), "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    pub async fn login(&self, login: &str, password: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": login, "password": password})),
        )
        .await
    }

    /// Registers a user and logs in.
    pub async fn signed_up(&self, username: &str) -> Session {
        self.register(username).await;
        self.logged_in(username).await
    }

    /// Logs an existing user in once more (a new session).
    pub async fn logged_in(&self, username: &str) -> Session {
        let (status, body) = self.login(username, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        Session {
            user_id: body["user"]["id"].as_i64().expect("user id"),
            access_token: body["access_token"].as_str().expect("access token").to_owned(),
            refresh_token: body["refresh_token"].as_str().expect("refresh token").to_owned(),
        }
    }

    /// Registers and logs in a user whose address counts as verified (as if they had clicked the emailed link).
    pub async fn verified(&self, username: &str) -> Session {
        let session = self.signed_up(username).await;
        api::repo::users::mark_email_verified(&self.state.db, session.user_id, start_time())
            .await
            .unwrap();
        session
    }

    pub async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh_token})),
        )
        .await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.begin_shutdown();
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Asserts a problem document: status, content type, and the fields RFC 9457 requires.
pub async fn assert_problem(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    for field in ["type", "title", "detail"] {
        assert!(body[field].is_string(), "problem lacks {field}: {body}");
    }
    body
}

/// The fields named in a validation problem.
pub fn invalid_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Declares async test functions taking a [`Backend`] and runs each on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        )*
    };
}

/// A port nothing listens on (bound and released at once).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One figure from a Prometheus text page; fails the test when the series is missing.
pub fn figure(page: &str, series: &str) -> u64 {
    page.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{series} is not on the page:\n{page}"))
}
