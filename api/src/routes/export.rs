//! `/api/v1/me/export`: all of a user's data in one JSON document.

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_DISPOSITION;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::SessionResponse;
use super::birthdays::BirthdayResponse;
use super::movies::MovieAlertResponse;
use super::tasks::TaskResponse;
use super::users::{UserResponse, current_user, local_now};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::repo;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_me))
}

/// Everything the account holds, in the same shapes the API uses elsewhere.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"exported_at": "2026-12-04T12:00:00Z",
    "user": {"id": 1, "username": "ann", "email": "ann@example.com", "email_verified": false, "display_name": "Ann", "timezone": "UTC", "region": "US", "language": "en", "created_at": "2026-12-04T09:00:00Z"},
    "tasks": [], "birthdays": [], "movie_alerts": [], "sessions": []}))]
pub struct Export {
    pub exported_at: DateTime<Utc>,
    pub user: UserResponse,
    pub tasks: Vec<TaskResponse>,
    pub birthdays: Vec<BirthdayResponse>,
    pub movie_alerts: Vec<MovieAlertResponse>,
    pub sessions: Vec<SessionResponse>,
}

/// Download all of the caller's data as one JSON document.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "The export, as an attachment", body = Export),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
    ))]
async fn export_me(State(state): State<AppState>, auth: AuthUser) -> Result<Response, ApiError> {
    let owner = current_user(&state, auth).await?;
    let now = state.clock.now();
    let local = local_now(&state, &owner);
    let (today, hhmm) = (local.date_naive(), local.format("%H:%M").to_string());
    let tasks = repo::tasks::all_for_user(&state.db, owner.id).await?;
    let birthdays = repo::birthdays::all_for_user(&state.db, owner.id).await?;
    let alerts = repo::movie_alerts::all_for_user(&state.db, owner.id).await?;
    let sessions =
        repo::sessions::list_live_sessions(&state.db, owner.id, now, state.session_policy().idle_timeout).await?;
    let export = Export {
        exported_at: now,
        tasks: tasks
            .into_iter()
            .map(|t| super::tasks::task_response(t, today, &hhmm))
            .collect(),
        birthdays: birthdays
            .into_iter()
            .map(|b| super::birthdays::birthday_response(b, now, &owner))
            .collect(),
        movie_alerts: alerts
            .into_iter()
            .map(|a| super::movies::alert_response(a, today))
            .collect(),
        sessions: sessions
            .into_iter()
            .map(|s| super::auth::session_response(s, auth.session_id))
            .collect(),
        user: owner.into(),
    };
    let filename = format!("attachment; filename=\"planner-export-{}.json\"", today);
    let mut response = ApiJson(export).into_response();
    if let Ok(value) = HeaderValue::from_str(&filename) {
        response.headers_mut().insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
