//! Birthdays: dates, 29 February, next occurrence and age, templates, upcoming, preview and ownership.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, invalid_fields, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    a_birthday_shows_its_next_occurrence_and_age,
    impossible_dates_and_bad_fields_are_422_naming_the_field,
    leap_day_birthdays_follow_their_rule_in_common_years,
    upcoming_lists_the_next_days_in_date_order,
    the_preview_renders_greeting_and_reminder_as_sent,
    another_users_birthday_is_404_on_every_method,
    birthdays_page_in_calendar_order_without_gaps,
);

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, birthday) = app
        .call(Method::POST, "/api/v1/birthdays", Some(token), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{birthday}");
    birthday
}

async fn a_birthday_shows_its_next_occurrence_and_age(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    // Today is 2026-12-04 in UTC.
    let bo = create(
        &app,
        t,
        json!({"name": "Bo", "month": 12, "day": 4, "year": 1990, "email": "bo@example.com", "send_greeting": true}),
    )
    .await;
    assert_eq!(bo["next_occurrence"], "2026-12-04", "today counts");
    assert_eq!(bo["turns"], 36);
    assert_eq!(bo["subject"], "Happy birthday, {name}!");
    assert_eq!(bo["remind_me_days_before"], json!([0]));
    assert_eq!(bo["leap_day_rule"], "feb28");
    let cy = create(
        &app,
        t,
        json!({"name": "Cy", "month": 1, "day": 15, "remind_me_days_before": [0, 7, 1, 7]}),
    )
    .await;
    assert_eq!(cy["next_occurrence"], "2027-01-15");
    assert_eq!(cy["turns"], Value::Null, "no year, no age");
    assert_eq!(cy["remind_me_days_before"], json!([7, 1, 0]));

    // On 4 December at 12:00 UTC it is already 5 December in Kiritimati: Bo's birthday there is next year.
    let path = format!("/api/v1/birthdays/{}", bo["id"]);
    let (status, moved) = app
        .call(
            Method::PATCH,
            &path,
            Some(t),
            Some(json!({"timezone": "Pacific/Kiritimati"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        (moved["next_occurrence"].as_str(), moved["turns"].as_i64()),
        (Some("2027-12-04"), Some(37))
    );
    let (_, moved) = app
        .call(
            Method::PATCH,
            &path,
            Some(t),
            Some(json!({"timezone": "Pacific/Pago_Pago", "year": null})),
        )
        .await;
    assert_eq!(
        (moved["next_occurrence"].as_str(), &moved["turns"]),
        (Some("2026-12-04"), &Value::Null)
    );

    assert_eq!(
        app.call(Method::DELETE, &path, Some(t), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.request(Method::GET, &path, Some(t), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn impossible_dates_and_bad_fields_are_422_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    let cases = [
        (json!({"name": "A", "month": 4, "day": 31}), "day"),
        (json!({"name": "A", "month": 2, "day": 30}), "day"),
        (json!({"name": "A", "month": 2, "day": 29, "year": 2023}), "day"),
        (json!({"name": "A", "month": 13, "day": 1}), "month"),
        (json!({"name": "A", "month": 1, "day": 0}), "day"),
        (json!({"name": "A", "month": 12, "day": 31, "year": 2026}), "year"),
        (json!({"name": "", "month": 1, "day": 1}), "name"),
        (json!({"name": "A", "month": 1, "day": 1, "email": "nope"}), "email"),
        (
            json!({"name": "A", "month": 1, "day": 1, "send_greeting": true}),
            "email",
        ),
        (
            json!({"name": "A", "month": 1, "day": 1, "subject": "Hi {nickname}"}),
            "subject",
        ),
        (
            json!({"name": "A", "month": 1, "day": 1, "message": "Hi {name"}),
            "message",
        ),
        (
            json!({"name": "A", "month": 1, "day": 1, "subject": "Hi\r\nBcc: victim@example.com"}),
            "subject",
        ),
        (
            json!({"name": "A", "month": 1, "day": 1, "timezone": "Moon/Base"}),
            "timezone",
        ),
        (
            json!({"name": "A", "month": 1, "day": 1, "remind_me_days_before": [400]}),
            "remind_me_days_before",
        ),
        (
            json!({"name": "A", "month": 1, "day": 1, "remind_me_days_before": [-1]}),
            "remind_me_days_before",
        ),
        (
            json!({"name": "A", "month": 1, "day": 1, "leap_day_rule": "mar2"}),
            "leap_day_rule",
        ),
        (json!({"name": "A", "month": "May", "day": 1}), "month"),
        (
            json!({"name": "A", "month": 1, "day": 1, "next_occurrence": "2027-01-01"}),
            "next_occurrence",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .request(Method::POST, "/api/v1/birthdays", Some(t), Some(body.clone()))
            .await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), [field], "{body}");
    }
    let (_, page) = app.call(Method::GET, "/api/v1/birthdays", Some(t), None).await;
    assert_eq!(page["items"], json!([]));

    let march = create(&app, t, json!({"name": "A", "month": 3, "day": 31})).await;
    let path = format!("/api/v1/birthdays/{}", march["id"]);
    let problem = assert_problem(
        app.request(Method::PATCH, &path, Some(t), Some(json!({"month": 4})))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        invalid_fields(&problem),
        ["day"],
        "31 April is refused whichever field changed"
    );
    assert_eq!(app.call(Method::GET, &path, Some(t), None).await.1, march);
}

async fn leap_day_birthdays_follow_their_rule_in_common_years(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    let feb = create(&app, t, json!({"name": "Leap", "month": 2, "day": 29, "year": 2004})).await;
    assert_eq!(
        (feb["next_occurrence"].as_str(), feb["turns"].as_i64()),
        (Some("2027-02-28"), Some(23))
    );
    let mar = create(
        &app,
        t,
        json!({"name": "Leap too", "month": 2, "day": 29, "year": 2004, "leap_day_rule": "mar1"}),
    )
    .await;
    assert_eq!(mar["next_occurrence"], "2027-03-01");
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2028-01-10T00:00:00Z")
            .unwrap()
            .into(),
    );
    let ann = app.logged_in("ann").await;
    let (_, mar) = app
        .call(
            Method::GET,
            &format!("/api/v1/birthdays/{}", mar["id"]),
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_eq!(
        (mar["next_occurrence"].as_str(), mar["turns"].as_i64()),
        (Some("2028-02-29"), Some(24))
    );
}

async fn upcoming_lists_the_next_days_in_date_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    for (name, month, day) in [
        ("Later", 2, 1),
        ("Soon", 12, 10),
        ("Today", 12, 4),
        ("Yesterday", 12, 3),
        ("New year", 1, 1),
    ] {
        create(&app, t, json!({"name": name, "month": month, "day": day})).await;
    }
    let names = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (_, default) = app.call(Method::GET, "/api/v1/birthdays/upcoming", Some(t), None).await;
    assert_eq!(names(&default), ["Today", "Soon", "New year"]);
    let (_, week) = app
        .call(Method::GET, "/api/v1/birthdays/upcoming?days=6", Some(t), None)
        .await;
    assert_eq!(names(&week), ["Today", "Soon"]);
    let (_, year) = app
        .call(Method::GET, "/api/v1/birthdays/upcoming?days=366", Some(t), None)
        .await;
    assert_eq!(names(&year), ["Today", "Soon", "New year", "Later", "Yesterday"]);
    let problem = assert_problem(
        app.request(Method::GET, "/api/v1/birthdays/upcoming?days=400", Some(t), None)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(invalid_fields(&problem), ["days"]);
}

async fn the_preview_renders_greeting_and_reminder_as_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(t),
        Some(json!({"display_name": "Ann Lee"})),
    )
    .await;
    let bo = create(
        &app,
        t,
        json!({"name": "Bo <3", "month": 12, "day": 24, "year": 1996, "email": "bo@example.com", "send_greeting": true,
               "subject": "Happy {age}th, {name}!", "message": "Dear {name},\n\nhave a great day.\n\n{sender}", "remind_me_days_before": [0, 7]}),
    )
    .await;
    let path = format!("/api/v1/birthdays/{}/preview", bo["id"]);
    let (status, preview) = app.call(Method::POST, &path, Some(t), None).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["occurrence"], "2026-12-24");
    assert_eq!(preview["greeting"]["subject"], "Happy 30th, Bo <3!");
    assert!(
        preview["greeting"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Dear Bo <3,\n\nhave a great day.\n\nAnn Lee")
    );
    assert!(
        preview["greeting"]["html"]
            .as_str()
            .unwrap()
            .contains("<p>Dear Bo &lt;3,</p>")
    );
    assert_eq!(preview["greeting_to"], "bo@example.com");
    let reminders = preview["reminders"].as_array().unwrap();
    assert_eq!(reminders.len(), 2, "one per remind_me_days_before entry");
    assert_eq!(
        (reminders[0]["days_before"].as_i64(), reminders[0]["send_on"].as_str()),
        (Some(7), Some("2026-12-17"))
    );
    assert_eq!(reminders[0]["message"]["subject"], "Bo <3's birthday is in 7 days");
    assert!(
        reminders[1]["message"]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Today is Bo <3")
    );
    assert!(
        reminders[1]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("bo@example.com")
    );

    let (status, draft) = app
        .call(
            Method::POST,
            &path,
            Some(t),
            Some(json!({"subject": "Draft for {name}"})),
        )
        .await;
    assert_eq!(
        (status, draft["greeting"]["subject"].as_str()),
        (StatusCode::OK, Some("Draft for Bo <3"))
    );
    let (_, stored) = app
        .call(Method::GET, &format!("/api/v1/birthdays/{}", bo["id"]), Some(t), None)
        .await;
    assert_eq!(stored["subject"], "Happy {age}th, {name}!", "a preview saves nothing");
    let problem = assert_problem(
        app.request(Method::POST, &path, Some(t), Some(json!({"message": "{oops}"})))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(invalid_fields(&problem), ["message"]);
}

async fn another_users_birthday_is_404_on_every_method(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let mallory = app.signed_up("mallory").await;
    let bo = create(&app, &ann.access_token, json!({"name": "Bo", "month": 5, "day": 5})).await;
    let path = format!("/api/v1/birthdays/{}", bo["id"]);
    for (method, path, body) in [
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), Some(json!({"name": "Eve"}))),
        (Method::DELETE, path.clone(), None),
        (Method::POST, format!("{path}/preview"), None),
    ] {
        assert_problem(
            app.request(method, &path, Some(&mallory.access_token), body).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let (_, upcoming) = app
        .call(
            Method::GET,
            "/api/v1/birthdays/upcoming?days=366",
            Some(&mallory.access_token),
            None,
        )
        .await;
    assert_eq!(upcoming["items"], json!([]));
    assert_eq!(app.call(Method::GET, &path, Some(&ann.access_token), None).await.1, bo);
}

async fn birthdays_page_in_calendar_order_without_gaps(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    for i in 0..12u32 {
        create(
            &app,
            t,
            json!({"name": format!("p{i}"), "month": 12 - i % 4, "day": 1 + i % 3}),
        )
        .await;
    }
    let mut seen = vec![];
    let mut url = "/api/v1/birthdays?limit=5".to_owned();
    loop {
        let (status, page) = app.call(Method::GET, &url, Some(t), None).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(page["items"].as_array().unwrap().iter().map(|b| {
            (
                b["month"].as_i64().unwrap(),
                b["day"].as_i64().unwrap(),
                b["id"].as_i64().unwrap(),
            )
        }));
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/birthdays?limit=5&cursor={c}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(seen, sorted, "calendar order across pages");
    assert_eq!(seen.len(), 12);
}
