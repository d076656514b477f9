//! Tasks: create, read, change, complete with recurrence, delete, filters, sorting and pagination.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, TestApp, assert_problem, invalid_fields, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    a_task_can_be_created_read_changed_and_deleted,
    each_invalid_task_field_is_named_and_nothing_is_stored,
    another_users_task_is_404_on_every_method,
    completing_a_recurring_task_creates_its_next_occurrence,
    filters_select_the_right_tasks,
    sorting_orders_by_due_date_priority_and_creation,
    pages_have_no_gaps_or_repeats_while_tasks_are_added,
    a_list_served_from_memory_shows_every_change_at_once,
);

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, task) = app.call(Method::POST, "/api/v1/tasks", Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    task
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, page) = app
        .call(Method::GET, &format!("/api/v1/tasks?{query}"), Some(token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn titles(tasks: &[Value]) -> Vec<&str> {
    tasks.iter().map(|t| t["title"].as_str().unwrap()).collect()
}

async fn a_task_can_be_created_read_changed_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let task = create(
        &app,
        &ann.access_token,
        json!({"title": "  Renew passport ", "description": "Bring **two** photos", "due_date": "2026-12-18", "due_time": "09:30",
               "priority": "high", "labels": ["Admin", "admin", "travel"], "remind_before_minutes": 60}),
    )
    .await;
    assert_eq!(task["title"], "Renew passport");
    assert_eq!(task["labels"], json!(["admin", "travel"]));
    assert_eq!(task["priority"], "high");
    assert_eq!(task["due_time"], "09:30");
    assert_eq!(task["completed"], false);
    assert_eq!(task["overdue"], false);
    assert_eq!(task["recurrence"], Value::Null);
    let path = format!("/api/v1/tasks/{}", task["id"]);
    assert_eq!(
        app.call(Method::GET, &path, Some(&ann.access_token), None).await,
        (StatusCode::OK, task.clone())
    );

    let (status, changed) = app
        .call(
            Method::PATCH,
            &path,
            Some(&ann.access_token),
            Some(json!({"completed": true, "due_time": null, "priority": "urgent"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["completed"], true);
    assert_eq!(changed["completed_at"], "2026-12-04T12:00:00Z");
    assert_eq!(changed["due_time"], Value::Null, "null clears");
    assert_eq!(changed["due_date"], "2026-12-18", "absent stays");
    assert_eq!(changed["priority"], "urgent");
    let (_, reopened) = app
        .call(
            Method::PATCH,
            &path,
            Some(&ann.access_token),
            Some(json!({"completed": false})),
        )
        .await;
    assert_eq!(reopened["completed_at"], Value::Null);

    assert_eq!(
        app.call(Method::DELETE, &path, Some(&ann.access_token), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.request(Method::GET, &path, Some(&ann.access_token), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.request(Method::GET, "/api/v1/tasks/abc", Some(&ann.access_token), None)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn each_invalid_task_field_is_named_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let cases = [
        (json!({"title": ""}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"title": "t", "description": "x".repeat(10_001)}), "description"),
        (json!({"title": "t", "due_date": "2026-02-30"}), "due_date"),
        (json!({"title": "t", "due_date": "tomorrow"}), "due_date"),
        (
            json!({"title": "t", "due_date": "2026-12-05", "due_time": "25:00"}),
            "due_time",
        ),
        (
            json!({"title": "t", "due_date": "2026-12-05", "due_time": "9:30"}),
            "due_time",
        ),
        (json!({"title": "t", "due_time": "09:30"}), "due_time"),
        (json!({"title": "t", "priority": "critical"}), "priority"),
        (json!({"title": "t", "labels": ["a\"b"]}), "labels"),
        (json!({"title": "t", "labels": ["x".repeat(33)]}), "labels"),
        (
            json!({"title": "t", "due_date": "2026-12-05", "remind_before_minutes": -5}),
            "remind_before_minutes",
        ),
        (
            json!({"title": "t", "remind_before_minutes": 10}),
            "remind_before_minutes",
        ),
        (
            json!({"title": "t", "recurrence": {"frequency": "daily"}}),
            "recurrence",
        ),
        (
            json!({"title": "t", "due_date": "2026-12-05", "recurrence": {"frequency": "hourly"}}),
            "recurrence.frequency",
        ),
        (
            json!({"title": "t", "due_date": "2026-12-05", "recurrence": {"frequency": "daily", "interval": 0}}),
            "recurrence.interval",
        ),
        (json!({"title": "t", "user_id": 2}), "user_id"),
        (json!({"title": "t", "id": 5}), "id"),
        (
            json!({"title": "t", "created_at": "2020-01-01T00:00:00Z"}),
            "created_at",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .request(
                Method::POST,
                "/api/v1/tasks",
                Some(&ann.access_token),
                Some(body.clone()),
            )
            .await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), [field], "{body}");
    }
    assert!(list(&app, &ann.access_token, "").await.is_empty());

    let task = create(
        &app,
        &ann.access_token,
        json!({"title": "keep me", "due_date": "2026-12-05"}),
    )
    .await;
    let path = format!("/api/v1/tasks/{}", task["id"]);
    let response = app
        .request(
            Method::PATCH,
            &path,
            Some(&ann.access_token),
            Some(json!({"title": "", "due_time": "99:99"})),
        )
        .await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(invalid_fields(&problem), ["title", "due_time"]);
    let response = app
        .request(
            Method::PATCH,
            &path,
            Some(&ann.access_token),
            Some(json!({"due_date": null, "recurrence": {"frequency": "weekly"}})),
        )
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        app.call(Method::GET, &path, Some(&ann.access_token), None).await.1,
        task,
        "nothing changed"
    );
}

async fn another_users_task_is_404_on_every_method(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let mallory = app.signed_up("mallory").await;
    let task = create(&app, &ann.access_token, json!({"title": "private"})).await;
    let path = format!("/api/v1/tasks/{}", task["id"]);
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"title": "mine now"}))),
        (Method::DELETE, None),
    ] {
        let response = app
            .request(method.clone(), &path, Some(&mallory.access_token), body)
            .await;
        assert_problem(response, StatusCode::NOT_FOUND).await;
    }
    assert!(list(&app, &mallory.access_token, "").await.is_empty());
    assert_eq!(
        app.call(Method::GET, &path, Some(&ann.access_token), None).await.1,
        task
    );
    assert_eq!(
        app.request(Method::GET, "/api/v1/tasks", None, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn completing_a_recurring_task_creates_its_next_occurrence(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let task = create(
        &app,
        &ann.access_token,
        json!({"title": "Pay rent", "due_date": "2027-01-31", "labels": ["home"], "recurrence": {"frequency": "monthly", "interval": 1}}),
    )
    .await;
    let mut path = format!("/api/v1/tasks/{}", task["id"]);
    let mut due_dates = vec![];
    for _ in 0..3 {
        let (status, done) = app
            .call(
                Method::PATCH,
                &path,
                Some(&ann.access_token),
                Some(json!({"completed": true})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        let open = list(&app, &ann.access_token, "status=open").await;
        assert_eq!(open.len(), 1, "one next occurrence: {open:?}");
        assert_eq!(open[0]["labels"], json!(["home"]));
        assert_eq!(open[0]["recurrence"], json!({"frequency": "monthly", "interval": 1}));
        due_dates.push(open[0]["due_date"].as_str().unwrap().to_owned());
        path = format!("/api/v1/tasks/{}", open[0]["id"]);
    }
    assert_eq!(due_dates, ["2027-02-28", "2027-03-31", "2027-04-30"]);
    // Completing an already completed task again creates nothing more.
    let done = list(&app, &ann.access_token, "status=done").await;
    let first = format!("/api/v1/tasks/{}", done[0]["id"]);
    app.call(
        Method::PATCH,
        &first,
        Some(&ann.access_token),
        Some(json!({"completed": true})),
    )
    .await;
    assert_eq!(list(&app, &ann.access_token, "status=open").await.len(), 1);
}

async fn filters_select_the_right_tasks(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    // The test clock says 2026-12-04 12:00 UTC.
    create(
        &app,
        t,
        json!({"title": "Yesterday's report", "due_date": "2026-12-03", "priority": "high", "labels": ["work"]}),
    )
    .await;
    create(
        &app,
        t,
        json!({"title": "Morning call", "due_date": "2026-12-04", "due_time": "08:00", "labels": ["work"]}),
    )
    .await;
    create(
        &app,
        t,
        json!({"title": "Evening run", "due_date": "2026-12-04", "due_time": "18:00"}),
    )
    .await;
    create(
        &app,
        t,
        json!({"title": "Buy 100% cotton shirt", "description": "size M", "due_date": "2026-12-20", "priority": "low"}),
    )
    .await;
    create(&app, t, json!({"title": "Someday", "description": "Learn the CELLO"})).await;
    let done = create(
        &app,
        t,
        json!({"title": "Old thing", "due_date": "2026-11-01", "completed": true}),
    )
    .await;
    assert_eq!(done["overdue"], false);

    assert_eq!(
        titles(&list(&app, t, "overdue=true").await),
        ["Yesterday's report", "Morning call"]
    );
    assert_eq!(titles(&list(&app, t, "status=done").await), ["Old thing"]);
    assert_eq!(list(&app, t, "status=open").await.len(), 5);
    assert_eq!(list(&app, t, "").await.len(), 6, "all by default");
    assert_eq!(
        titles(&list(&app, t, "due_after=2026-12-04&due_before=2026-12-04").await),
        ["Morning call", "Evening run"]
    );
    assert_eq!(titles(&list(&app, t, "priority=low").await), ["Buy 100% cotton shirt"]);
    assert_eq!(
        titles(&list(&app, t, "label=WORK").await),
        ["Yesterday's report", "Morning call"]
    );
    assert_eq!(titles(&list(&app, t, "q=cello").await), ["Someday"]);
    assert_eq!(
        titles(&list(&app, t, "q=100%25").await),
        ["Buy 100% cotton shirt"],
        "% is literal"
    );
    assert!(list(&app, t, "q=_").await.is_empty(), "_ is literal");

    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(t),
        Some(json!({"timezone": "Pacific/Kiritimati"})),
    )
    .await;
    // In Kiritimati (UTC+14) it is already 2026-12-05 02:00: both of yesterday's and today's tasks are overdue.
    assert_eq!(list(&app, t, "overdue=true").await.len(), 3);

    for (query, field) in [
        ("status=maybe", "status"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=x", "limit"),
        ("sort=title", "sort"),
        ("due_before=soon", "due_before"),
        ("cursor=garbage", "cursor"),
        ("priority=meh", "priority"),
    ] {
        let response = app
            .request(Method::GET, &format!("/api/v1/tasks?{query}"), Some(t), None)
            .await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), [field], "{query}");
    }
}

async fn sorting_orders_by_due_date_priority_and_creation(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    for (title, due, priority) in [
        ("b", Some("2026-12-10"), "low"),
        ("none", None, "urgent"),
        ("a", Some("2026-12-05"), "normal"),
        ("c", Some("2026-12-20"), "high"),
    ] {
        create(&app, t, json!({"title": title, "due_date": due, "priority": priority})).await;
        app.clock.advance(chrono::Duration::seconds(1));
    }
    assert_eq!(titles(&list(&app, t, "").await), ["a", "b", "c", "none"]);
    assert_eq!(
        titles(&list(&app, t, "sort=-due_date").await),
        ["c", "b", "a", "none"],
        "undated last either way"
    );
    assert_eq!(titles(&list(&app, t, "sort=-priority").await), ["none", "c", "a", "b"]);
    assert_eq!(titles(&list(&app, t, "sort=priority").await), ["b", "a", "c", "none"]);
    assert_eq!(titles(&list(&app, t, "sort=created_at").await), ["b", "none", "a", "c"]);
    assert_eq!(
        titles(&list(&app, t, "sort=-created_at").await),
        ["c", "a", "none", "b"]
    );
}

async fn pages_have_no_gaps_or_repeats_while_tasks_are_added(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    let mut expected = std::collections::BTreeSet::new();
    for i in 0..23 {
        let due = if i % 5 == 0 {
            Value::Null
        } else {
            json!(format!("2027-01-{:02}", 1 + i % 7))
        };
        let priority = ["low", "normal", "high"][i % 3];
        let task = create(
            &app,
            t,
            json!({"title": format!("task {i}"), "due_date": due, "priority": priority}),
        )
        .await;
        expected.insert(task["id"].as_i64().unwrap());
    }
    for sort in [
        "due_date",
        "-due_date",
        "priority",
        "-priority",
        "created_at",
        "-created_at",
    ] {
        let mut seen = vec![];
        let mut cursor: Option<String> = None;
        let mut added = 0;
        loop {
            let query = match &cursor {
                Some(c) => format!("/api/v1/tasks?sort={sort}&limit=5&cursor={c}"),
                None => format!("/api/v1/tasks?sort={sort}&limit=5"),
            };
            let (status, page) = app.call(Method::GET, &query, Some(t), None).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            seen.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["id"].as_i64().unwrap()),
            );
            // Rows added while paging land before or after the reader's position but never shift it.
            if added < 2 {
                create(&app, t, json!({"title": "late", "due_date": "2027-01-03"})).await;
                added += 1;
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let unique: std::collections::BTreeSet<_> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "{sort}: no repeats");
        assert!(
            expected.is_subset(&unique),
            "{sort}: no gaps among the rows that existed"
        );
        let response = app
            .request(
                Method::GET,
                &format!("/api/v1/tasks?sort=priority&cursor={}", cursor_for(&app, t, sort).await),
                Some(t),
                None,
            )
            .await;
        if sort != "priority" {
            assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    }
}

async fn cursor_for(app: &TestApp, token: &str, sort: &str) -> String {
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/api/v1/tasks?sort={sort}&limit=1"),
            Some(token),
            None,
        )
        .await;
    page["next_cursor"].as_str().unwrap().to_owned()
}

/// Waits until the task page cache serves pages (on PostgreSQL, once it listens for other processes' writes).
pub async fn cache_is_on(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !app.state.task_pages.enabled() {
        assert!(
            std::time::Instant::now() < deadline,
            "the task page cache never came on"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// `GET /tasks` again with nothing changed is answered from memory; every kind of change is in the next list at once.
async fn a_list_served_from_memory_shows_every_change_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    cache_is_on(&app).await;
    let ann = app.signed_up("ann").await;
    let bob = app.signed_up("bob").await;
    let mut token = ann.access_token.clone();
    let hits = || app.state.task_pages.hits_and_misses().0;
    // Due at 01:00 tomorrow: not overdue in UTC (12:00 now), overdue where it is already 02:00 tomorrow.
    let milk = create(
        &app,
        &token,
        json!({"title": "Buy milk", "due_date": "2026-12-05", "due_time": "01:00"}),
    )
    .await;
    let first = list(&app, &token, "").await;
    let before = hits();
    assert_eq!(list(&app, &token, "").await, first);
    assert_eq!(hits(), before + 1, "the same list again is served from memory");
    assert_eq!(
        list(&app, &bob.access_token, "").await,
        Vec::<Value>::new(),
        "bob's list is his own"
    );

    create(&app, &token, json!({"title": "Call mum"})).await;
    assert_eq!(
        titles(&list(&app, &token, "").await),
        ["Buy milk", "Call mum"],
        "a new task"
    );
    assert_eq!(
        titles(&list(&app, &token, "sort=-created_at").await),
        ["Call mum", "Buy milk"]
    );

    let path = format!("/api/v1/tasks/{}", milk["id"]);
    let (status, _) = app
        .call(
            Method::PATCH,
            &path,
            Some(&token),
            Some(json!({"title": "Buy oat milk"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        titles(&list(&app, &token, "").await),
        ["Buy oat milk", "Call mum"],
        "a changed title"
    );
    assert_eq!(
        titles(&list(&app, &token, "sort=-created_at").await),
        ["Call mum", "Buy oat milk"],
        "on every cached query"
    );

    let (status, _) = app
        .call(Method::PATCH, &path, Some(&token), Some(json!({"title": ""})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        titles(&list(&app, &token, "").await),
        ["Buy oat milk", "Call mum"],
        "a refused change changes nothing"
    );

    let overdue = |tasks: &[Value]| tasks[0]["overdue"].as_bool().unwrap();
    assert!(!overdue(&list(&app, &token, "").await));
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({"timezone": "Pacific/Kiritimati"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        overdue(&list(&app, &token, "").await),
        "a new time zone: 02:00 tomorrow there"
    );
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({"timezone": "UTC"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!overdue(&list(&app, &token, "").await));
    app.clock.advance(chrono::Duration::minutes(13 * 60 + 1));
    token = app.logged_in("ann").await.access_token;
    assert!(
        overdue(&list(&app, &token, "").await),
        "time passing: 01:00 tomorrow has come"
    );

    let (status, _) = app
        .call(Method::PATCH, &path, Some(&token), Some(json!({"completed": true})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let tasks = list(&app, &token, "").await;
    assert_eq!(tasks[0]["completed"], true, "completed");
    assert!(!overdue(&tasks));

    let (status, _) = app.call(Method::DELETE, &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(titles(&list(&app, &token, "").await), ["Call mum"], "a deleted task");
    assert!(hits() > before + 1);

    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/me",
            Some(&token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, "/api/v1/tasks?", Some(&token), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a deleted account's still-valid token lists nothing"
    );
}

/// On PostgreSQL a process serves lists from memory only while it hears the other processes' writes: when its
/// listening connection is cut, the cache goes off (every list is read from the database) until it listens again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_that_cannot_hear_other_processes_reads_every_list_from_the_database() {
    use sea_orm::ConnectionTrait as _;
    let app = spawn_app(Backend::Postgres).await;
    cache_is_on(&app).await;
    let ann = app.signed_up("ann").await;
    let token = ann.access_token.as_str();
    create(&app, token, json!({"title": "Buy milk"})).await;
    list(&app, token, "").await;
    let cut = app
        .state
        .db
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN %'",
        )
        .await
        .unwrap();
    assert_eq!(cut.rows_affected(), 1, "one listening connection");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.state.task_pages.enabled() {
        assert!(
            std::time::Instant::now() < deadline,
            "the cache stayed on without a listener"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let hits = app.state.task_pages.hits_and_misses();
    assert_eq!(titles(&list(&app, token, "").await), ["Buy milk"]);
    assert_eq!(titles(&list(&app, token, "").await), ["Buy milk"]);
    assert_eq!(
        app.state.task_pages.hits_and_misses(),
        hits,
        "off: nothing served from memory, nothing counted"
    );
    cache_is_on(&app).await;
    list(&app, token, "").await;
    list(&app, token, "").await;
    assert_eq!(
        app.state.task_pages.hits_and_misses().0,
        hits.0 + 1,
        "listening again, and serving again"
    );
}
