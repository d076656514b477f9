//! The API client. The access token lives only in memory; the refresh token only in its HttpOnly cookie, which page
//! scripts cannot read. A request answered 401 refreshes once and is repeated; if that fails the session is over and
//! the person is asked to log in again.

use futures::future::{FutureExt as _, LocalBoxFuture, Shared};
use gloo_net::http::{Method, Request};
use leptos::prelude::*;
use serde_json::Value;
use web_sys::RequestCredentials;

use crate::logic::{AuthStep, RefreshOutcome, auth_step, problem_messages, refresh_outcome};

/// A failed request: the status (0 when the server could not be reached), per-field messages and a summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub fields: Vec<(String, String)>,
    pub detail: String,
}

impl ApiError {
    fn network(error: impl std::fmt::Display) -> Self {
        Self {
            status: 0,
            fields: Vec::new(),
            detail: format!("The planner could not be reached ({error}). Check your connection and try again."),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

/// Who is logged in, shared through the context.
#[derive(Clone, Copy)]
pub struct Session {
    token: RwSignal<Option<String>>,
    pub user: RwSignal<Option<Value>>,
    /// Shown on the login page, such as "your session has ended".
    pub notice: RwSignal<Option<String>>,
    /// False until the first refresh on load has answered.
    pub ready: RwSignal<bool>,
    /// Why the refresh on load got no answer (the server down, a 5xx): shown with a way to try again.
    pub load_error: RwSignal<Option<String>>,
    /// The refresh in flight, which every request that meets a 401 meanwhile waits for instead of starting another.
    pending: StoredValue<Option<PendingRefresh>, LocalStorage>,
}

/// Whether a refresh renewed the session (`Ok(false)`: there is none), shared by everyone waiting for it.
type PendingRefresh = Shared<LocalBoxFuture<'static, Result<bool, ApiError>>>;

/// What the login page says after a 401 that a refresh could not cure.
pub const SESSION_ENDED: &str = "Your session has ended. Please log in again.";

impl Session {
    pub fn new() -> Self {
        Self {
            token: RwSignal::new(None),
            user: RwSignal::new(None),
            notice: RwSignal::new(None),
            ready: RwSignal::new(false),
            load_error: RwSignal::new(None),
            pending: StoredValue::new_local(None),
        }
    }

    /// On load: a live refresh cookie keeps the person logged in; a 401 means there is no session (the login page);
    /// anything else is an error to show with a way to try again, never a silent log-out.
    pub async fn start(self) {
        self.load_error.set(None);
        match self.refresh().await {
            Ok(_) => self.ready.set(true),
            Err(error) => self.load_error.set(Some(error.detail)),
        }
    }

    pub fn logged_in(self) -> bool {
        self.user.with(Option::is_some)
    }

    /// A field of the logged-in user, such as `timezone`.
    pub fn user_field(self, name: &str) -> String {
        self.user
            .with(|user| user.as_ref().and_then(|u| u[name].as_str().map(str::to_owned)))
            .unwrap_or_default()
    }

    /// Keeps what a login or refresh returned: the access token in memory, the user for the pages.
    fn accept_tokens(self, body: &Value) {
        self.token.set(body["access_token"].as_str().map(str::to_owned));
        self.user.set(Some(body["user"].clone()));
        self.notice.set(None);
    }

    /// Ends the session in this tab (the server's side is ended by logout, or has already ended).
    pub fn forget(self, notice: Option<&str>) {
        self.token.set(None);
        self.user.set(None);
        self.notice.set(notice.map(str::to_owned));
    }

    /// Exchanges the refresh cookie for a new access token: `Ok(false)` when there is no live session (a 401).
    /// Requests that need a refresh at the same time share one.
    ///
    /// # Errors
    /// No usable answer: the server could not be reached, or answered with something other than 200 or 401.
    pub async fn refresh(self) -> Result<bool, ApiError> {
        let pending = self.pending.get_value().unwrap_or_else(|| {
            let shared = async move {
                let result = self.exchange_cookie().await;
                self.pending.set_value(None);
                result
            }
            .boxed_local()
            .shared();
            self.pending.set_value(Some(shared.clone()));
            shared
        });
        pending.await
    }

    async fn exchange_cookie(self) -> Result<bool, ApiError> {
        let (status, body) = send(Method::POST, "/api/v1/auth/refresh", None, None).await?;
        match refresh_outcome(status) {
            RefreshOutcome::Renewed => {
                self.accept_tokens(&body);
                Ok(true)
            }
            RefreshOutcome::SignedOut => Ok(false),
            RefreshOutcome::Unavailable => {
                let (_, detail) = problem_messages(&body);
                Err(ApiError {
                    status,
                    fields: Vec::new(),
                    detail: format!("The planner could not renew your session just now ({status}: {detail})."),
                })
            }
        }
    }

    /// Logs in; the server also sets the refresh cookie.
    ///
    /// # Errors
    /// The API's answer when it refuses.
    pub async fn login(self, username: &str, password: &str) -> Result<(), ApiError> {
        let body = serde_json::json!({"username": username, "password": password});
        let (status, answer) = send(Method::POST, "/api/v1/auth/login", Some(&body), None).await?;
        if status == 200 {
            self.accept_tokens(&answer);
            Ok(())
        } else {
            Err(to_error(status, &answer))
        }
    }

    /// Ends the session on the server and here (a session the server no longer knows is ended here too).
    ///
    /// # Errors
    /// The server could not be reached or did not end the session: the refresh cookie would still log the person
    /// back in, so the session stays and the error is shown.
    pub async fn logout(self) -> Result<(), ApiError> {
        let (status, answer) = send(Method::POST, "/api/v1/auth/logout", None, None).await?;
        if !(200..300).contains(&status) && !matches!(status, 400 | 401) {
            return Err(to_error(status, &answer));
        }
        self.forget(Some("You have logged out."));
        Ok(())
    }

    /// Calls the API as the logged-in user.
    ///
    /// # Errors
    /// The API's problem document, or an unreachable server.
    pub async fn call(self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, ApiError> {
        let mut refreshed = false;
        loop {
            let token = self.token.get_untracked();
            let (status, answer) = send(method.clone(), path, body, token.as_deref()).await?;
            match auth_step(status, refreshed) {
                AuthStep::Accept if (200..300).contains(&status) => return Ok(answer),
                AuthStep::Accept => return Err(to_error(status, &answer)),
                // Another request refreshed while this one was on its way: the new token is worth one try.
                AuthStep::RefreshAndRetry if self.token.get_untracked() != token => refreshed = true,
                AuthStep::RefreshAndRetry => {
                    refreshed = true;
                    // A refresh that got no answer leaves the session alone: the page shows the error instead.
                    if !self.refresh().await? {
                        self.forget(Some(SESSION_ENDED));
                        return Err(to_error(status, &answer));
                    }
                }
                AuthStep::SignIn => {
                    self.forget(Some(SESSION_ENDED));
                    return Err(to_error(status, &answer));
                }
            }
        }
    }

    pub async fn get(self, path: impl Into<String>) -> Result<Value, ApiError> {
        let path = path.into();
        self.call(Method::GET, &path, None).await
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// The session from the context (provided by the app's root).
pub fn session() -> Session {
    expect_context::<Session>()
}

fn to_error(status: u16, answer: &Value) -> ApiError {
    let (fields, detail) = problem_messages(answer);
    ApiError { status, fields, detail }
}

/// One HTTP exchange with the API: the status and the JSON body (`null` when there is none).
async fn send(method: Method, path: &str, body: Option<&Value>, token: Option<&str>) -> Result<(u16, Value), ApiError> {
    let mut builder = Request::get(path)
        .method(method)
        .credentials(RequestCredentials::SameOrigin)
        .header("Accept", "application/json");
    if let Some(token) = token {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => builder.json(body),
        None => builder.build(),
    }
    .map_err(ApiError::network)?;
    let response = request.send().await.map_err(ApiError::network)?;
    let status = response.status();
    let text = response.text().await.map_err(ApiError::network)?;
    let answer = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    Ok((status, answer))
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
