//! `/api/v1/agenda` (everything in a date window, in one list) and the iCalendar feed of the same for calendar apps.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate, NaiveTime, TimeZone as _};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::birthdays::{birth_date, leap_rule};
use super::movies::dated_releases;
use super::users::{current_user, local_now, user_timezone};
use crate::auth::AuthUser;
use crate::calendar::feed_token::FeedTokens;
use crate::calendar::ics::{Calendar, Event, When};
use crate::domain::birthday::LeapDayRule;
use crate::domain::check_date;
use crate::entity::{birthday, movie_alert, task, user};
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::http::client::ClientInfo;
use crate::http::extract::ApiQuery;
use crate::repo;
use crate::state::AppState;
use crate::tmdb::ReleaseType;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_agenda))
        .routes(routes!(get_calendar_feed, replace_calendar_feed))
        .routes(routes!(calendar_feed_ics))
}

const MAX_WINDOW_DAYS: i64 = 366;

/// What an agenda entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgendaKind {
    Birthday,
    Release,
    Task,
}

/// One thing that happens on a day.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "birthday", "date": "2026-12-24", "time": null, "title": "Bo's birthday", "source_id": 3,
    "age": 30, "release_type": null, "completed": null}))]
pub struct AgendaItem {
    pub kind: AgendaKind,
    pub date: NaiveDate,
    /// `HH:MM` in the user's time zone, for tasks due at a time.
    pub time: Option<String>,
    pub title: String,
    /// The id of the task, birthday or movie alert.
    pub source_id: i64,
    /// The age reached, for birthdays whose year is known.
    pub age: Option<i32>,
    /// For releases.
    pub release_type: Option<ReleaseType>,
    /// For tasks.
    pub completed: Option<bool>,
}

/// Everything in the window, in date order.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": "2026-12-04", "to": "2027-01-03", "items": [
    {"kind": "task", "date": "2026-12-10", "time": "14:30", "title": "Dentist", "source_id": 7, "age": null, "release_type": null, "completed": false},
    {"kind": "birthday", "date": "2026-12-24", "time": null, "title": "Bo's birthday", "source_id": 3, "age": 30, "release_type": null, "completed": null}]}))]
pub struct Agenda {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<AgendaItem>,
}

/// The window, both ends included.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgendaQuery {
    /// Default: today in the user's time zone.
    pub from: Option<NaiveDate>,
    /// Default: 30 days after `from`; at most 366 days after it.
    pub to: Option<NaiveDate>,
}

/// The secret URL of the user's calendar feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"url": "https://planner.example.com/api/v1/calendar/1-3q2-7wEjR1Yc0wLh7tE5Qb2c2k8q.ics"}))]
pub struct CalendarFeed {
    /// Subscribe to this URL in a calendar app. Anyone who has it can read the calendar; replace it if it leaks.
    pub url: String,
}

fn birthday_title(birthday: &birthday::Model) -> String {
    format!("{}'s birthday", birthday.name)
}

fn release_title(alert: &movie_alert::Model, kind: ReleaseType) -> String {
    format!("{} ({} release, {})", alert.title, kind.as_str(), alert.region)
}

/// Builds the agenda of a window from the user's rows.
pub fn agenda_items(
    tasks: Vec<task::Model>,
    birthdays: &[birthday::Model],
    alerts: &[movie_alert::Model],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<AgendaItem> {
    let mut items: Vec<AgendaItem> = tasks
        .into_iter()
        .filter_map(|t| {
            Some(AgendaItem {
                kind: AgendaKind::Task,
                date: t.due_date?,
                time: t.due_time,
                title: t.title,
                source_id: t.id,
                age: None,
                release_type: None,
                completed: Some(t.completed),
            })
        })
        .collect();
    for b in birthdays {
        let date = birth_date(b);
        for occurrence in date.occurrences_between(from, to, leap_rule(b)) {
            items.push(AgendaItem {
                kind: AgendaKind::Birthday,
                date: occurrence,
                time: None,
                title: birthday_title(b),
                source_id: b.id,
                age: date.age_at(occurrence),
                release_type: None,
                completed: None,
            });
        }
    }
    for alert in alerts {
        for (kind, date) in dated_releases(alert)
            .into_iter()
            .filter(|(_, d)| *d >= from && *d <= to)
        {
            items.push(AgendaItem {
                kind: AgendaKind::Release,
                date,
                time: None,
                title: release_title(alert, kind),
                source_id: alert.id,
                age: None,
                release_type: Some(kind),
                completed: None,
            });
        }
    }
    items.sort_by(|a, b| {
        (a.date, &a.time, a.kind, &a.title, a.source_id).cmp(&(b.date, &b.time, b.kind, &b.title, b.source_id))
    });
    items
}

/// Everything that happens between two dates: tasks due, birthdays with the age reached, movie releases.
#[utoipa::path(get, path = "/api/v1/agenda", tag = "agenda", security(("bearer" = [])), params(AgendaQuery),
    responses(
        (status = 200, description = "The agenda, in date order", body = Agenda),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid window", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_agenda(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<AgendaQuery>,
) -> Result<ApiJson<Agenda>, ApiError> {
    for (field, date) in [("from", query.from), ("to", query.to)] {
        if let Some(Err(message)) = date.map(check_date) {
            return Err(ApiError::field(field, message));
        }
    }
    let owner = current_user(&state, auth).await?;
    let from = query.from.unwrap_or_else(|| local_now(&state, &owner).date_naive());
    let to = match query.to {
        Some(to) => to,
        None => from
            .checked_add_days(Days::new(30))
            .ok_or_else(|| ApiError::field("from", "is out of range"))?,
    };
    if to < from {
        return Err(ApiError::field("to", "must not be before from"));
    }
    if (to - from).num_days() > MAX_WINDOW_DAYS {
        return Err(ApiError::field(
            "to",
            format!("must be at most {MAX_WINDOW_DAYS} days after from"),
        ));
    }
    let tasks = repo::tasks::due_between(&state.db, owner.id, from, to).await?;
    let birthdays = repo::birthdays::all_for_user(&state.db, owner.id).await?;
    let alerts = repo::movie_alerts::all_for_user(&state.db, owner.id).await?;
    let items = agenda_items(tasks, &birthdays, &alerts, from, to);
    Ok(ApiJson(Agenda { from, to, items }))
}

fn feed_url(state: &AppState, owner: &user::Model) -> String {
    let token = state.feed_tokens.token(owner.id, owner.calendar_feed_version);
    state.config.app_url(&format!("/api/v1/calendar/{token}.ics"))
}

/// The URL of the caller's calendar feed.
#[utoipa::path(get, path = "/api/v1/me/calendar-feed", tag = "agenda", security(("bearer" = [])),
    responses(
        (status = 200, description = "The feed URL", body = CalendarFeed),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_calendar_feed(State(state): State<AppState>, auth: AuthUser) -> Result<ApiJson<CalendarFeed>, ApiError> {
    let owner = current_user(&state, auth).await?;
    Ok(ApiJson(CalendarFeed {
        url: feed_url(&state, &owner),
    }))
}

/// Replace the feed URL: the old one stops working at once.
#[utoipa::path(post, path = "/api/v1/me/calendar-feed", tag = "agenda", security(("bearer" = [])),
    responses(
        (status = 200, description = "The new feed URL", body = CalendarFeed),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
    ))]
async fn replace_calendar_feed(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<ApiJson<CalendarFeed>, ApiError> {
    let owner = current_user(&state, auth).await?;
    let owner = repo::users::bump_calendar_feed_version(&state.db, owner).await?;
    Ok(ApiJson(CalendarFeed {
        url: feed_url(&state, &owner),
    }))
}

/// The RRULE that keeps a birthday on its day every year, 29 February included.
fn birthday_rule(birthday: &birthday::Model) -> &'static str {
    if birthday.month == 2 && birthday.day == 29 {
        match leap_rule(birthday) {
            // The last day of February: the 29th in leap years, the 28th otherwise.
            LeapDayRule::Feb28 => "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1",
            // The 60th day of the year: 29 February in leap years, 1 March otherwise.
            LeapDayRule::Mar1 => "FREQ=YEARLY;BYYEARDAY=60",
        }
    } else {
        "FREQ=YEARLY"
    }
}

/// The calendar feed (RFC 5545): birthdays as yearly all-day events, tasks with a due date, and movie releases.
/// The token in the path is the only credential; stable UIDs let calendar apps update events rather than duplicate them.
#[utoipa::path(get, path = "/api/v1/calendar/{feed}", tag = "agenda",
    params(("feed" = String, Path, description = "`<token>.ics`, as in the URL from `GET /api/v1/me/calendar-feed`")),
    responses(
        (status = 200, description = "The calendar", content_type = "text/calendar", body = String),
        (status = 404, description = "No feed has this URL (it may have been replaced)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address", body = Problem, content_type = "application/problem+json"),
    ))]
async fn calendar_feed_ics(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(feed): Path<String>,
) -> Result<Response, ApiError> {
    state.admit_address("calendar", &client)?;
    let token = feed.strip_suffix(".ics").ok_or(ApiError::NotFound)?;
    let user_id = FeedTokens::claimed_user(token).ok_or(ApiError::NotFound)?;
    let owner = repo::users::find_by_id(&state.db, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !state.feed_tokens.verify(token, owner.id, owner.calendar_feed_version) {
        return Err(ApiError::NotFound);
    }
    let host = state.config.public_base_url.host_str().unwrap_or("planner").to_owned();
    let now = state.clock.now();
    let zone = user_timezone(&owner);
    let mut calendar = Calendar::new(&format!("{} — All-in-One Planner", owner.display_name));

    for b in repo::birthdays::all_for_user(&state.db, owner.id).await? {
        let date = birth_date(&b);
        // The first celebration: the birth date itself when the year is known, else one in a leap year.
        let start = NaiveDate::from_ymd_opt(b.year.unwrap_or(2000), date.month, date.day).unwrap_or(NaiveDate::MIN);
        let description = b.year.map(|y| format!("Born {y}"));
        calendar.event(
            &Event {
                uid: format!("birthday-{}@{host}", b.id),
                summary: &birthday_title(&b),
                description: description.as_deref(),
                when: When::AllDay(start),
                rrule: Some(birthday_rule(&b)),
            },
            now,
        );
    }
    for t in repo::tasks::all_for_user(&state.db, owner.id).await? {
        let Some(due) = t.due_date else { continue };
        let when = match t
            .due_time
            .as_deref()
            .and_then(|time| NaiveTime::parse_from_str(time, "%H:%M").ok())
        {
            // A local time that does not exist (in a DST gap) falls back to the earliest valid reading.
            Some(time) => match zone.from_local_datetime(&due.and_time(time)).earliest() {
                Some(local) => When::At(local.with_timezone(&chrono::Utc), 30),
                None => When::AllDay(due),
            },
            None => When::AllDay(due),
        };
        let summary = if t.completed {
            format!("✔ {}", t.title)
        } else {
            t.title.clone()
        };
        let description = Some(t.description.as_str()).filter(|d| !d.is_empty());
        calendar.event(
            &Event {
                uid: format!("task-{}@{host}", t.id),
                summary: &summary,
                description,
                when,
                rrule: None,
            },
            now,
        );
    }
    for alert in repo::movie_alerts::all_for_user(&state.db, owner.id).await? {
        for (kind, date) in dated_releases(&alert) {
            calendar.event(
                &Event {
                    uid: format!("release-{}-{}@{host}", alert.id, kind.as_str()),
                    summary: &release_title(&alert, kind),
                    description: None,
                    when: When::AllDay(date),
                    rrule: None,
                },
                now,
            );
        }
    }
    let mut response = (StatusCode::OK, calendar.finish()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    Ok(response)
}
