//! `/api/v1/notifications`: the caller's delivery log, and sending a message again.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AuthUser;
use crate::entity::notification;
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::http::extract::{ApiQuery, Id};
use crate::repo;
use crate::repo::pagination::{self, Cursor, Page};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(resend_notification))
}

/// One message the planner sent, will send, or gave up on.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 9, "kind": "birthday_greeting", "subject": "Happy birthday, Bo!", "recipient": "bo@example.com",
    "due_at": "2026-12-24T08:00:00Z", "status": "sent", "attempts": 1, "last_error": null, "sent_at": "2026-12-24T08:00:03Z", "subject_id": 3}))]
pub struct NotificationResponse {
    pub id: i64,
    /// `birthday_greeting`, `birthday_reminder`, `task_reminder`, `release_alert`, `release_date_changed` or `digest`.
    pub kind: String,
    pub subject: String,
    pub recipient: String,
    pub due_at: DateTime<Utc>,
    /// `pending`, `sending`, `sent`, `failed` or `skipped` (missed by more than the grace window, or over a limit).
    pub status: String,
    pub attempts: i32,
    /// The mail server's reply to the last failed attempt.
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The birthday, task or movie alert it is about.
    pub subject_id: i64,
}

/// Paging through the log, latest first.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListNotificationsQuery {
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

fn response(row: notification::Model) -> NotificationResponse {
    NotificationResponse {
        id: row.id,
        kind: row.kind,
        subject: row.subject,
        recipient: row.recipient,
        due_at: row.due_at,
        status: row.status,
        attempts: row.attempts,
        last_error: row.last_error,
        sent_at: row.sent_at,
        subject_id: row.subject_id,
    }
}

/// The caller's delivery log, latest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), params(ListNotificationsQuery),
    responses(
        (status = 200, description = "One page of the log", body = Page<NotificationResponse>),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_notifications(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<ListNotificationsQuery>,
) -> Result<ApiJson<Page<NotificationResponse>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let cursor = query
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, "-due_at"))
        .transpose()?;
    let rows = repo::notifications::list(&state.db, auth.user_id, cursor.as_ref(), limit).await?;
    Ok(ApiJson(pagination::page(
        rows,
        limit,
        repo::notifications::cursor_of,
        response,
    )))
}

/// Send a message again, as soon as a worker gets to it: any failed or skipped one, and reminders and alerts that
/// were sent (greetings go to other people, so a sent greeting is not repeated).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/resend", tag = "notifications", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 202, description = "Queued; the log shows when it has gone", body = NotificationResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such notification", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is being sent right now, or is a greeting that already went out", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many resends", body = Problem, content_type = "application/problem+json"),
    ))]
async fn resend_notification(
    State(state): State<AppState>,
    auth: AuthUser,
    Id(id): Id,
) -> Result<(StatusCode, ApiJson<NotificationResponse>), ApiError> {
    state.admit_account(&state.rate_limiter, "resend", auth.user_id)?;
    if repo::notifications::find(&state.db, auth.user_id, id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    if !repo::notifications::requeue(&state.db, auth.user_id, id, state.clock.now()).await? {
        return Err(ApiError::Conflict {
            field: "status".to_owned(),
            message: "is being sent right now, or is a greeting that was already sent".to_owned(),
        });
    }
    let row = repo::notifications::find(&state.db, auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::ACCEPTED, ApiJson(response(row))))
}
