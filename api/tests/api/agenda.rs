//! The agenda, the iCalendar feed (parsed with a real iCalendar parser, recurrences expanded) and the export.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fake_tmdb::{self, DUNE, TOKEN};
use crate::helpers::{Backend, TestApp, assert_problem, invalid_fields, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    the_agenda_lists_tasks_birthdays_and_releases_in_date_order,
    the_calendar_feed_is_valid_icalendar_with_stable_uids_and_leap_day_rules,
    replacing_the_feed_url_stops_the_old_one,
    the_export_holds_all_of_the_users_data_and_nobody_elses,
);

async fn populated(backend: Backend) -> (TestApp, String, wiremock::MockServer) {
    let tmdb = fake_tmdb::start().await;
    fake_tmdb::mount_dune(&tmdb, 1).await;
    let app = spawn_app_with(backend, &[("TMDB_BASE_URL", &tmdb.uri()), ("TMDB_API_TOKEN", TOKEN)]).await;
    let ann = app.signed_up("ann").await;
    let t = ann.access_token.clone();
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&t),
        Some(json!({"region": "DE", "timezone": "Europe/Berlin"})),
    )
    .await;
    for body in [
        json!({"title": "Dentist", "due_date": "2026-12-10", "due_time": "14:30"}),
        json!({"title": "Buy gifts", "due_date": "2026-12-20", "completed": true}),
        json!({"title": "Far away", "due_date": "2027-06-01"}),
        json!({"title": "Someday"}),
    ] {
        assert_eq!(
            app.call(Method::POST, "/api/v1/tasks", Some(&t), Some(body)).await.0,
            StatusCode::CREATED
        );
    }
    for body in [
        json!({"name": "Bo", "month": 12, "day": 24, "year": 1996}),
        json!({"name": "Leap", "month": 2, "day": 29, "year": 2004}),
        json!({"name": "Leap too", "month": 2, "day": 29, "leap_day_rule": "mar1"}),
    ] {
        assert_eq!(
            app.call(Method::POST, "/api/v1/birthdays", Some(&t), Some(body))
                .await
                .0,
            StatusCode::CREATED
        );
    }
    let (status, alert) = app
        .call(
            Method::POST,
            "/api/v1/movie-alerts",
            Some(&t),
            Some(json!({"tmdb_id": DUNE, "release_types": ["theatrical", "digital"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    (app, t, tmdb)
}

fn summary(items: &Value) -> Vec<(String, String, String)> {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["date"].as_str().unwrap().to_owned(),
                i["kind"].as_str().unwrap().to_owned(),
                i["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn the_agenda_lists_tasks_birthdays_and_releases_in_date_order(backend: Backend) {
    let (app, t, _tmdb) = populated(backend).await;
    let (status, agenda) = app.call(Method::GET, "/api/v1/agenda", Some(&t), None).await;
    assert_eq!(status, StatusCode::OK, "{agenda}");
    assert_eq!(
        (agenda["from"].as_str(), agenda["to"].as_str()),
        (Some("2026-12-04"), Some("2027-01-03"))
    );
    assert_eq!(
        summary(&agenda),
        [
            ("2026-12-10".into(), "task".into(), "Dentist".into()),
            ("2026-12-20".into(), "task".into(), "Buy gifts".into()),
            ("2026-12-24".into(), "birthday".into(), "Bo's birthday".into()),
        ]
    );
    let items = agenda["items"].as_array().unwrap();
    assert_eq!(
        (items[0]["time"].as_str(), &items[0]["completed"]),
        (Some("14:30"), &json!(false))
    );
    assert_eq!(items[1]["completed"], true);
    assert_eq!(items[2]["age"], 30);

    let (_, spring) = app
        .call(
            Method::GET,
            "/api/v1/agenda?from=2027-01-01&to=2027-03-31",
            Some(&t),
            None,
        )
        .await;
    assert_eq!(
        summary(&spring),
        [
            (
                "2027-01-15".into(),
                "release".into(),
                "Dune: Teil Drei (theatrical release, DE)".into()
            ),
            ("2027-02-28".into(), "birthday".into(), "Leap's birthday".into()),
            ("2027-03-01".into(), "birthday".into(), "Leap too's birthday".into()),
            (
                "2027-03-01".into(),
                "release".into(),
                "Dune: Teil Drei (digital release, DE)".into()
            ),
        ]
    );
    assert_eq!(spring["items"][0]["release_type"], "theatrical");
    assert_eq!(spring["items"][1]["age"], 23);
    assert_eq!(spring["items"][2]["age"], Value::Null);

    let (_, year) = app
        .call(
            Method::GET,
            "/api/v1/agenda?from=2026-12-01&to=2027-12-02",
            Some(&t),
            None,
        )
        .await;
    assert_eq!(
        year["items"].as_array().unwrap().len(),
        8,
        "3 dated tasks, 3 birthdays, 2 releases in 366 days: {year}"
    );
    for (query, field) in [
        ("from=2027-01-02&to=2027-01-01", "to"),
        ("from=2026-01-01&to=2027-01-03", "to"),
        ("from=nope", "from"),
    ] {
        let response = app
            .request(Method::GET, &format!("/api/v1/agenda?{query}"), Some(&t), None)
            .await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), [field], "{query}");
    }
    let bob = app.signed_up("bob").await;
    let (_, theirs) = app
        .call(
            Method::GET,
            "/api/v1/agenda?from=2026-12-01&to=2027-12-01",
            Some(&bob.access_token),
            None,
        )
        .await;
    assert_eq!(
        theirs["items"],
        json!([]),
        "one user's agenda shows nothing of another's"
    );
}

fn parse_calendar(text: &str) -> ical::parser::ical::component::IcalCalendar {
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = parser.next().expect("one calendar").expect("parses");
    assert!(parser.next().is_none());
    calendar
}

fn property<'a>(event: &'a ical::parser::ical::component::IcalEvent, name: &str) -> Option<&'a str> {
    event
        .properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref())
}

async fn feed_text(app: &TestApp, url: &str) -> reqwest::Response {
    let path = url.split_once("planner.test").unwrap().1;
    app.client.get(app.url(path)).send().await.unwrap()
}

fn expand(dtstart: &str, rule: &str, count: u16) -> Vec<String> {
    let set: rrule::RRuleSet = format!("DTSTART:{dtstart}T000000Z\nRRULE:{rule};COUNT={count}")
        .parse()
        .unwrap();
    set.all(count)
        .dates
        .iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect()
}

async fn the_calendar_feed_is_valid_icalendar_with_stable_uids_and_leap_day_rules(backend: Backend) {
    let (app, t, _tmdb) = populated(backend).await;
    let (status, feed) = app.call(Method::GET, "/api/v1/me/calendar-feed", Some(&t), None).await;
    assert_eq!(status, StatusCode::OK);
    let url = feed["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with("http://planner.test/api/v1/calendar/") && url.ends_with(".ics"),
        "built on PUBLIC_BASE_URL: {url}"
    );

    let response = feed_text(&app, &url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/calendar; charset=utf-8");
    let text = response.text().await.unwrap();
    assert!(text.lines().all(|l| l.len() <= 76), "lines fold at 75 octets");
    let calendar = parse_calendar(&text);
    let uid = |e: &ical::parser::ical::component::IcalEvent| property(e, "UID").unwrap().to_owned();
    let mut uids: Vec<String> = calendar.events.iter().map(uid).collect();
    uids.sort();
    assert_eq!(
        uids.len(),
        3 + 3 + 2,
        "3 birthdays, 3 dated tasks, 2 releases: {uids:?}"
    );
    let again: Vec<String> = parse_calendar(&feed_text(&app, &url).await.text().await.unwrap())
        .events
        .iter()
        .map(uid)
        .collect();
    let mut again_sorted = again.clone();
    again_sorted.sort();
    assert_eq!(
        uids, again_sorted,
        "UIDs are stable, so calendar apps update instead of duplicating"
    );

    let by_summary = |s: &str| {
        calendar
            .events
            .iter()
            .find(|e| property(e, "SUMMARY") == Some(s))
            .unwrap_or_else(|| panic!("no {s}"))
    };
    let bo = by_summary("Bo's birthday");
    assert_eq!(property(bo, "DTSTART"), Some("19961224"));
    assert_eq!(property(bo, "RRULE"), Some("FREQ=YEARLY"));
    let leap = by_summary("Leap's birthday");
    assert_eq!(
        expand("20040229", property(leap, "RRULE").unwrap(), 5),
        ["2004-02-29", "2005-02-28", "2006-02-28", "2007-02-28", "2008-02-29"]
    );
    let leap_too = by_summary("Leap too's birthday");
    assert_eq!(
        expand(
            property(leap_too, "DTSTART").unwrap(),
            property(leap_too, "RRULE").unwrap(),
            2
        ),
        ["2000-02-29", "2001-03-01"]
    );
    let dentist = by_summary("Dentist");
    assert_eq!(
        property(dentist, "DTSTART"),
        Some("20261210T133000Z"),
        "14:30 in Berlin is 13:30 UTC"
    );
    assert!(by_summary("✔ Buy gifts").properties.iter().any(|p| {
        p.name == "DTSTART"
            && p.params
                .as_ref()
                .is_some_and(|ps| ps.iter().any(|(k, v)| k == "VALUE" && v.as_slice() == ["DATE"]))
    }));
    let release = by_summary("Dune: Teil Drei (digital release\\, DE)");
    assert_eq!(property(release, "DTSTART"), Some("20270301"));
    assert!(calendar.events.iter().all(|e| property(e, "DTSTAMP").is_some()));
}

async fn replacing_the_feed_url_stops_the_old_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let bob = app.signed_up("bob").await;
    let (_, old) = app
        .call(Method::GET, "/api/v1/me/calendar-feed", Some(&ann.access_token), None)
        .await;
    let old = old["url"].as_str().unwrap().to_owned();
    assert_eq!(
        feed_text(&app, &old).await.status(),
        StatusCode::OK,
        "no login needed, the URL is the credential"
    );
    let (_, bobs) = app
        .call(Method::GET, "/api/v1/me/calendar-feed", Some(&bob.access_token), None)
        .await;
    let bobs = bobs["url"].as_str().unwrap();
    // Bob's MAC with Ann's id, or a made-up one, opens nothing.
    let ann_id = old.rsplit('/').next().unwrap().split('-').next().unwrap();
    let forged = format!(
        "http://planner.test/api/v1/calendar/{ann_id}-{}",
        bobs.rsplit('/').next().unwrap().split_once('-').unwrap().1
    );
    assert_problem(feed_text(&app, &forged).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        feed_text(&app, "http://planner.test/api/v1/calendar/1-AAAA.ics").await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let (status, new) = app
        .call(Method::POST, "/api/v1/me/calendar-feed", Some(&ann.access_token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let new = new["url"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_problem(feed_text(&app, &old).await, StatusCode::NOT_FOUND).await;
    assert_eq!(feed_text(&app, &new).await.status(), StatusCode::OK);
    let (_, shown) = app
        .call(Method::GET, "/api/v1/me/calendar-feed", Some(&ann.access_token), None)
        .await;
    assert_eq!(shown["url"], new.as_str());
}

async fn the_export_holds_all_of_the_users_data_and_nobody_elses(backend: Backend) {
    let (app, t, _tmdb) = populated(backend).await;
    let bob = app.signed_up("bob").await;
    app.call(
        Method::POST,
        "/api/v1/tasks",
        Some(&bob.access_token),
        Some(json!({"title": "bob's secret"})),
    )
    .await;
    let response = app.request(Method::GET, "/api/v1/me/export", Some(&t), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"planner-export-2026-12-04.json\""
    );
    let export: Value = response.json().await.unwrap();
    assert_eq!(export["user"]["username"], "ann");
    assert_eq!(export["tasks"].as_array().unwrap().len(), 4);
    assert_eq!(export["birthdays"].as_array().unwrap().len(), 3);
    assert_eq!(export["movie_alerts"][0]["tmdb_id"], DUNE);
    assert_eq!(export["sessions"].as_array().unwrap().len(), 1);
    assert!(!export.to_string().contains("bob's secret"));
    assert!(!export.to_string().contains("argon2"), "no password hash in the export");
}
