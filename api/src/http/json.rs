//! `ApiJson`: the JSON body extractor and response type, whose rejections are problem documents naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::FieldError;
use crate::error::ApiError;

/// A JSON request body or response.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

/// Rejections of a JSON body, rendered through [`ApiError`] with the statuses RFC 9110 gives them.
#[derive(Debug)]
pub enum JsonRejection {
    UnsupportedMediaType,
    TooLarge,
    Unreadable,
    Malformed(String),
    Invalid(FieldError),
}

impl IntoResponse for JsonRejection {
    fn into_response(self) -> Response {
        let problem = match self {
            Self::UnsupportedMediaType => {
                crate::error::status_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Send the body as application/json.")
            }
            Self::TooLarge => {
                crate::error::status_problem(StatusCode::PAYLOAD_TOO_LARGE, "The request body is larger than 1 MiB.")
            }
            Self::Unreadable => {
                crate::error::status_problem(StatusCode::BAD_REQUEST, "The request body could not be read.")
            }
            Self::Malformed(detail) => crate::error::status_problem(
                StatusCode::BAD_REQUEST,
                &format!("The body is not valid JSON: {detail}"),
            ),
            Self::Invalid(error) => return ApiError::Validation(vec![error]).into_response(),
        };
        crate::error::problem_response(&problem)
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = JsonRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(content_type) {
            return Err(JsonRejection::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                JsonRejection::TooLarge
            } else {
                JsonRejection::Unreadable
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Parses a body, telling syntax errors (400) from values of the wrong shape (422, naming the field).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonRejection> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => JsonRejection::Invalid(field_error(&path, &inner.to_string())),
            _ => JsonRejection::Malformed(inner.to_string()),
        }
    })?;
    deserializer
        .end()
        .map_err(|e| JsonRejection::Malformed(e.to_string()))?;
    Ok(value)
}

/// serde names a missing or unknown field only in its message; pull the name out so the client can show it.
fn field_error(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message).to_owned();
    let quoted = message.split('`').nth(1).unwrap_or_default().to_owned();
    let top_level = path == "." || path.is_empty();
    let field = if message.starts_with("missing field") || message.starts_with("unknown field") {
        if top_level {
            quoted
        } else if path == quoted || path.ends_with(&format!(".{quoted}")) {
            path.to_owned()
        } else {
            format!("{path}.{quoted}")
        }
    } else if top_level {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    FieldError::new(field, message)
}

/// For PATCH bodies: tells an absent field (`None`, leave as is) from an explicit `null` (`Some(None)`, clear it).
///
/// Use with `#[serde(default, deserialize_with = "double_option")]`.
///
/// # Errors
/// When the value is of the wrong type.
pub fn double_option<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    serde::Deserialize::deserialize(deserializer).map(Some)
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Body {
        name: String,
        age: u8,
    }

    fn rejection(body: &str) -> JsonRejection {
        parse::<Body>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn wrong_types_missing_and_unknown_fields_name_the_field() {
        assert!(matches!(rejection(r#"{"name":"a","age":"x"}"#), JsonRejection::Invalid(e) if e.field == "age"));
        assert!(matches!(rejection(r#"{"name":"a"}"#), JsonRejection::Invalid(e) if e.field == "age"));
        assert!(matches!(rejection(r#"{"name":"a","age":1,"id":3}"#), JsonRejection::Invalid(e) if e.field == "id"));
    }

    #[test]
    fn syntax_errors_and_trailing_garbage_are_malformed() {
        assert!(matches!(rejection(r#"{"name":"a","#), JsonRejection::Malformed(_)));
        assert!(matches!(
            rejection(r#"{"name":"a","age":1} x"#),
            JsonRejection::Malformed(_)
        ));
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let too_deep = parse::<serde_json::Value>(deep.as_bytes()).unwrap_err();
        assert!(
            matches!(too_deep, JsonRejection::Malformed(_)),
            "deep nesting stops at serde_json's recursion limit"
        );
    }
}
