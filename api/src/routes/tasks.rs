//! `/api/v1/tasks`: the caller's tasks, with filters, sorting, keyset pagination and recurrence.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse as _, Response};
use chrono::{DateTime, Datelike as _, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::users::{current_user, local_now, user_timezone};
use crate::auth::AuthUser;
use crate::domain::recurrence::{Frequency, Recurrence};
use crate::domain::{FieldError, check_date};
use crate::entity::task;
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::http::extract::{ApiQuery, Id};
use crate::http::json::double_option;
use crate::repo;
use crate::repo::pagination::{self, Cursor, Page};
use crate::repo::tasks::{TaskFilter, TaskSort};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(get_task, update_task, delete_task))
}

const MAX_LABELS: usize = 20;
const MAX_REMIND_MINUTES: i32 = 60 * 24 * 28;

/// How urgent a task is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    fn rank(self) -> i16 {
        match self {
            Self::Low => 0,
            Self::Normal => 1,
            Self::High => 2,
            Self::Urgent => 3,
        }
    }

    fn from_rank(rank: i16) -> Self {
        match rank {
            0 => Self::Low,
            2 => Self::High,
            3 => Self::Urgent,
            _ => Self::Normal,
        }
    }
}

/// A task.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "title": "Renew passport", "description": "Bring **two** photos", "due_date": "2026-12-18", "due_time": "09:30",
    "priority": "high", "labels": ["admin"], "completed": false, "completed_at": null, "remind_before_minutes": 60,
    "recurrence": null, "overdue": false, "created_at": "2026-12-04T12:00:00Z", "updated_at": "2026-12-04T12:00:00Z"
}))]
pub struct TaskResponse {
    pub id: i64,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub due_date: Option<NaiveDate>,
    /// `HH:MM` in the owner's time zone.
    #[schema(example = "09:30")]
    pub due_time: Option<String>,
    pub priority: Priority,
    pub labels: Vec<String>,
    pub completed: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub remind_before_minutes: Option<i32>,
    pub recurrence: Option<Recurrence>,
    /// Open and past its due date (and time) in the owner's time zone.
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new task.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Renew passport", "due_date": "2026-12-18", "due_time": "09:30", "priority": "high", "labels": ["admin"], "remind_before_minutes": 60}))]
pub struct CreateTaskRequest {
    /// 1 to 200 characters, not all white space.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: String,
    /// Markdown, up to 10 000 characters.
    #[serde(default)]
    pub description: String,
    pub due_date: Option<NaiveDate>,
    /// `HH:MM`; needs `due_date`.
    pub due_time: Option<String>,
    #[serde(default)]
    pub priority: Priority,
    /// Up to 20 labels of 1 to 32 characters; stored in lower case.
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub completed: bool,
    /// Minutes before the due date and time to send a reminder, up to 28 days; needs `due_date`.
    #[schema(minimum = 0, maximum = 40320)]
    pub remind_before_minutes: Option<i32>,
    /// Needs `due_date`.
    pub recurrence: Option<Recurrence>,
}

/// Changes to a task: absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"completed": true}))]
pub struct UpdateTaskRequest {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub due_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub due_time: Option<Option<String>>,
    pub priority: Option<Priority>,
    pub labels: Option<Vec<String>>,
    /// Completing a recurring task creates its next occurrence.
    pub completed: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 40320)]
    pub remind_before_minutes: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Recurrence>)]
    pub recurrence: Option<Option<Recurrence>>,
}

/// Which tasks to list and in what order.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTasksQuery {
    /// `open`, `done` or `all` (default).
    #[param(pattern = "^(open|done|all)$")]
    pub status: Option<String>,
    /// Due on or before this date.
    pub due_before: Option<NaiveDate>,
    /// Due on or after this date.
    pub due_after: Option<NaiveDate>,
    /// Only open tasks past their due date and time.
    pub overdue: Option<bool>,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: Option<Priority>,
    /// Only tasks with this label.
    pub label: Option<String>,
    /// Words to find in the title or description.
    pub q: Option<String>,
    /// `due_date` (default), `priority` or `created_at`; prefix `-` for descending. Tasks without a due date come last.
    #[param(pattern = "^-?(due_date|priority|created_at)$")]
    pub sort: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

fn labels_of(task: &task::Model) -> Vec<String> {
    serde_json::from_str(&task.labels).unwrap_or_default()
}

fn recurrence_of(task: &task::Model) -> Option<Recurrence> {
    let frequency = Frequency::parse(task.recurrence_frequency.as_deref()?)?;
    Some(Recurrence {
        frequency,
        interval: u32::try_from(task.recurrence_interval.unwrap_or(1)).unwrap_or(1),
    })
}

/// The open task that follows a completed recurring one, due on the next date of its rule.
fn next_occurrence(done: &task::Model, now: DateTime<Utc>) -> Option<task::Model> {
    let rule = recurrence_of(done)?;
    let due = done.due_date?;
    let anchor = done
        .recurrence_anchor_day
        .and_then(|d| u32::try_from(d).ok())
        .unwrap_or_else(|| due.day());
    let next_due = rule.next_after(due, anchor).filter(|d| check_date(*d).is_ok())?;
    Some(task::Model {
        due_date: Some(next_due),
        completed: false,
        completed_at: None,
        created_at: now,
        updated_at: now,
        ..done.clone()
    })
}

/// The API shape of a task at the owner's current local date and time.
fn respond(state: &AppState, owner: &crate::entity::user::Model, task: task::Model) -> TaskResponse {
    let local = local_now(state, owner);
    task_response(task, local.date_naive(), &local.format("%H:%M").to_string())
}

/// Whether an open task is past due at a local date and `HH:MM`.
pub fn is_overdue(task: &task::Model, today: NaiveDate, now_hhmm: &str) -> bool {
    !task.completed
        && task.due_date.is_some_and(|due| {
            due < today || (due == today && task.due_time.as_deref().is_some_and(|time| time < now_hhmm))
        })
}

/// The API shape of a task, given the owner's local date and time.
pub fn task_response(task: task::Model, today: NaiveDate, now_hhmm: &str) -> TaskResponse {
    TaskResponse {
        overdue: is_overdue(&task, today, now_hhmm),
        labels: labels_of(&task),
        recurrence: recurrence_of(&task),
        priority: Priority::from_rank(task.priority),
        id: task.id,
        title: task.title,
        description: task.description,
        due_date: task.due_date,
        due_time: task.due_time,
        completed: task.completed,
        completed_at: task.completed_at,
        remind_before_minutes: task.remind_before_minutes,
        created_at: task.created_at,
        updated_at: task.updated_at,
    }
}

fn parse_title(raw: &str) -> Result<String, String> {
    let title = raw.trim();
    match title.chars().count() {
        0 => Err("must not be empty".to_owned()),
        n if n > 200 => Err("must be at most 200 characters".to_owned()),
        _ => Ok(title.to_owned()),
    }
}

fn parse_description(raw: &str) -> Result<String, String> {
    if raw.chars().count() > 10_000 {
        Err("must be at most 10000 characters".to_owned())
    } else {
        Ok(raw.to_owned())
    }
}

fn parse_label(raw: &str) -> Result<String, String> {
    let label = raw.trim().to_lowercase();
    let len = label.chars().count();
    if len == 0 || len > 32 {
        return Err("each label must be 1 to 32 characters".to_owned());
    }
    if label
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\' || c == ',')
    {
        return Err("labels may not contain quotes, backslashes, commas or control characters".to_owned());
    }
    Ok(label)
}

fn parse_labels(raw: &[String]) -> Result<String, String> {
    if raw.len() > MAX_LABELS {
        return Err(format!("at most {MAX_LABELS} labels"));
    }
    let mut labels = raw.iter().map(|l| parse_label(l)).collect::<Result<Vec<_>, _>>()?;
    labels.sort();
    labels.dedup();
    Ok(serde_json::to_string(&labels).unwrap_or_else(|_| "[]".to_owned()))
}

/// Applies a full set of requested values to a task, collecting every invalid field.
struct TaskChanges<'a> {
    errors: Vec<FieldError>,
    task: &'a mut task::Model,
}

impl TaskChanges<'_> {
    fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result
            .map_err(|message| self.errors.push(FieldError::new(field, message)))
            .ok()
    }

    fn title(&mut self, raw: &str) {
        if let Some(title) = self.check("title", parse_title(raw)) {
            self.task.title = title;
        }
    }

    fn description(&mut self, raw: &str) {
        if let Some(description) = self.check("description", parse_description(raw)) {
            self.task.description = description;
        }
    }

    fn due_date(&mut self, date: Option<NaiveDate>) {
        match date.map(check_date).transpose() {
            Ok(date) => self.task.due_date = date,
            Err(message) => self.errors.push(FieldError::new("due_date", message)),
        }
    }

    fn due_time(&mut self, raw: Option<&str>) {
        self.task.due_time = match raw {
            Some(raw) => self.check("due_time", crate::domain::parse_clock_time(raw)),
            None => None,
        };
    }

    fn labels(&mut self, raw: &[String]) {
        if let Some(labels) = self.check("labels", parse_labels(raw)) {
            self.task.labels = labels;
        }
    }

    fn remind_before_minutes(&mut self, minutes: Option<i32>) {
        let result = match minutes {
            Some(m) if !(0..=MAX_REMIND_MINUTES).contains(&m) => Err(format!("must be 0 to {MAX_REMIND_MINUTES}")),
            other => Ok(other),
        };
        if let Some(minutes) = self.check("remind_before_minutes", result) {
            self.task.remind_before_minutes = minutes;
        }
    }

    fn recurrence(&mut self, recurrence: Option<Recurrence>) {
        match recurrence {
            Some(r) if !(1..=365).contains(&r.interval) => {
                self.errors
                    .push(FieldError::new("recurrence.interval", "must be 1 to 365"));
            }
            Some(r) => {
                self.task.recurrence_frequency = Some(r.frequency.as_str().to_owned());
                self.task.recurrence_interval = i32::try_from(r.interval).ok();
            }
            None => {
                self.task.recurrence_frequency = None;
                self.task.recurrence_interval = None;
            }
        }
    }

    /// Monthly and yearly rules keep to the day of month of the due date they were set with, so that a task on the
    /// 31st that once fell on 28 February goes back to the 31st.
    fn anchor_to_due_date(&mut self) {
        self.task.recurrence_anchor_day = self
            .task
            .due_date
            .filter(|_| self.task.recurrence_frequency.is_some())
            .and_then(|d| i16::try_from(d.day()).ok());
    }

    /// Rules across fields, checked after all fields are applied.
    fn finish(mut self) -> Result<(), ApiError> {
        self.task.search_text = format!("{}\n{}", self.task.title, self.task.description).to_lowercase();
        if self.task.due_date.is_none() {
            for (field, set) in [
                ("due_time", self.task.due_time.is_some()),
                ("remind_before_minutes", self.task.remind_before_minutes.is_some()),
                ("recurrence", self.task.recurrence_frequency.is_some()),
            ] {
                if set && !self.errors.iter().any(|e| e.field == field) {
                    self.errors.push(FieldError::new(field, "needs a due_date"));
                }
            }
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

fn parse_sort(raw: Option<&str>) -> Result<(TaskSort, bool), ApiError> {
    let raw = raw.unwrap_or("due_date");
    let (descending, name) = raw.strip_prefix('-').map_or((false, raw), |rest| (true, rest));
    let sort = match name {
        "due_date" => TaskSort::DueDate,
        "priority" => TaskSort::Priority,
        "created_at" => TaskSort::CreatedAt,
        _ => {
            return Err(ApiError::field(
                "sort",
                "must be due_date, priority or created_at, with - for descending",
            ));
        }
    };
    Ok((sort, descending))
}

/// List the caller's tasks.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", security(("bearer" = [])), params(ListTasksQuery),
    responses(
        (status = 200, description = "One page of tasks", body = Page<TaskResponse>),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid filter, sort, limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_tasks(
    State(state): State<AppState>,
    auth: AuthUser,
    RawQuery(raw_query): RawQuery,
    ApiQuery(query): ApiQuery<ListTasksQuery>,
) -> Result<Response, ApiError> {
    let (sort, descending) = parse_sort(query.sort.as_deref())?;
    let limit = pagination::limit(query.limit)?;
    let sort_key = if descending {
        format!("-{}", sort.name())
    } else {
        sort.name().to_owned()
    };
    let cursor = query
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, &sort_key))
        .transpose()?;
    for (field, date) in [("due_before", query.due_before), ("due_after", query.due_after)] {
        if let Some(Err(message)) = date.map(check_date) {
            return Err(ApiError::field(field, message));
        }
    }
    let completed = match query.status.as_deref() {
        None | Some("all") => None,
        Some("open") => Some(false),
        Some("done") => Some(true),
        Some(_) => return Err(ApiError::field("status", "must be open, done or all")),
    };
    let label = query
        .label
        .as_deref()
        .map(parse_label)
        .transpose()
        .map_err(|m| ApiError::field("label", m))?;
    let search = query.q.filter(|q| !q.trim().is_empty());
    if search.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::field("q", "must be at most 200 characters"));
    }
    // The same query in the same minute gives the same page until the user writes (see `task_page_cache`).
    let now = state.clock.now();
    let minute = now.timestamp().div_euclid(60);
    let raw_query = raw_query.unwrap_or_default();
    if let Some(page) = state.task_pages.get(auth.user_id, &raw_query, minute) {
        return Ok(json_response(page));
    }
    let ticket = state.task_pages.begin_read();
    let user = current_user(&state, auth).await?;
    let now = now.with_timezone(&user_timezone(&user));
    let (today, now_hhmm) = (now.date_naive(), now.format("%H:%M").to_string());
    let filter = TaskFilter {
        completed,
        due_on_or_before: query.due_before,
        due_on_or_after: query.due_after,
        overdue_at: query.overdue.filter(|o| *o).map(|_| (today, now_hhmm.clone())),
        priority: query.priority.map(Priority::rank),
        label,
        search,
    };
    let rows = repo::tasks::list(
        &state.db,
        auth.user_id,
        &filter,
        sort,
        descending,
        cursor.as_ref(),
        limit,
    )
    .await?;
    let cursor_of = |t: &task::Model| Cursor {
        sort: sort_key.clone(),
        ..repo::tasks::cursor_of(t, sort)
    };
    let page = pagination::page(rows, limit, cursor_of, |t| task_response(t, today, &now_hhmm));
    let page = Bytes::from(serde_json::to_vec(&page).map_err(anyhow::Error::from)?);
    if let Some(ticket) = ticket {
        state
            .task_pages
            .store(ticket, auth.user_id, &raw_query, minute, page.clone());
    }
    Ok(json_response(page))
}

fn json_response(body: Bytes) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// Create a task.
#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks", security(("bearer" = [])), request_body = CreateTaskRequest,
    responses(
        (status = 201, description = "The new task", body = TaskResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_task(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<CreateTaskRequest>,
) -> Result<(StatusCode, ApiJson<TaskResponse>), ApiError> {
    let now = state.clock.now();
    let mut task = task::Model {
        id: 0,
        user_id: auth.user_id,
        title: String::new(),
        description: String::new(),
        search_text: String::new(),
        due_date: body.due_date,
        due_time: None,
        priority: body.priority.rank(),
        labels: "[]".to_owned(),
        completed: body.completed,
        completed_at: body.completed.then_some(now),
        remind_before_minutes: None,
        recurrence_frequency: None,
        recurrence_interval: None,
        recurrence_anchor_day: None,
        created_at: now,
        updated_at: now,
    };
    let mut changes = TaskChanges {
        errors: Vec::new(),
        task: &mut task,
    };
    changes.title(&body.title);
    changes.description(&body.description);
    changes.due_date(body.due_date);
    changes.due_time(body.due_time.as_deref());
    changes.labels(&body.labels);
    changes.remind_before_minutes(body.remind_before_minutes);
    changes.recurrence(body.recurrence);
    changes.anchor_to_due_date();
    changes.finish()?;
    let user = current_user(&state, auth).await?;
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    let task = repo::owned::insert::<task::Entity, _>(&txn, task).await?;
    // A recurring task created as already done has its next occurrence waiting, as if completed just now.
    if task.completed
        && let Some(next) = next_occurrence(&task, now)
    {
        repo::owned::insert::<task::Entity, _>(&txn, next).await?;
    }
    txn.commit().await?;
    let response = respond(&state, &user, task);
    Ok((StatusCode::CREATED, ApiJson(response)))
}

/// One of the caller's tasks.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = TaskResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such task", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_task(
    State(state): State<AppState>,
    auth: AuthUser,
    Id(id): Id,
) -> Result<ApiJson<TaskResponse>, ApiError> {
    let task = repo::owned::find::<task::Entity>(&state.db, auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let user = current_user(&state, auth).await?;
    let response = respond(&state, &user, task);
    Ok(ApiJson(response))
}

/// Change a task. Completing a recurring task creates its next occurrence, due on the next date of its rule.
#[utoipa::path(patch, path = "/api/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])), request_body = UpdateTaskRequest,
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The changed task", body = TaskResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such task", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_task(
    State(state): State<AppState>,
    auth: AuthUser,
    Id(id): Id,
    ApiJson(body): ApiJson<UpdateTaskRequest>,
) -> Result<ApiJson<TaskResponse>, ApiError> {
    let now = state.clock.now();
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    // Two completions of one recurring task at once must not create two next occurrences.
    if !repo::owned::lock::<task::Entity>(&txn, auth.user_id, id).await? {
        return Err(ApiError::NotFound);
    }
    let before = repo::owned::find::<task::Entity>(&txn, auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut task = before.clone();
    let mut changes = TaskChanges {
        errors: Vec::new(),
        task: &mut task,
    };
    if let Some(title) = &body.title {
        changes.title(title);
    }
    if let Some(description) = &body.description {
        changes.description(description);
    }
    if let Some(due_date) = body.due_date {
        changes.due_date(due_date);
    }
    if let Some(due_time) = &body.due_time {
        changes.due_time(due_time.as_deref());
    }
    if let Some(priority) = body.priority {
        changes.task.priority = priority.rank();
    }
    if let Some(labels) = &body.labels {
        changes.labels(labels);
    }
    if let Some(minutes) = body.remind_before_minutes {
        changes.remind_before_minutes(minutes);
    }
    if let Some(recurrence) = body.recurrence {
        changes.recurrence(recurrence);
    }
    if body.recurrence.is_some() || body.due_date.is_some() {
        changes.anchor_to_due_date();
    }
    if let Some(completed) = body.completed {
        changes.task.completed = completed;
        changes.task.completed_at = if completed {
            before.completed_at.or(Some(now))
        } else {
            None
        };
    }
    changes.finish()?;
    task.updated_at = now;
    let saved = repo::owned::update::<task::Entity, _>(&txn, task).await?;
    if saved.completed
        && !before.completed
        && let Some(next) = next_occurrence(&saved, now)
    {
        repo::owned::insert::<task::Entity, _>(&txn, next).await?;
    }
    txn.commit().await?;
    let user = current_user(&state, auth).await?;
    let response = respond(&state, &user, saved);
    Ok(ApiJson(response))
}

/// Delete a task.
#[utoipa::path(delete, path = "/api/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 204, description = "The task is gone"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such task", body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_task(State(state): State<AppState>, auth: AuthUser, Id(id): Id) -> Result<StatusCode, ApiError> {
    if repo::owned::delete::<task::Entity>(&state.db, auth.user_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
