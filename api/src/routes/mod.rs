//! The route table: each resource module exports its `router()`, merged here, and the OpenAPI document they make.

pub mod account_email;
pub mod agenda;
pub mod auth;
pub mod birthdays;
pub mod export;
pub mod health;
pub mod me;
pub mod movies;
pub mod notifications;
pub mod tasks;
pub mod users;

use axum::Router;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "All-in-One Planner API",
        description = "Tasks, birthdays and movie release alerts for one person, with email delivery. \
            Log in at `POST /api/v1/auth/login`, then send `Authorization: Bearer <access_token>`. \
            Errors are RFC 9457 problem documents (`application/problem+json`).",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "agenda", description = "Everything in one date-ordered list, and the iCalendar feed"),
        (name = "auth", description = "Accounts, tokens and sessions"),
        (name = "me", description = "The caller's profile and account"),
        (name = "birthdays", description = "Birthdays, greetings and reminders"),
        (name = "movies", description = "TMDB search and movie release alerts"),
        (name = "notifications", description = "The delivery log of greetings, reminders and alerts"),
        (name = "tasks", description = "To-dos with due dates, priorities, labels, reminders and recurrence"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every documented route, with the OpenAPI document derived from them.
pub fn api() -> OpenApiRouter<AppState> {
    let mut router = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .nest("/api/v1/auth", auth::router())
        .merge(me::router())
        .merge(tasks::router())
        .merge(birthdays::router())
        .merge(movies::router())
        .merge(agenda::router())
        .merge(export::router())
        .merge(account_email::router())
        .merge(notifications::router());
    document_request_errors(router.get_openapi_mut());
    router
}

/// Documents, on every operation that can meet them, the answers given before its handler runs: 400 for a path or
/// query parameter of the wrong type or a body that is not JSON, and for operations with a body, 413, 415 and 422.
fn document_request_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let has_body = operation.request_body.is_some();
            let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description).into());
            };
            if has_body || has_parameters {
                add(
                    "400",
                    "Malformed request: a path or query parameter of the wrong type, or a body that is not JSON",
                );
            }
            if has_body {
                add("413", "The body is larger than 1 MiB");
                add("415", "The body is not sent as `application/json`");
                add("422", "A field is missing, unknown or invalid; `errors` names each one");
            }
        }
    }
}

/// The OpenAPI document, as served at `/api/openapi.json` and kept in `openapi.yaml`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// The whole router: the API, its document and Swagger UI, and the browser app for every other path.
pub fn router(state: AppState) -> Router {
    let (router, openapi) = api().split_for_parts();
    let web = std::sync::Arc::new(crate::web::WebApp::load(&state.config.web_dir));
    let app = tower::ServiceBuilder::new()
        .layer(tower_http::compression::CompressionLayer::new())
        .service_fn(move |request: axum::extract::Request| {
            let web = web.clone();
            async move { Ok::<_, std::convert::Infallible>(web.serve(request).await) }
        });
    router
        .merge(SwaggerUi::new("/docs").url("/api/openapi.json", openapi))
        .route("/metrics", axum::routing::get(crate::metrics::metrics))
        .route_layer(axum::middleware::from_fn(crate::metrics::track))
        .fallback_service(app)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::database_gate::database_gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::task_page_cache::forget_pages_after_writes,
        ))
        .with_state(state)
}
