//! Input meant to break things gets a clear 4xx naming the field, never a 500, and changes nothing stored;
//! concurrent requests cannot duplicate or corrupt data.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, PUBLIC_BASE_URL, assert_problem, invalid_fields, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    nul_characters_are_refused_naming_the_field,
    dates_outside_the_supported_range_are_refused,
    password_checks_on_the_account_share_the_login_attempt_limit,
    completing_one_recurring_task_twice_at_once_creates_one_next_occurrence,
    optional_bodies_get_415_and_400_like_any_other,
    search_ignores_case_beyond_ascii,
    fields_a_client_may_not_set_are_refused_on_birthdays_and_alerts,
    upcoming_birthdays_page_with_a_cursor,
    every_list_validates_limit_and_cursor,
    more_invalid_task_fields_are_named,
    daily_weekly_and_yearly_tasks_recur_through_the_api,
    injection_strings_are_stored_and_returned_verbatim,
    a_huge_string_in_any_field_is_a_4xx_naming_it_and_changes_nothing,
);

async fn nul_characters_are_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ann\u{0}", "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, invalid_fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["username".to_owned()])
    );
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/tasks",
            Some(&ann.access_token),
            Some(json!({"title": "a\u{0}b"})),
        )
        .await;
    assert_eq!(
        (status, invalid_fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["title".to_owned()])
    );
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/tasks",
            Some(&ann.access_token),
            Some(json!({"title": "t", "labels": ["ok", "x\u{0}"]})),
        )
        .await;
    assert_eq!(
        (status, invalid_fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["labels[1]".to_owned()])
    );
    let response = app
        .request(Method::GET, "/api/v1/tasks?q=a%00b", Some(&ann.access_token), None)
        .await;
    assert_eq!(
        invalid_fields(&assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["q"]
    );
    let (_, page) = app
        .call(Method::GET, "/api/v1/tasks", Some(&ann.access_token), None)
        .await;
    assert_eq!(page["items"], json!([]));
}

async fn dates_outside_the_supported_range_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app.signed_up("ann").await.access_token;
    for due in ["-5000-01-01", "1899-12-31", "2200-01-01"] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/tasks",
                Some(&t),
                Some(json!({"title": "t", "due_date": due})),
            )
            .await;
        assert_eq!(
            (status, invalid_fields(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["due_date".to_owned()]),
            "{due}"
        );
    }
    for (path, field) in [
        ("/api/v1/tasks?due_before=-5000-01-01", "due_before"),
        ("/api/v1/tasks?due_after=9999-12-31", "due_after"),
        ("/api/v1/agenda?from=-0001-01-01", "from"),
        ("/api/v1/agenda?from=2026-01-01&to=2300-01-01", "to"),
    ] {
        let response = app.request(Method::GET, path, Some(&t), None).await;
        assert_eq!(
            invalid_fields(&assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
            [field],
            "{path}"
        );
    }
    // A hand-made cursor with an absurd key starts the list over instead of failing.
    use base64::Engine as _;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"s":"created_at","k":"-250000-01-01T00:00:00Z","i":1}"#);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/tasks?sort=created_at&cursor={forged}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn password_checks_on_the_account_share_the_login_attempt_limit(backend: Backend) {
    let app = spawn_app_with(backend, &[("LOGIN_FAILURES_PER_ACCOUNT", "3")]).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    for _ in 0..3 {
        let wrong = json!({"current_password": "a wrong guess", "new_password": "something entirely new"});
        assert_eq!(
            app.call(Method::PUT, "/api/v1/me/password", Some(t), Some(wrong))
                .await
                .0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let response = app
        .request(
            Method::DELETE,
            "/api/v1/me",
            Some(t),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(
        app.login("ann", PASSWORD).await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "a stolen token cannot be used to guess the password"
    );
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(t), None).await.0,
        StatusCode::OK,
        "the account itself is untouched"
    );
}

async fn completing_one_recurring_task_twice_at_once_creates_one_next_occurrence(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app.signed_up("ann").await.access_token;
    let (_, task) = app
        .call(
            Method::POST,
            "/api/v1/tasks",
            Some(&t),
            Some(json!({"title": "Water plants", "due_date": "2026-12-05", "recurrence": {"frequency": "weekly"}})),
        )
        .await;
    let path = format!("/api/v1/tasks/{}", task["id"]);
    let done = || app.call(Method::PATCH, &path, Some(&t), Some(json!({"completed": true})));
    let results = futures::future::join_all((0..8).map(|_| done())).await;
    for (status, body) in &results {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    let (_, open) = app.call(Method::GET, "/api/v1/tasks?status=open", Some(&t), None).await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open["items"][0]["due_date"], "2026-12-12");
}

async fn optional_bodies_get_415_and_400_like_any_other(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    for path in ["/api/v1/auth/refresh", "/api/v1/auth/logout"] {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "text/plain")
            .body("refresh_token=x")
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body("{\"refresh_token\":")
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
    // A browser always sends Origin with a POST, so the cookie is not accepted without one.
    let response = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("planner_refresh={}", ann.refresh_token))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::FORBIDDEN).await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("planner_refresh={}", ann.refresh_token))
        .header("origin", PUBLIC_BASE_URL)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let ann = app.logged_in("ann").await;
    let (_, birthday) = app
        .call(
            Method::POST,
            "/api/v1/birthdays",
            Some(&ann.access_token),
            Some(json!({"name": "Bo", "month": 1, "day": 2})),
        )
        .await;
    let preview = app.url(&format!("/api/v1/birthdays/{}/preview", birthday["id"]));
    let response = app
        .client
        .post(&preview)
        .bearer_auth(&ann.access_token)
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let response = app
        .client
        .post(&preview)
        .bearer_auth(&ann.access_token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST).await;
}

async fn search_ignores_case_beyond_ascii(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app.signed_up("ann").await.access_token;
    app.call(
        Method::POST,
        "/api/v1/tasks",
        Some(&t),
        Some(json!({"title": "Ärger mit dem ÖPNV", "description": "Straße"})),
    )
    .await;
    for q in ["ärger", "öpnv", "STRASSE", "straße", "STRAẞE"] {
        let (_, page) = app
            .call(
                Method::GET,
                &format!("/api/v1/tasks?q={}", urlencode(q)),
                Some(&t),
                None,
            )
            .await;
        let expected = usize::from(q != "STRASSE");
        assert_eq!(page["items"].as_array().unwrap().len(), expected, "{q}");
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn fields_a_client_may_not_set_are_refused_on_birthdays_and_alerts(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app.signed_up("ann").await.access_token;
    for field in ["id", "user_id", "created_at", "turns"] {
        let mut body = json!({"name": "Bo", "month": 1, "day": 2});
        body[field] = json!(1);
        let (status, problem) = app.call(Method::POST, "/api/v1/birthdays", Some(&t), Some(body)).await;
        assert_eq!(
            (status, invalid_fields(&problem)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_owned()])
        );
    }
    for field in ["id", "user_id", "title", "status"] {
        let mut body = json!({"tmdb_id": 1, "release_types": ["digital"]});
        body[field] = json!(1);
        let (status, problem) = app
            .call(Method::POST, "/api/v1/movie-alerts", Some(&t), Some(body))
            .await;
        assert_eq!(
            (status, invalid_fields(&problem)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_owned()])
        );
    }
    let (_, bo) = app
        .call(
            Method::POST,
            "/api/v1/birthdays",
            Some(&t),
            Some(json!({"name": "Bo", "month": 1, "day": 2})),
        )
        .await;
    let path = format!("/api/v1/birthdays/{}", bo["id"]);
    for (body, field) in [
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"notes": "x".repeat(2001)}), "notes"),
        (json!({"message": "x".repeat(5001)}), "message"),
        (json!({"email": "nope"}), "email"),
        (json!({"send_greeting": true}), "email"),
        (json!({"timezone": "Nowhere/Town"}), "timezone"),
        (
            json!({"remind_me_days_before": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}),
            "remind_me_days_before",
        ),
        (json!({"user_id": 2}), "user_id"),
    ] {
        let (status, problem) = app.call(Method::PATCH, &path, Some(&t), Some(body.clone())).await;
        assert_eq!(
            (status, invalid_fields(&problem)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_owned()]),
            "{body}"
        );
    }
    assert_eq!(
        app.call(Method::GET, &path, Some(&t), None).await.1,
        bo,
        "nothing changed"
    );
}

async fn upcoming_birthdays_page_with_a_cursor(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app.signed_up("ann").await.access_token;
    for (i, day) in [5, 6, 6, 7, 8, 9, 10].into_iter().enumerate() {
        app.call(
            Method::POST,
            "/api/v1/birthdays",
            Some(&t),
            Some(json!({"name": format!("p{i}"), "month": 12, "day": day})),
        )
        .await;
    }
    let mut names = vec![];
    let mut url = "/api/v1/birthdays/upcoming?limit=3".to_owned();
    loop {
        let (status, page) = app.call(Method::GET, &url, Some(&t), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        names.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["name"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("/api/v1/birthdays/upcoming?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(names, ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
}

async fn every_list_validates_limit_and_cursor(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app.signed_up("ann").await.access_token;
    for list in [
        "/api/v1/tasks",
        "/api/v1/birthdays",
        "/api/v1/birthdays/upcoming",
        "/api/v1/movie-alerts",
        "/api/v1/notifications",
    ] {
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("limit=-1", "limit"),
            ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ] {
            let response = app
                .request(Method::GET, &format!("{list}?{query}"), Some(&t), None)
                .await;
            let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(invalid_fields(&problem), [field], "{list}?{query}");
        }
    }
    let response = app
        .request(Method::GET, "/api/v1/birthdays/upcoming?days=-1", Some(&t), None)
        .await;
    assert_eq!(
        invalid_fields(&assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["days"]
    );
    // A cursor from one list does not page another.
    for i in 0..3 {
        app.call(
            Method::POST,
            "/api/v1/birthdays",
            Some(&t),
            Some(json!({"name": format!("b{i}"), "month": 1, "day": 1})),
        )
        .await;
    }
    let (_, page) = app.call(Method::GET, "/api/v1/birthdays?limit=1", Some(&t), None).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let response = app
        .request(Method::GET, &format!("/api/v1/tasks?cursor={cursor}"), Some(&t), None)
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
}

async fn more_invalid_task_fields_are_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app.signed_up("ann").await.access_token;
    let many: Vec<String> = (0..21).map(|i| format!("l{i}")).collect();
    for (body, field) in [
        (json!({"title": "t", "labels": many}), "labels"),
        (
            json!({"title": "t", "due_date": "2026-12-05", "recurrence": {"frequency": "daily", "interval": 366}}),
            "recurrence.interval",
        ),
        (json!({"title": "t", "labels": "work"}), "labels"),
        (json!({"title": "t", "completed": "yes"}), "completed"),
    ] {
        let (status, problem) = app
            .call(Method::POST, "/api/v1/tasks", Some(&t), Some(body.clone()))
            .await;
        assert_eq!(
            (status, invalid_fields(&problem)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_owned()]),
            "{body}"
        );
    }
    for (query, field) in [
        (format!("q={}", "x".repeat(201)), "q"),
        ("label=a%22b".to_owned(), "label"),
        ("overdue=maybe".to_owned(), "overdue"),
    ] {
        let response = app
            .request(Method::GET, &format!("/api/v1/tasks?{query}"), Some(&t), None)
            .await;
        assert_eq!(
            invalid_fields(&assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
            [field],
            "{query}"
        );
    }
}

async fn daily_weekly_and_yearly_tasks_recur_through_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app.signed_up("ann").await.access_token;
    for (frequency, interval, due, next) in [
        ("daily", 3, "2026-12-30", "2027-01-02"),
        ("weekly", 2, "2026-12-28", "2027-01-11"),
        ("yearly", 1, "2028-02-29", "2029-02-28"),
    ] {
        let body =
            json!({"title": frequency, "due_date": due, "recurrence": {"frequency": frequency, "interval": interval}});
        let (_, task) = app.call(Method::POST, "/api/v1/tasks", Some(&t), Some(body)).await;
        app.call(
            Method::PATCH,
            &format!("/api/v1/tasks/{}", task["id"]),
            Some(&t),
            Some(json!({"completed": true})),
        )
        .await;
        let (_, open) = app
            .call(
                Method::GET,
                &format!("/api/v1/tasks?status=open&q={frequency}"),
                Some(&t),
                None,
            )
            .await;
        assert_eq!(open["items"][0]["due_date"], next, "{frequency}");
    }
}

/// SQL, header, HTML and format-string attacks are data: stored as sent, returned as sent, and found by search.
async fn injection_strings_are_stored_and_returned_verbatim(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app.signed_up("ann").await.access_token;
    let hostile = [
        "Robert'); DROP TABLE tasks;--",
        "' OR '1'='1",
        "x\" UNION SELECT password_hash FROM users --",
        "%s%n%x {0} ${jndi:ldap://x} {{name}}",
        "<script>alert(1)</script>",
        "a\\b\\c; \\\\ \u{202e}reversed",
    ];
    for text in hostile {
        let (status, task) = app
            .call(Method::POST, "/api/v1/tasks", Some(&t), Some(json!({"title": text, "description": text, "labels": [text.chars().filter(|c| c.is_alphanumeric()).take(20).collect::<String>()]})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{text}: {task}");
        let (_, stored) = app
            .call(Method::GET, &format!("/api/v1/tasks/{}", task["id"]), Some(&t), None)
            .await;
        assert_eq!(
            (stored["title"].as_str(), stored["description"].as_str()),
            (Some(text), Some(text))
        );
        let (_, found) = app
            .call(
                Method::GET,
                &format!("/api/v1/tasks?q={}", urlencode(text)),
                Some(&t),
                None,
            )
            .await;
        let titles: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["title"].as_str())
            .collect();
        assert!(titles.contains(&text), "search for {text:?} finds it: {titles:?}");

        let (status, birthday) = app
            .call(
                Method::POST,
                "/api/v1/birthdays",
                Some(&t),
                Some(json!({"name": text, "month": 5, "day": 1, "notes": text})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{text}: {birthday}");
        assert_eq!(
            (birthday["name"].as_str(), birthday["notes"].as_str()),
            (Some(text), Some(text))
        );
    }
    // A header injection in a display name, which goes into the From header of greetings, is refused, naming it.
    let (status, problem) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&t),
            Some(json!({"display_name": "Ann\r\nBcc: everyone@example.com"})),
        )
        .await;
    assert_eq!(
        (status, invalid_fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["display_name".to_owned()])
    );
    let (_, tasks) = app.call(Method::GET, "/api/v1/tasks?limit=200", Some(&t), None).await;
    assert_eq!(
        tasks["items"].as_array().unwrap().len(),
        hostile.len(),
        "nothing dropped, nothing extra"
    );
}

/// A string of 300 000 characters (under the 1 MiB body limit) in each text field of each body, and 6 000 in each
/// text query parameter: a 4xx every time, a 422 names the field, and nothing stored changes.
async fn a_huge_string_in_any_field_is_a_4xx_naming_it_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app.signed_up("ann").await.access_token;
    let (_, task) = app
        .call(
            Method::POST,
            "/api/v1/tasks",
            Some(&t),
            Some(json!({"title": "keep me"})),
        )
        .await;
    let (_, birthday) = app
        .call(
            Method::POST,
            "/api/v1/birthdays",
            Some(&t),
            Some(json!({"name": "Bo", "month": 5, "day": 1})),
        )
        .await;
    let export = |app: &crate::helpers::TestApp| {
        let t = t.clone();
        let url = app.url("/api/v1/me/export");
        let client = app.client.clone();
        async move {
            let mut data: serde_json::Value = client
                .get(url)
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            data.as_object_mut().unwrap().remove("exported_at");
            data
        }
    };
    let before = export(&app).await;
    let huge = "x".repeat(300_000);
    let task_path = format!("/api/v1/tasks/{}", task["id"]);
    let birthday_path = format!("/api/v1/birthdays/{}", birthday["id"]);
    let preview_path = format!("{birthday_path}/preview");
    let bodies: Vec<(Method, &str, serde_json::Value, &[&str])> = vec![
        (
            Method::POST,
            "/api/v1/auth/register",
            json!({"username": "bob", "email": "bob@example.com", "password": PASSWORD}),
            &["username", "email", "password", "display_name", "timezone", "region"],
        ),
        (
            Method::POST,
            "/api/v1/auth/login",
            json!({"username": "ann", "password": PASSWORD}),
            &["username", "password"],
        ),
        (
            Method::POST,
            "/api/v1/auth/password-reset/request",
            json!({"email": "ann@example.com"}),
            &["email"],
        ),
        (
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            json!({"token": "t", "new_password": "a brand new passphrase"}),
            &["token", "new_password"],
        ),
        (
            Method::POST,
            "/api/v1/auth/verify-email/confirm",
            json!({"token": "t"}),
            &["token"],
        ),
        (
            Method::POST,
            "/api/v1/auth/refresh",
            json!({"refresh_token": "t"}),
            &["refresh_token"],
        ),
        (
            Method::PATCH,
            "/api/v1/me",
            json!({}),
            &["display_name", "email", "timezone", "region", "language"],
        ),
        (
            Method::PUT,
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
            &["current_password", "new_password"],
        ),
        (
            Method::POST,
            "/api/v1/tasks",
            json!({"title": "t"}),
            &["title", "description", "due_time", "label"],
        ),
        (
            Method::PATCH,
            &task_path,
            json!({}),
            &["title", "description", "due_time", "label"],
        ),
        (
            Method::POST,
            "/api/v1/birthdays",
            json!({"name": "Cy", "month": 1, "day": 2}),
            &["name", "email", "subject", "message", "timezone", "notes"],
        ),
        (
            Method::PATCH,
            &birthday_path,
            json!({}),
            &["name", "email", "subject", "message", "timezone", "notes"],
        ),
        (Method::POST, &preview_path, json!({}), &["subject", "message"]),
        (
            Method::POST,
            "/api/v1/movie-alerts",
            json!({"tmdb_id": 1, "release_types": ["theatrical"]}),
            &["region"],
        ),
    ];
    for (method, path, base, fields) in bodies {
        for field in fields {
            let mut body = base.clone();
            // Labels are a list: the huge string goes in as one label.
            if *field == "label" {
                body["labels"] = json!([huge]);
            } else {
                body[*field] = json!(huge);
            }
            let response = app.request(method.clone(), path, Some(&t), Some(body)).await;
            let status = response.status();
            // A reset request says nothing about the address it names, by design: 202 whatever it is.
            let says_nothing = path == "/api/v1/auth/password-reset/request" && status == StatusCode::ACCEPTED;
            assert!(
                status.is_client_error() || says_nothing,
                "{method} {path} with a huge {field}: {status}"
            );
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                let named = invalid_fields(&response.json().await.unwrap());
                let expected = if *field == "label" { "labels" } else { *field };
                assert!(
                    named.iter().any(|n| n.starts_with(expected)),
                    "{method} {path}: {named:?} names {field}"
                );
            }
        }
    }
    let long = "x".repeat(6_000);
    for (path, parameter) in [
        ("/api/v1/tasks", "q"),
        ("/api/v1/tasks", "label"),
        ("/api/v1/tasks", "sort"),
        ("/api/v1/tasks", "status"),
        ("/api/v1/tasks", "cursor"),
        ("/api/v1/birthdays", "cursor"),
        ("/api/v1/notifications", "cursor"),
        ("/api/v1/movies/search", "query"),
        ("/api/v1/agenda", "from"),
    ] {
        let response = app
            .request(Method::GET, &format!("{path}?{parameter}={long}"), Some(&t), None)
            .await;
        let status = response.status();
        assert!(status.is_client_error(), "{path}?{parameter}=<6000 x>: {status}");
    }
    assert_eq!(export(&app).await, before, "nothing stored changed");
}
