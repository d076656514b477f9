//! `/api/v1/movies/search` and `/api/v1/movie-alerts`: finding movies on TMDB and waiting for their releases.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::users::{current_user, local_now};
use crate::auth::AuthUser;
use crate::domain::{FieldError, parse_region};
use crate::entity::movie_alert;
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::http::extract::{ApiQuery, Id};
use crate::http::json::double_option;
use crate::repo;
use crate::repo::pagination::{self, Cursor, Page};
use crate::state::AppState;
use crate::tmdb::{MovieDetails, ReleaseType, SearchQuery, TmdbError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_movies))
        .routes(routes!(list_movie_alerts, create_movie_alert))
        .routes(routes!(get_movie_alert, update_movie_alert, delete_movie_alert))
}

impl From<TmdbError> for ApiError {
    fn from(err: TmdbError) -> Self {
        match err {
            TmdbError::NotConfigured => Self::Unavailable(
                "TMDB is not configured on this server, so movies cannot be searched or tracked.".to_owned(),
            ),
            TmdbError::NotFound => Self::field("tmdb_id", "TMDB has no movie with this id"),
            TmdbError::Unavailable(_) => {
                Self::Unavailable("TMDB is not answering right now; try again in a minute.".to_owned())
            }
        }
    }
}

/// A search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchMoviesQuery {
    /// 1 to 200 characters.
    #[param(min_length = 1, max_length = 200)]
    pub query: String,
    /// Release year.
    #[param(minimum = 1870, maximum = 2100)]
    pub year: Option<i32>,
    /// 1 to 500, default 1.
    #[param(minimum = 1, maximum = 500)]
    pub page: Option<u32>,
}

/// A movie found on TMDB.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"tmdb_id": 603, "title": "The Matrix", "original_title": "The Matrix", "release_date": "1999-03-31",
    "overview": "Set in the 22nd century...", "poster_url": "https://image.tmdb.org/t/p/w342/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"}))]
pub struct MovieResponse {
    pub tmdb_id: i64,
    pub title: String,
    pub original_title: String,
    pub release_date: Option<NaiveDate>,
    pub overview: String,
    pub poster_url: Option<String>,
}

/// One page of search results.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"page": 1, "total_pages": 1, "total_results": 1, "items": [{"tmdb_id": 603, "title": "The Matrix",
    "original_title": "The Matrix", "release_date": "1999-03-31", "overview": "Set in the 22nd century...",
    "poster_url": "https://image.tmdb.org/t/p/w342/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"}]}))]
pub struct MovieSearchResponse {
    pub items: Vec<MovieResponse>,
    pub page: u32,
    pub total_pages: u32,
    pub total_results: u32,
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// No tracked release has happened yet.
    Waiting,
    /// At least one tracked release has happened.
    Released,
    /// The owner has been told.
    Notified,
}

/// The date of one tracked release type in the alert's region.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackedRelease {
    #[serde(rename = "type")]
    pub kind: ReleaseType,
    /// `null` when TMDB lists no such release in the region yet.
    pub date: Option<NaiveDate>,
}

/// The next tracked release.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextRelease {
    #[serde(rename = "type")]
    pub kind: ReleaseType,
    pub date: NaiveDate,
}

/// A movie the user waits for.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 5, "tmdb_id": 693134, "title": "Dune: Part Three", "original_title": "Dune: Part Three",
    "poster_url": "https://image.tmdb.org/t/p/w342/dune3.jpg", "region": "DE", "release_types": ["theatrical", "physical"], "notify_days_before": 7,
    "releases": [{"type": "theatrical", "date": "2027-01-15"}, {"type": "physical", "date": null}],
    "next_release": {"type": "theatrical", "date": "2027-01-15"}, "status": "waiting",
    "checked_at": "2026-12-04T12:00:00Z", "created_at": "2026-12-04T12:00:00Z", "updated_at": "2026-12-04T12:00:00Z"}))]
pub struct MovieAlertResponse {
    pub id: i64,
    pub tmdb_id: i64,
    pub title: String,
    pub original_title: String,
    pub poster_url: Option<String>,
    pub region: String,
    pub release_types: Vec<ReleaseType>,
    /// Also alert this many days before each release.
    pub notify_days_before: Option<i32>,
    /// One entry per tracked type; a `null` date says the region has none yet rather than guessing.
    pub releases: Vec<TrackedRelease>,
    /// The earliest tracked release today or later, in the owner's time zone.
    pub next_release: Option<NextRelease>,
    pub status: AlertStatus,
    /// When the dates were last read from TMDB.
    pub checked_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new alert.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tmdb_id": 603, "release_types": ["theatrical", "digital"], "region": "DE", "notify_days_before": 7}))]
pub struct CreateMovieAlertRequest {
    pub tmdb_id: i64,
    /// A non-empty set of `theatrical`, `digital`, `physical`.
    pub release_types: Vec<ReleaseType>,
    /// ISO 3166-1 alpha-2; defaults to the user's region.
    pub region: Option<String>,
    /// 1 to 60.
    #[schema(minimum = 1, maximum = 60)]
    pub notify_days_before: Option<i32>,
}

/// Changes to an alert; a new region re-reads the dates from TMDB.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"release_types": ["digital"], "region": "GB", "notify_days_before": null}))]
pub struct UpdateMovieAlertRequest {
    pub release_types: Option<Vec<ReleaseType>>,
    pub region: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 60)]
    pub notify_days_before: Option<Option<i32>>,
}

/// Paging through alerts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListMovieAlertsQuery {
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

pub fn release_types_of(alert: &movie_alert::Model) -> Vec<ReleaseType> {
    serde_json::from_str(&alert.release_types).unwrap_or_default()
}

pub fn release_date_of(alert: &movie_alert::Model, kind: ReleaseType) -> Option<NaiveDate> {
    match kind {
        ReleaseType::Theatrical => alert.theatrical_date,
        ReleaseType::Digital => alert.digital_date,
        ReleaseType::Physical => alert.physical_date,
    }
}

/// The tracked releases that have a date, in date order.
pub fn dated_releases(alert: &movie_alert::Model) -> Vec<(ReleaseType, NaiveDate)> {
    let mut releases: Vec<_> = release_types_of(alert)
        .into_iter()
        .filter_map(|k| Some((k, release_date_of(alert, k)?)))
        .collect();
    releases.sort_by_key(|(kind, date)| (*date, *kind));
    releases
}

pub fn alert_response(alert: movie_alert::Model, today: NaiveDate) -> MovieAlertResponse {
    let dated = dated_releases(&alert);
    let next_release = dated
        .iter()
        .find(|(_, date)| *date >= today)
        .map(|(kind, date)| NextRelease {
            kind: *kind,
            date: *date,
        });
    let status = if alert.notified_at.is_some() {
        AlertStatus::Notified
    } else if dated.iter().any(|(_, date)| *date <= today) {
        AlertStatus::Released
    } else {
        AlertStatus::Waiting
    };
    let release_types = release_types_of(&alert);
    MovieAlertResponse {
        releases: release_types
            .iter()
            .map(|kind| TrackedRelease {
                kind: *kind,
                date: release_date_of(&alert, *kind),
            })
            .collect(),
        release_types,
        next_release,
        status,
        id: alert.id,
        tmdb_id: alert.tmdb_id,
        title: alert.title,
        original_title: alert.original_title,
        poster_url: alert.poster_url,
        region: alert.region,
        notify_days_before: alert.notify_days_before,
        checked_at: alert.checked_at,
        created_at: alert.created_at,
        updated_at: alert.updated_at,
    }
}

/// Copies a movie's titles, poster and its dates in the alert's region onto the alert.
pub fn apply_movie(alert: &mut movie_alert::Model, movie: &MovieDetails, now: DateTime<Utc>) {
    alert.title = movie.summary.title.chars().take(300).collect();
    alert.original_title = movie.summary.original_title.chars().take(300).collect();
    alert.poster_url = movie.summary.poster_url.clone().filter(|u| u.len() <= 500);
    set_release_dates(alert, movie, now);
}

/// Copies a movie's dates in the alert's region onto the alert.
pub fn set_release_dates(alert: &mut movie_alert::Model, movie: &MovieDetails, now: DateTime<Utc>) {
    alert.theatrical_date = movie.release_date(&alert.region, ReleaseType::Theatrical);
    alert.digital_date = movie.release_date(&alert.region, ReleaseType::Digital);
    alert.physical_date = movie.release_date(&alert.region, ReleaseType::Physical);
    alert.checked_at = now;
}

/// Counts a request that costs a TMDB call against the caller's budget.
fn limit_tmdb(state: &AppState, auth: AuthUser) -> Result<(), ApiError> {
    state.admit_account(&state.tmdb_rate_limiter, "tmdb", auth.user_id)
}

fn parse_release_types(types: &[ReleaseType]) -> Result<String, String> {
    let mut types = types.to_vec();
    types.sort();
    types.dedup();
    if types.is_empty() {
        return Err("choose at least one of theatrical, digital, physical".to_owned());
    }
    Ok(serde_json::to_string(&types).unwrap_or_else(|_| "[]".to_owned()))
}

fn parse_notify_days(days: Option<i32>) -> Result<Option<i32>, String> {
    match days {
        Some(d) if !(1..=60).contains(&d) => Err("must be 1 to 60".to_owned()),
        other => Ok(other),
    }
}

/// Search TMDB for movies, in the caller's region and language. The TMDB credential stays on the server.
#[utoipa::path(get, path = "/api/v1/movies/search", tag = "movies", security(("bearer" = [])), params(SearchMoviesQuery),
    responses(
        (status = 200, description = "Matching movies", body = MovieSearchResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid query, year or page", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many searches from this account", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "TMDB is not configured or not answering", body = Problem, content_type = "application/problem+json"),
    ))]
async fn search_movies(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<SearchMoviesQuery>,
) -> Result<ApiJson<MovieSearchResponse>, ApiError> {
    let mut errors = Vec::new();
    let text = query.query.trim().to_owned();
    if text.is_empty() || text.chars().count() > 200 {
        errors.push(FieldError::new("query", "must be 1 to 200 characters"));
    }
    if query.year.is_some_and(|y| !(1870..=2100).contains(&y)) {
        errors.push(FieldError::new("year", "must be 1870 to 2100"));
    }
    let page = query.page.unwrap_or(1);
    if !(1..=500).contains(&page) {
        errors.push(FieldError::new("page", "must be 1 to 500"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    limit_tmdb(&state, auth)?;
    let user = current_user(&state, auth).await?;
    let results = state
        .tmdb
        .search(&SearchQuery {
            query: text,
            year: query.year,
            page,
            region: user.region.clone(),
            language: user.language.clone(),
        })
        .await?;
    Ok(ApiJson(MovieSearchResponse {
        items: results
            .movies
            .into_iter()
            .map(|m| MovieResponse {
                tmdb_id: m.tmdb_id,
                title: m.title,
                original_title: m.original_title,
                release_date: m.release_date,
                overview: m.overview,
                poster_url: m.poster_url,
            })
            .collect(),
        page: results.page,
        total_pages: results.total_pages,
        total_results: results.total_results,
    }))
}

/// List the caller's movie alerts in the order they were created.
#[utoipa::path(get, path = "/api/v1/movie-alerts", tag = "movies", security(("bearer" = [])), params(ListMovieAlertsQuery),
    responses(
        (status = 200, description = "One page of alerts", body = Page<MovieAlertResponse>),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_movie_alerts(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<ListMovieAlertsQuery>,
) -> Result<ApiJson<Page<MovieAlertResponse>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let cursor = query.cursor.as_deref().map(|c| Cursor::decode(c, "id")).transpose()?;
    let user = current_user(&state, auth).await?;
    let today = local_now(&state, &user).date_naive();
    let rows = repo::movie_alerts::list(&state.db, auth.user_id, cursor.as_ref(), limit).await?;
    Ok(ApiJson(pagination::page(
        rows,
        limit,
        repo::movie_alerts::cursor_of,
        |a| alert_response(a, today),
    )))
}

/// Track a movie: the server reads its release dates from TMDB and keeps those of the requested types in the region.
#[utoipa::path(post, path = "/api/v1/movie-alerts", tag = "movies", security(("bearer" = [])), request_body = CreateMovieAlertRequest,
    responses(
        (status = 201, description = "The new alert", body = MovieAlertResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller already tracks this movie", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or TMDB has no such movie", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many TMDB requests from this account", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "TMDB is not configured or not answering", body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_movie_alert(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<CreateMovieAlertRequest>,
) -> Result<(StatusCode, ApiJson<MovieAlertResponse>), ApiError> {
    let user = current_user(&state, auth).await?;
    let mut errors = Vec::new();
    if body.tmdb_id <= 0 {
        errors.push(FieldError::new("tmdb_id", "must be a TMDB movie id"));
    }
    let release_types = parse_release_types(&body.release_types)
        .map_err(|m| errors.push(FieldError::new("release_types", m)))
        .ok();
    let region = match &body.region {
        Some(region) => parse_region(region)
            .map_err(|m| errors.push(FieldError::new("region", m)))
            .ok(),
        None => Some(user.region.clone()),
    };
    let notify = parse_notify_days(body.notify_days_before)
        .map_err(|m| errors.push(FieldError::new("notify_days_before", m)))
        .ok();
    let (Some(release_types), Some(region), Some(notify_days_before)) = (release_types, region, notify) else {
        return Err(ApiError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // Known without asking TMDB, so a duplicate is a 409 even while TMDB is down.
    if repo::movie_alerts::find_by_tmdb_id(&state.db, user.id, body.tmdb_id)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict {
            field: "tmdb_id".to_owned(),
            message: "is already tracked".to_owned(),
        });
    }
    limit_tmdb(&state, auth)?;
    let movie = state.tmdb.movie(body.tmdb_id, &user.language).await?;
    let now = state.clock.now();
    let mut alert = movie_alert::Model {
        id: 0,
        user_id: user.id,
        tmdb_id: body.tmdb_id,
        title: String::new(),
        original_title: String::new(),
        poster_url: None,
        region,
        release_types,
        notify_days_before,
        theatrical_date: None,
        digital_date: None,
        physical_date: None,
        notified_at: None,
        checked_at: now,
        created_at: now,
        updated_at: now,
    };
    apply_movie(&mut alert, &movie, now);
    let saved = repo::owned::insert::<movie_alert::Entity, _>(&state.db, alert).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(alert_response(saved, local_now(&state, &user).date_naive())),
    ))
}

/// One of the caller's alerts.
#[utoipa::path(get, path = "/api/v1/movie-alerts/{id}", tag = "movies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, description = "The alert", body = MovieAlertResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such alert", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_movie_alert(
    State(state): State<AppState>,
    auth: AuthUser,
    Id(id): Id,
) -> Result<ApiJson<MovieAlertResponse>, ApiError> {
    let alert = repo::owned::find::<movie_alert::Entity>(&state.db, auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let user = current_user(&state, auth).await?;
    Ok(ApiJson(alert_response(alert, local_now(&state, &user).date_naive())))
}

/// Change the tracked types, the region or the advance notice.
#[utoipa::path(patch, path = "/api/v1/movie-alerts/{id}", tag = "movies", security(("bearer" = [])), request_body = UpdateMovieAlertRequest,
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, description = "The changed alert", body = MovieAlertResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such alert", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A new region needs TMDB, which is not configured or not answering", body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_movie_alert(
    State(state): State<AppState>,
    auth: AuthUser,
    Id(id): Id,
    ApiJson(body): ApiJson<UpdateMovieAlertRequest>,
) -> Result<ApiJson<MovieAlertResponse>, ApiError> {
    let mut alert = repo::owned::find::<movie_alert::Entity>(&state.db, auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let user = current_user(&state, auth).await?;
    let mut errors = Vec::new();
    if let Some(types) = &body.release_types {
        match parse_release_types(types) {
            Ok(types) => alert.release_types = types,
            Err(m) => errors.push(FieldError::new("release_types", m)),
        }
    }
    let new_region = match &body.region {
        Some(region) => parse_region(region)
            .map_err(|m| errors.push(FieldError::new("region", m)))
            .ok()
            .filter(|r| *r != alert.region),
        None => None,
    };
    if let Some(days) = body.notify_days_before {
        match parse_notify_days(days) {
            Ok(days) => alert.notify_days_before = days,
            Err(m) => errors.push(FieldError::new("notify_days_before", m)),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = state.clock.now();
    if let Some(region) = new_region {
        limit_tmdb(&state, auth)?;
        let movie = state.tmdb.movie(alert.tmdb_id, &user.language).await?;
        alert.region = region;
        apply_movie(&mut alert, &movie, now);
    }
    alert.updated_at = now;
    let saved = repo::owned::update::<movie_alert::Entity, _>(&state.db, alert).await?;
    Ok(ApiJson(alert_response(saved, local_now(&state, &user).date_naive())))
}

/// Stop tracking a movie.
#[utoipa::path(delete, path = "/api/v1/movie-alerts/{id}", tag = "movies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 204, description = "The alert is gone"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such alert", body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_movie_alert(State(state): State<AppState>, auth: AuthUser, Id(id): Id) -> Result<StatusCode, ApiError> {
    if repo::owned::delete::<movie_alert::Entity>(&state.db, auth.user_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
