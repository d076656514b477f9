//! The one error type of the API and its RFC 9457 `application/problem+json` rendering.
//!
//! Handlers return `Result<_, ApiError>`. Database errors are mapped here, in one place: a unique violation becomes
//! 409 naming the field; anything unexpected becomes a 500 whose cause is logged once and never shown.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "Your request has invalid fields",
    "status": 422,
    "detail": "1 field is invalid",
    "errors": [{"field": "username", "message": "must be 3 to 32 characters"}]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// One entry per invalid field, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<FieldError>,
}

/// Everything that can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("conflict on {field}")]
    Conflict { field: String, message: String },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The database could not be reached; the response closes the [database gate](crate::http::database_gate).
    #[error("database unreachable")]
    DatabaseUnreachable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) | Self::DatabaseUnreachable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem(&self) -> Problem {
        let status = self.status();
        let (kind, title, detail, errors) = match self {
            Self::Validation(errors) => (
                "/problems/validation",
                "Your request has invalid fields".to_owned(),
                match errors.len() {
                    1 => format!("{}: {}", errors[0].field, errors[0].message),
                    n => format!("{n} fields are invalid"),
                },
                errors.clone(),
            ),
            Self::BadRequest(detail) => ("about:blank", reason(status), detail.clone(), vec![]),
            Self::Unauthorized(detail) => (
                "/problems/unauthorized",
                "Authentication required".to_owned(),
                detail.clone(),
                vec![],
            ),
            Self::Forbidden(detail) => ("about:blank", reason(status), detail.clone(), vec![]),
            Self::NotFound => (
                "about:blank",
                reason(status),
                "The resource does not exist.".to_owned(),
                vec![],
            ),
            Self::Conflict { field, message } => (
                "/problems/conflict",
                "The request conflicts with stored data".to_owned(),
                format!("{field}: {message}"),
                vec![FieldError::new(field.clone(), message.clone())],
            ),
            Self::TooManyRequests { retry_after_secs } => (
                "/problems/rate-limited",
                reason(status),
                format!("Too many attempts; try again in {retry_after_secs} seconds."),
                vec![],
            ),
            Self::Unavailable(detail) => ("about:blank", reason(status), detail.clone(), vec![]),
            Self::DatabaseUnreachable => (
                "about:blank",
                reason(status),
                "The database is unavailable; try again shortly.".to_owned(),
                vec![],
            ),
            Self::UnsupportedMediaType => (
                "about:blank",
                reason(status),
                "Send the body as application/json.".to_owned(),
                vec![],
            ),
            Self::PayloadTooLarge => (
                "about:blank",
                reason(status),
                "The request body is larger than 1 MiB.".to_owned(),
                vec![],
            ),
            Self::Internal(_) => (
                "about:blank",
                reason(status),
                "Something went wrong on our side.".to_owned(),
                vec![],
            ),
        };
        Problem {
            kind: kind.to_owned(),
            title,
            status: status.as_u16(),
            detail,
            errors,
        }
    }
}

fn reason(status: StatusCode) -> String {
    status.canonical_reason().unwrap_or("Error").to_owned()
}

/// Renders a problem document with the right content type.
pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// A problem for a bare status, used for responses produced outside handlers (404, 405, 413, ...).
pub fn status_problem(status: StatusCode, detail: &str) -> Problem {
    Problem {
        kind: "about:blank".to_owned(),
        title: reason(status),
        status: status.as_u16(),
        detail: detail.to_owned(),
        errors: vec![],
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(error.cause = format!("{cause:#}"), "request failed");
        }
        let mut response = problem_response(&self.problem());
        match &self {
            Self::Unauthorized(detail) => {
                // RFC 6750: tell the client which scheme, and why the token was refused.
                let value = format!(
                    "Bearer realm=\"planner\", error=\"invalid_token\", error_description=\"{}\"",
                    detail.replace('"', "'")
                );
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Self::TooManyRequests { retry_after_secs } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Self::DatabaseUnreachable => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
                    .extensions_mut()
                    .insert(crate::http::database_gate::DatabaseUnreachable);
            }
            _ => {}
        }
        response
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) = err.sql_err() {
            return unique_violation(&message);
        }
        if matches!(
            err,
            sea_orm::DbErr::RecordNotUpdated | sea_orm::DbErr::RecordNotFound(_)
        ) {
            // The row went away between reading and writing it: deleted by a concurrent request.
            return Self::NotFound;
        }
        if is_unavailable(&err) {
            tracing::warn!(error.cause = %err, "database unavailable");
            return Self::DatabaseUnreachable;
        }
        Self::Internal(anyhow::Error::new(err))
    }
}

/// Names the field behind a unique index from the database's message, which mentions the column on both backends.
fn unique_violation(message: &str) -> ApiError {
    let field = ["username", "email", "tmdb_id"]
        .into_iter()
        .find(|name| message.contains(name))
        .unwrap_or("id");
    ApiError::Conflict {
        field: field.to_owned(),
        message: "is already taken".to_owned(),
    }
}

/// Whether the database could not be reached at all (as opposed to refusing a statement): no connection to be had,
/// a connection lost, or a server shutting down or starting up.
fn is_unavailable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                true
            }
            // PostgreSQL's class 57: admin_shutdown, crash_shutdown, cannot_connect_now.
            sqlx::Error::Database(db) => db
                .code()
                .is_some_and(|code| matches!(&*code, "57P01" | "57P02" | "57P03")),
            _ => false,
        },
        _ => false,
    }
}
