//! `/api/v1/birthdays`: the people whose birthdays a user keeps, greetings, reminders, and what is coming up.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::users::{current_user, user_timezone};
use crate::auth::AuthUser;
use crate::domain::birthday::{BirthDate, LeapDayRule};
use crate::domain::template::{Template, Values};
use crate::domain::{Email, FieldError, parse_timezone};
use crate::email::templates::{self, RenderedMessage};
use crate::entity::{birthday, user};
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::http::extract::{ApiQuery, Id};
use crate::http::json::double_option;
use crate::repo;
use crate::repo::pagination::{self, Cursor, Page};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_birthdays, create_birthday))
        .routes(routes!(list_upcoming_birthdays))
        .routes(routes!(get_birthday, update_birthday, delete_birthday))
        .routes(routes!(preview_birthday))
}

pub const DEFAULT_SUBJECT: &str = "Happy birthday, {name}!";
pub const DEFAULT_MESSAGE: &str =
    "Dear {name},\n\nHappy birthday! I hope you have a wonderful day.\n\nBest wishes,\n{sender}";
const MAX_REMINDERS: usize = 10;
const MAX_REMINDER_DAYS: i64 = 365;

/// A birthday, with when it is next celebrated.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "name": "Bo", "month": 2, "day": 29, "year": 1996, "email": "bo@example.com", "send_greeting": true,
    "subject": "Happy birthday, {name}!", "message": "Dear {name},\n\nHappy {age}th!\n\n{sender}", "timezone": "Asia/Tokyo",
    "remind_me_days_before": [7, 1, 0], "leap_day_rule": "feb28", "notes": "", "next_occurrence": "2027-02-28", "turns": 31,
    "created_at": "2026-12-04T12:00:00Z", "updated_at": "2026-12-04T12:00:00Z"
}))]
pub struct BirthdayResponse {
    pub id: i64,
    pub name: String,
    #[schema(minimum = 1, maximum = 12)]
    pub month: u32,
    /// 1 to 31, and a day the month has (29 February always).
    #[schema(minimum = 1, maximum = 31)]
    pub day: u32,
    /// Birth year, when known.
    pub year: Option<i32>,
    /// The person's address, for the greeting.
    pub email: Option<String>,
    pub send_greeting: bool,
    /// Greeting subject template.
    pub subject: String,
    /// Greeting message template.
    pub message: String,
    /// The person's IANA time zone; `null` means the owner's.
    pub timezone: Option<String>,
    /// Days before the birthday on which the owner gets a reminder; 0 is the day itself.
    pub remind_me_days_before: Vec<u16>,
    pub leap_day_rule: LeapDayRule,
    pub notes: String,
    /// The next celebration, today included, in the person's time zone.
    pub next_occurrence: NaiveDate,
    /// The age reached on `next_occurrence`, when the year is known.
    pub turns: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new birthday.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Bo", "month": 2, "day": 29, "year": 1996, "email": "bo@example.com", "send_greeting": true, "remind_me_days_before": [7, 1, 0]}))]
pub struct CreateBirthdayRequest {
    /// 1 to 100 characters, not all white space.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    #[schema(minimum = 1, maximum = 12)]
    pub month: u32,
    /// 1 to 31, and a day the month has (29 February always).
    #[schema(minimum = 1, maximum = 31)]
    pub day: u32,
    /// From 1800 to the current year.
    #[schema(minimum = 1800)]
    pub year: Option<i32>,
    pub email: Option<String>,
    /// Needs `email`.
    #[serde(default)]
    pub send_greeting: bool,
    /// Up to 200 characters on one line; placeholders `{name}`, `{age}`, `{sender}`.
    pub subject: Option<String>,
    /// Up to 5000 characters; placeholders `{name}`, `{age}`, `{sender}`.
    pub message: Option<String>,
    pub timezone: Option<String>,
    /// Up to 10 values of 0 to 365; default `[0]`.
    #[schema(schema_with = reminder_days_schema)]
    pub remind_me_days_before: Option<Vec<i64>>,
    #[serde(default)]
    pub leap_day_rule: LeapDayRule,
    /// Up to 2000 characters.
    #[serde(default)]
    pub notes: String,
}

/// Changes to a birthday: absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"remind_me_days_before": [7, 0], "timezone": "Asia/Tokyo", "year": null}))]
pub struct UpdateBirthdayRequest {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: Option<String>,
    #[schema(minimum = 1, maximum = 12)]
    pub month: Option<u32>,
    #[schema(minimum = 1, maximum = 31)]
    pub day: Option<u32>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 1800)]
    pub year: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub send_greeting: Option<bool>,
    pub subject: Option<String>,
    pub message: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub timezone: Option<Option<String>>,
    #[schema(schema_with = reminder_days_schema)]
    pub remind_me_days_before: Option<Vec<i64>>,
    pub leap_day_rule: Option<LeapDayRule>,
    pub notes: Option<String>,
}

/// The schema of `remind_me_days_before`: up to ten whole days of 0 to 365, or `null` for the default.
fn reminder_days_schema() -> utoipa::openapi::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::Integer))
                .minimum(Some(0))
                .maximum(Some(MAX_REMINDER_DAYS)),
        )
        .max_items(Some(MAX_REMINDERS))
        .build()
}

/// Paging through birthdays in calendar order.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListBirthdaysQuery {
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// How far ahead to look.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UpcomingQuery {
    /// 0 to 366 days from today; default 30.
    #[param(minimum = 0, maximum = 366)]
    pub days: Option<i64>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Birthdays in the coming days, soonest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 3, "name": "Bo", "month": 12, "day": 24, "year": 1996, "email": null, "send_greeting": false,
    "subject": "Happy birthday, {name}!", "message": "Dear {name}, ...", "timezone": null, "remind_me_days_before": [0], "leap_day_rule": "feb28",
    "notes": "", "next_occurrence": "2026-12-24", "turns": 30, "created_at": "2026-12-04T12:00:00Z", "updated_at": "2026-12-04T12:00:00Z"}], "next_cursor": null}))]
pub struct UpcomingBirthdays {
    pub items: Vec<BirthdayResponse>,
    pub next_cursor: Option<String>,
}

/// Template text to try instead of the stored one; nothing is saved.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "Happy {age}th, {name}!"}))]
pub struct PreviewRequest {
    pub subject: Option<String>,
    pub message: Option<String>,
}

/// The messages as they would be sent for the next occurrence.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"occurrence": "2026-12-24", "greeting_to": "bo@example.com",
    "greeting": {"subject": "Happy birthday, Bo!", "text": "Dear Bo,\n\nHappy birthday!\n\nAnn", "html": "<!doctype html>..."},
    "reminders": [{"days_before": 0, "send_on": "2026-12-24",
        "message": {"subject": "Today is Bo's birthday", "text": "Today is Bo's birthday (turning 30).", "html": "<!doctype html>..."}}]}))]
pub struct BirthdayPreview {
    pub occurrence: NaiveDate,
    /// The greeting to the person; `to` is `null` while the birthday has no email.
    pub greeting: RenderedMessage,
    pub greeting_to: Option<String>,
    /// The owner's reminders, one per entry of `remind_me_days_before`, latest first.
    pub reminders: Vec<ReminderPreview>,
}

/// One reminder to the owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReminderPreview {
    pub days_before: u16,
    /// The day it is sent, at 09:00 in the owner's time zone.
    pub send_on: NaiveDate,
    pub message: RenderedMessage,
}

/// The time zone a birthday is celebrated in: the person's, else the owner's.
pub fn birthday_timezone(birthday: &birthday::Model, owner: &user::Model) -> chrono_tz::Tz {
    birthday
        .timezone
        .as_deref()
        .and_then(|tz| tz.parse().ok())
        .unwrap_or_else(|| user_timezone(owner))
}

pub fn birth_date(birthday: &birthday::Model) -> BirthDate {
    BirthDate {
        month: u32::try_from(birthday.month).unwrap_or(1),
        day: u32::try_from(birthday.day).unwrap_or(1),
        year: birthday.year,
    }
}

pub fn leap_rule(birthday: &birthday::Model) -> LeapDayRule {
    LeapDayRule::parse(&birthday.leap_day_rule).unwrap_or_default()
}

pub fn reminder_days(birthday: &birthday::Model) -> Vec<u16> {
    serde_json::from_str(&birthday.remind_me_days_before).unwrap_or_default()
}

pub fn birthday_response(birthday: birthday::Model, now: DateTime<Utc>, owner: &user::Model) -> BirthdayResponse {
    let today = now.with_timezone(&birthday_timezone(&birthday, owner)).date_naive();
    let date = birth_date(&birthday);
    let next_occurrence = date.next_occurrence(today, leap_rule(&birthday));
    BirthdayResponse {
        turns: date.age_at(next_occurrence),
        next_occurrence,
        remind_me_days_before: reminder_days(&birthday),
        leap_day_rule: leap_rule(&birthday),
        month: date.month,
        day: date.day,
        id: birthday.id,
        name: birthday.name,
        year: birthday.year,
        email: birthday.email,
        send_greeting: birthday.send_greeting,
        subject: birthday.subject_template,
        message: birthday.message_template,
        timezone: birthday.timezone,
        notes: birthday.notes,
        created_at: birthday.created_at,
        updated_at: birthday.updated_at,
    }
}

fn parse_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err("must not be empty".to_owned()),
        n if n > 100 => Err("must be at most 100 characters".to_owned()),
        _ if name.chars().any(char::is_control) => Err("must not contain control characters".to_owned()),
        _ => Ok(name.to_owned()),
    }
}

/// A subject goes into an email header: one line, and a template that parses.
pub fn parse_subject(raw: &str) -> Result<String, String> {
    if raw.contains(['\r', '\n']) {
        return Err("must be a single line".to_owned());
    }
    if raw.trim().is_empty() || raw.chars().count() > 200 {
        return Err("must be 1 to 200 characters".to_owned());
    }
    Template::parse(raw).map(|_| raw.to_owned())
}

pub fn parse_message(raw: &str) -> Result<String, String> {
    if raw.trim().is_empty() || raw.chars().count() > 5000 {
        return Err("must be 1 to 5000 characters".to_owned());
    }
    Template::parse(raw).map(|_| raw.to_owned())
}

fn parse_reminders(raw: &[i64]) -> Result<String, String> {
    if raw.len() > MAX_REMINDERS {
        return Err(format!("at most {MAX_REMINDERS} reminders"));
    }
    let mut days = raw
        .iter()
        .map(|d| {
            u16::try_from(*d)
                .ok()
                .filter(|d| i64::from(*d) <= MAX_REMINDER_DAYS)
                .ok_or_else(|| format!("each value must be 0 to {MAX_REMINDER_DAYS}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    Ok(serde_json::to_string(&days).unwrap_or_else(|_| "[]".to_owned()))
}

/// Collects every invalid field while applying values to a birthday.
struct Changes<'a> {
    errors: Vec<FieldError>,
    birthday: &'a mut birthday::Model,
}

impl Changes<'_> {
    fn apply<T>(&mut self, field: &str, result: Result<T, String>, set: impl FnOnce(&mut birthday::Model, T)) {
        match result {
            Ok(value) => set(self.birthday, value),
            Err(message) => self.errors.push(FieldError::new(field, message)),
        }
    }

    fn email(&mut self, raw: Option<&str>) {
        let result = raw.map(|e| Email::parse(e).map(|e| e.as_str().to_owned())).transpose();
        self.apply("email", result, |b, v| b.email = v);
    }

    fn timezone(&mut self, raw: Option<&str>) {
        let result = raw
            .map(|tz| parse_timezone(tz).map(|tz| tz.name().to_owned()))
            .transpose();
        self.apply("timezone", result, |b, v| b.timezone = v);
    }

    fn notes(&mut self, raw: &str) {
        let result = if raw.chars().count() > 2000 {
            Err("must be at most 2000 characters".to_owned())
        } else {
            Ok(raw.to_owned())
        };
        self.apply("notes", result, |b, v| b.notes = v);
    }

    /// The date is checked as a whole: 31 April or 29 February 2023 is refused whichever field changed.
    fn finish(mut self, today: NaiveDate) -> Result<(), ApiError> {
        let (month, day) = (
            u32::try_from(self.birthday.month).unwrap_or(0),
            u32::try_from(self.birthday.day).unwrap_or(0),
        );
        if let Err((field, message)) = BirthDate::new(month, day, self.birthday.year, today) {
            self.errors.push(FieldError::new(field, message));
        }
        if self.birthday.send_greeting
            && self.birthday.email.is_none()
            && !self.errors.iter().any(|e| e.field == "email")
        {
            self.errors
                .push(FieldError::new("email", "is needed to send a greeting"));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

fn small(value: u32) -> i16 {
    i16::try_from(value).unwrap_or(i16::MAX)
}

/// List the caller's birthdays in calendar order.
#[utoipa::path(get, path = "/api/v1/birthdays", tag = "birthdays", security(("bearer" = [])), params(ListBirthdaysQuery),
    responses(
        (status = 200, description = "One page of birthdays, January first", body = Page<BirthdayResponse>),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_birthdays(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<ListBirthdaysQuery>,
) -> Result<ApiJson<Page<BirthdayResponse>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let cursor = query.cursor.as_deref().map(|c| Cursor::decode(c, "date")).transpose()?;
    let owner = current_user(&state, auth).await?;
    let rows = repo::birthdays::list(&state.db, auth.user_id, cursor.as_ref(), limit).await?;
    let now = state.clock.now();
    Ok(ApiJson(pagination::page(
        rows,
        limit,
        repo::birthdays::cursor_of,
        |b| birthday_response(b, now, &owner),
    )))
}

/// Birthdays in the next `days` days (default 30), soonest first, with the age each person turns.
#[utoipa::path(get, path = "/api/v1/birthdays/upcoming", tag = "birthdays", security(("bearer" = [])), params(UpcomingQuery),
    responses(
        (status = 200, description = "Upcoming birthdays in date order", body = UpcomingBirthdays),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`days` out of range", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_upcoming_birthdays(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<UpcomingQuery>,
) -> Result<ApiJson<UpcomingBirthdays>, ApiError> {
    let days = query.days.unwrap_or(30);
    if !(0..=366).contains(&days) {
        return Err(ApiError::field("days", "must be 0 to 366"));
    }
    let limit = pagination::limit(query.limit)?;
    let cursor = query
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, "upcoming"))
        .transpose()?;
    let owner = current_user(&state, auth).await?;
    let now = state.clock.now();
    let mut items: Vec<BirthdayResponse> = repo::birthdays::all_for_user(&state.db, auth.user_id)
        .await?
        .into_iter()
        .map(|b| {
            let today = now.with_timezone(&birthday_timezone(&b, &owner)).date_naive();
            (today, birthday_response(b, now, &owner))
        })
        .filter(|(today, b)| (b.next_occurrence - *today).num_days() <= days)
        .map(|(_, b)| b)
        .collect();
    items.sort_by(|a, b| (a.next_occurrence, &a.name, a.id).cmp(&(b.next_occurrence, &b.name, b.id)));
    // The order is computed, so the cursor holds the last item's whole sort key: (date, name, id).
    let position = |b: &BirthdayResponse| (b.next_occurrence.to_string(), b.name.clone(), b.id);
    if let Some(cursor) = &cursor {
        let after: (String, String, i64) = serde_json::from_value(cursor.key.clone())
            .map_err(|_| ApiError::field("cursor", "is not a cursor from this list; start again without it"))?;
        items.retain(|b| position(b) > after);
    }
    let page = pagination::page(
        items,
        limit,
        |b| Cursor {
            sort: "upcoming".to_owned(),
            key: serde_json::json!(position(b)),
            id: b.id,
        },
        |b| b,
    );
    Ok(ApiJson(UpcomingBirthdays {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// Add a birthday.
#[utoipa::path(post, path = "/api/v1/birthdays", tag = "birthdays", security(("bearer" = [])), request_body = CreateBirthdayRequest,
    responses(
        (status = 201, description = "The new birthday", body = BirthdayResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, an impossible date or an unknown template placeholder", body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_birthday(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<CreateBirthdayRequest>,
) -> Result<(StatusCode, ApiJson<BirthdayResponse>), ApiError> {
    let owner = current_user(&state, auth).await?;
    let now = state.clock.now();
    let mut birthday = birthday::Model {
        id: 0,
        user_id: auth.user_id,
        name: String::new(),
        month: small(body.month),
        day: small(body.day),
        year: body.year,
        email: None,
        send_greeting: body.send_greeting,
        subject_template: DEFAULT_SUBJECT.to_owned(),
        message_template: DEFAULT_MESSAGE.to_owned(),
        timezone: None,
        remind_me_days_before: "[0]".to_owned(),
        leap_day_rule: body.leap_day_rule.as_str().to_owned(),
        notes: String::new(),
        created_at: now,
        updated_at: now,
    };
    let mut changes = Changes {
        errors: Vec::new(),
        birthday: &mut birthday,
    };
    changes.apply("name", parse_name(&body.name), |b, v| b.name = v);
    changes.email(body.email.as_deref());
    if let Some(subject) = &body.subject {
        changes.apply("subject", parse_subject(subject), |b, v| b.subject_template = v);
    }
    if let Some(message) = &body.message {
        changes.apply("message", parse_message(message), |b, v| b.message_template = v);
    }
    changes.timezone(body.timezone.as_deref());
    if let Some(days) = &body.remind_me_days_before {
        changes.apply("remind_me_days_before", parse_reminders(days), |b, v| {
            b.remind_me_days_before = v
        });
    }
    changes.notes(&body.notes);
    changes.finish(now.with_timezone(&user_timezone(&owner)).date_naive())?;
    let saved = repo::owned::insert::<birthday::Entity, _>(&state.db, birthday).await?;
    repo::birthdays::index_reminders(&state.db, &saved).await?;
    Ok((StatusCode::CREATED, ApiJson(birthday_response(saved, now, &owner))))
}

/// One of the caller's birthdays.
#[utoipa::path(get, path = "/api/v1/birthdays/{id}", tag = "birthdays", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Birthday id")),
    responses(
        (status = 200, description = "The birthday", body = BirthdayResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such birthday", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_birthday(
    State(state): State<AppState>,
    auth: AuthUser,
    Id(id): Id,
) -> Result<ApiJson<BirthdayResponse>, ApiError> {
    let birthday = repo::owned::find::<birthday::Entity>(&state.db, auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let owner = current_user(&state, auth).await?;
    Ok(ApiJson(birthday_response(birthday, state.clock.now(), &owner)))
}

/// Change a birthday.
#[utoipa::path(patch, path = "/api/v1/birthdays/{id}", tag = "birthdays", security(("bearer" = [])), request_body = UpdateBirthdayRequest,
    params(("id" = i64, Path, description = "Birthday id")),
    responses(
        (status = 200, description = "The changed birthday", body = BirthdayResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such birthday", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_birthday(
    State(state): State<AppState>,
    auth: AuthUser,
    Id(id): Id,
    ApiJson(body): ApiJson<UpdateBirthdayRequest>,
) -> Result<ApiJson<BirthdayResponse>, ApiError> {
    let mut birthday = repo::owned::find::<birthday::Entity>(&state.db, auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let owner = current_user(&state, auth).await?;
    let now = state.clock.now();
    let mut changes = Changes {
        errors: Vec::new(),
        birthday: &mut birthday,
    };
    if let Some(name) = &body.name {
        changes.apply("name", parse_name(name), |b, v| b.name = v);
    }
    if let Some(month) = body.month {
        changes.birthday.month = small(month);
    }
    if let Some(day) = body.day {
        changes.birthday.day = small(day);
    }
    if let Some(year) = body.year {
        changes.birthday.year = year;
    }
    if let Some(email) = &body.email {
        changes.email(email.as_deref());
    }
    if let Some(send) = body.send_greeting {
        changes.birthday.send_greeting = send;
    }
    if let Some(subject) = &body.subject {
        changes.apply("subject", parse_subject(subject), |b, v| b.subject_template = v);
    }
    if let Some(message) = &body.message {
        changes.apply("message", parse_message(message), |b, v| b.message_template = v);
    }
    if let Some(timezone) = &body.timezone {
        changes.timezone(timezone.as_deref());
    }
    if let Some(days) = &body.remind_me_days_before {
        changes.apply("remind_me_days_before", parse_reminders(days), |b, v| {
            b.remind_me_days_before = v
        });
    }
    if let Some(rule) = body.leap_day_rule {
        changes.birthday.leap_day_rule = rule.as_str().to_owned();
    }
    if let Some(notes) = &body.notes {
        changes.notes(notes);
    }
    changes.finish(now.with_timezone(&user_timezone(&owner)).date_naive())?;
    birthday.updated_at = now;
    let saved = repo::owned::update::<birthday::Entity, _>(&state.db, birthday).await?;
    repo::birthdays::index_reminders(&state.db, &saved).await?;
    Ok(ApiJson(birthday_response(saved, now, &owner)))
}

/// Delete a birthday.
#[utoipa::path(delete, path = "/api/v1/birthdays/{id}", tag = "birthdays", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Birthday id")),
    responses(
        (status = 204, description = "The birthday is gone"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such birthday", body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_birthday(State(state): State<AppState>, auth: AuthUser, Id(id): Id) -> Result<StatusCode, ApiError> {
    if repo::owned::delete::<birthday::Entity>(&state.db, auth.user_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Render the greeting and the owner's reminder as they would be sent on the next occurrence. Template text in the
/// body is rendered instead of the stored one, without saving it, so an editor can show a live preview.
#[utoipa::path(post, path = "/api/v1/birthdays/{id}/preview", tag = "birthdays", security(("bearer" = [])),
    request_body(content = Option<PreviewRequest>, description = "Templates to try; omit to preview the stored ones"),
    params(("id" = i64, Path, description = "Birthday id")),
    responses(
        (status = 200, description = "The rendered messages", body = BirthdayPreview),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such birthday", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A template does not parse", body = Problem, content_type = "application/problem+json"),
    ))]
async fn preview_birthday(
    State(state): State<AppState>,
    auth: AuthUser,
    Id(id): Id,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<ApiJson<BirthdayPreview>, ApiError> {
    let request: PreviewRequest = crate::http::json::optional(&headers, &body)?.unwrap_or_default();
    let birthday = repo::owned::find::<birthday::Entity>(&state.db, auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let owner = current_user(&state, auth).await?;
    let subject_source = request.subject.unwrap_or_else(|| birthday.subject_template.clone());
    let message_source = request.message.unwrap_or_else(|| birthday.message_template.clone());
    let mut errors = Vec::new();
    let subject = parse_subject(&subject_source)
        .and_then(|s| Template::parse(&s))
        .map_err(|m| errors.push(FieldError::new("subject", m)));
    let message = parse_message(&message_source)
        .and_then(|s| Template::parse(&s))
        .map_err(|m| errors.push(FieldError::new("message", m)));
    let (Ok(subject), Ok(message)) = (subject, message) else {
        return Err(ApiError::Validation(errors));
    };
    let now = state.clock.now();
    let today = now.with_timezone(&birthday_timezone(&birthday, &owner)).date_naive();
    let date = birth_date(&birthday);
    let occurrence = date.next_occurrence(today, leap_rule(&birthday));
    let age = date.age_at(occurrence);
    let settings_url = state.config.notification_settings_url();
    let values = Values {
        name: &birthday.name,
        age,
        sender: &owner.display_name,
    };
    let greeting_to = birthday.email.as_deref().filter(|_| birthday.send_greeting);
    let reminders = reminder_days(&birthday)
        .into_iter()
        .map(|days_before| ReminderPreview {
            days_before,
            send_on: occurrence - chrono::Duration::days(i64::from(days_before)),
            message: templates::birthday_reminder(
                &birthday.name,
                occurrence,
                i64::from(days_before),
                age,
                greeting_to,
                &settings_url,
            ),
        })
        .collect();
    Ok(ApiJson(BirthdayPreview {
        occurrence,
        greeting: templates::birthday_greeting(&subject, &message, &values, &settings_url),
        greeting_to: birthday.email.clone(),
        reminders,
    }))
}
