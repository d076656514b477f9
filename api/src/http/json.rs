//! `ApiJson`: the JSON body extractor and response type, whose rejections are problem documents naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
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

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::UnsupportedMediaType => Self::UnsupportedMediaType,
            JsonRejection::TooLarge => Self::PayloadTooLarge,
            JsonRejection::Unreadable => Self::BadRequest("The request body could not be read.".to_owned()),
            JsonRejection::Malformed(detail) => Self::BadRequest(format!("The body is not valid JSON: {detail}")),
            JsonRejection::Invalid(error) => Self::Validation(vec![error]),
        }
    }
}

impl IntoResponse for JsonRejection {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// For endpoints whose body is optional: no body (or only white space) and JSON `null` are `None`; anything else must
/// be JSON.
///
/// # Errors
/// 415 for another content type, 400 for malformed JSON, 422 for the wrong shape.
pub fn optional<T: DeserializeOwned>(headers: &axum::http::HeaderMap, body: &[u8]) -> Result<Option<T>, JsonRejection> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !is_json(content_type) {
        return Err(JsonRejection::UnsupportedMediaType);
    }
    parse::<Option<T>>(body)
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
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                JsonRejection::TooLarge
            } else {
                JsonRejection::Unreadable
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// The path of the first string (or key) holding a NUL character, which PostgreSQL cannot store in text.
fn nul_path(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(&key.replace('\0', "")))
            } else {
                nul_path(item, &join(key))
            }
        }),
        _ => None,
    }
}

/// Parses a body, telling syntax errors (400) from values of the wrong shape (422, naming the field).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonRejection> {
    // JSON can only carry NUL escaped; look closer only when the escape appears at all.
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(path) = nul_path(&value, "")
    {
        return Err(JsonRejection::Invalid(FieldError::new(
            path,
            "must not contain NUL characters",
        )));
    }
    // Every body is an object, but serde would also read a struct from an array of its fields in order.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(JsonRejection::Invalid(FieldError::new("body", "must be a JSON object")));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => JsonRejection::Invalid(field_error(&path, &inner.to_string())),
            _ => JsonRejection::Malformed(inner.to_string()),
        }
    });
    let value = match value {
        // JSON Schema counts `7.0` as an integer, so a client may send one where an integer is documented.
        Err(JsonRejection::Invalid(error)) if error.message.contains("floating point") => {
            return with_whole_floats_as_integers(bytes);
        }
        other => other?,
    };
    deserializer
        .end()
        .map_err(|e| JsonRejection::Malformed(e.to_string()))?;
    Ok(value)
}

/// Deserializes again with every number that has no fraction written as an integer.
fn with_whole_floats_as_integers<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonRejection> {
    fn normalise(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Number(number) => {
                if let Some(float) = number.as_f64().filter(|f| number.is_f64() && f.fract() == 0.0)
                    && float.abs() < 9.0e15
                {
                    #[expect(clippy::cast_possible_truncation, reason = "a whole number well inside i64")]
                    let whole = float as i64;
                    *number = whole.into();
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(normalise),
            serde_json::Value::Object(map) => map.values_mut().for_each(normalise),
            _ => {}
        }
    }
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| JsonRejection::Malformed(e.to_string()))?;
    normalise(&mut value);
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        JsonRejection::Invalid(field_error(&path, &err.into_inner().to_string()))
    })
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
    fn nul_characters_are_refused_naming_the_field() {
        assert!(matches!(rejection(r#"{"name":"a\u0000b","age":1}"#), JsonRejection::Invalid(e) if e.field == "name"));
        assert!(
            matches!(parse::<serde_json::Value>(br#"{"x":[{"y":"\u0000"}]}"#), Err(JsonRejection::Invalid(e)) if e.field == "x[0].y")
        );
        assert!(
            parse::<serde_json::Value>(br#"{"x":"\\u0000"}"#).is_ok(),
            "an escaped backslash before u0000 is no NUL"
        );
    }

    #[test]
    fn syntax_errors_and_trailing_garbage_are_malformed() {
        assert!(matches!(rejection(r#"{"name":"a","#), JsonRejection::Malformed(_)));
        assert!(matches!(
            rejection(r#"{"name":"a","age":1} x"#),
            JsonRejection::Malformed(_)
        ));
        let deep = r#"{"a":"#.repeat(10_000) + "1" + &"}".repeat(10_000);
        let too_deep = parse::<serde_json::Value>(deep.as_bytes()).unwrap_err();
        assert!(
            matches!(too_deep, JsonRejection::Malformed(_)),
            "deep nesting stops at serde_json's recursion limit"
        );
    }

    #[test]
    fn a_body_is_an_object_not_an_array_of_the_fields() {
        let rejected = rejection(r#"["a", 1]"#);
        assert!(
            matches!(&rejected, JsonRejection::Invalid(e) if e.field == "body"),
            "{rejected:?}"
        );
    }

    #[test]
    fn whole_numbers_written_with_a_fraction_are_integers() {
        let parsed: Body = parse(br#"{"name": "a", "age": 7.0}"#).unwrap();
        assert_eq!(parsed.age, 7);
        let rejected = rejection(r#"{"name": "a", "age": 7.5}"#);
        assert!(
            matches!(&rejected, JsonRejection::Invalid(e) if e.field == "age"),
            "{rejected:?}"
        );
    }
}
