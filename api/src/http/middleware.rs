//! The middleware stack: request ids and tracing, security headers, CORS, the body limit, and problem documents for
//! the error responses that axum and tower produce by themselves (404, 405, 413).

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, Request, Response, StatusCode};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::error::{PROBLEM_JSON, problem_response, status_problem};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Calendar-feed URLs carry their secret in the path.
pub const FEED_PATH_PREFIX: &str = "/api/v1/calendar/";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps the router in every layer; the order matters: the outermost layer sees the request first.
pub fn apply(router: Router, config: &Config) -> Router {
    let mut router = router
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(problem_for_bare_errors));
    if !config.cors_allowed_origins.is_empty() {
        let origins: Vec<HeaderValue> = config
            .cors_allowed_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .allow_credentials(true)
                .max_age(Duration::from_secs(3600)),
        );
    }
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
            let request_id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            // The path only: query strings may carry things that do not belong in logs. Calendar-feed paths are
            // secrets themselves.
            let path = request.uri().path();
            let path = if path.starts_with(FEED_PATH_PREFIX) {
                "/api/v1/calendar/{redacted}"
            } else {
                path
            };
            tracing::info_span!("request", http.method = %request.method(), http.path = %path, request.id = %request_id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Gives error responses that carry no body of ours (unknown route, wrong method, body too large) the problem shape.
async fn problem_for_bare_errors(response: Response<Body>) -> Response<Body> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with(PROBLEM_JSON) || content_type.starts_with("application/json") {
        return response;
    }
    let detail = match status {
        StatusCode::NOT_FOUND => "No such resource.",
        StatusCode::METHOD_NOT_ALLOWED => "This method is not allowed on this resource.",
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is larger than 1 MiB.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Send the body as application/json.",
        _ => "The request could not be handled.",
    };
    let (parts, _) = response.into_parts();
    let mut replaced = problem_response(&status_problem(status, detail));
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replaced.headers_mut().insert(name.clone(), value.clone());
        }
    }
    replaced
}
