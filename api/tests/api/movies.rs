//! Movie search and alerts against a fake TMDB speaking TMDB's wire format, including its faults.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::fake_tmdb::{self, DUNE, TOKEN};
use crate::helpers::{Backend, TestApp, assert_problem, invalid_fields, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    search_returns_movies_with_full_poster_urls_in_the_users_region_and_language,
    tracking_a_movie_keeps_its_dates_per_type_in_the_region_and_never_a_premiere,
    many_users_tracking_one_movie_cost_one_tmdb_call,
    alerts_belong_to_their_owner_and_follow_region_changes,
    tmdb_faults_are_retried_or_answered_with_503,
    without_a_tmdb_credential_movies_answer_503_and_the_rest_works,
    a_long_retry_after_pauses_all_tmdb_calls_instead_of_hammering,
    tmdb_backed_requests_are_limited_per_account,
    a_duplicate_alert_is_409_even_while_tmdb_is_down,
    alert_pages_have_no_gaps_or_repeats_while_alerts_are_added,
);

async fn app_with_tmdb(backend: Backend, server: &wiremock::MockServer) -> TestApp {
    spawn_app_with(backend, &[("TMDB_BASE_URL", &server.uri()), ("TMDB_API_TOKEN", TOKEN)]).await
}

async fn track(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/movie-alerts", Some(token), Some(body))
        .await
}

async fn search_returns_movies_with_full_poster_urls_in_the_users_region_and_language(backend: Backend) {
    let tmdb = fake_tmdb::start().await;
    Mock::given(method("GET"))
        .and(path("/search/movie"))
        .and(query_param("query", "matrix"))
        .and(query_param("region", "DE"))
        .and(query_param("language", "de"))
        .and(query_param("year", "1999"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fake_tmdb::search_results()))
        .expect(1)
        .mount(&tmdb)
        .await;
    let app = app_with_tmdb(backend, &tmdb).await;
    let ann = app.signed_up("ann").await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&ann.access_token),
        Some(json!({"region": "DE", "language": "de"})),
    )
    .await;
    let (status, body) = app
        .call(
            Method::GET,
            "/api/v1/movies/search?query=matrix&year=1999",
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total_results"], 2);
    assert_eq!(
        body["items"][0],
        json!({"tmdb_id": 603, "title": "Matrix", "original_title": "The Matrix", "release_date": "1999-03-31",
               "overview": "Set in the 22nd century, The Matrix tells the story of a computer hacker...",
               "poster_url": "https://image.tmdb.org/t/p/w342/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"})
    );
    assert_eq!(body["items"][1]["poster_url"], Value::Null);
    assert_eq!(
        body["items"][1]["release_date"],
        Value::Null,
        "TMDB's empty date is no date"
    );
    assert!(
        !body.to_string().contains(TOKEN),
        "the credential never reaches a client"
    );

    for (query, field) in [
        ("query=", "query"),
        ("query=x&year=1500", "year"),
        ("query=x&page=0", "page"),
        ("year=2000", "query"),
    ] {
        let response = app
            .request(
                Method::GET,
                &format!("/api/v1/movies/search?{query}"),
                Some(&ann.access_token),
                None,
            )
            .await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), [field], "{query}");
    }
}

async fn tracking_a_movie_keeps_its_dates_per_type_in_the_region_and_never_a_premiere(backend: Backend) {
    let tmdb = fake_tmdb::start().await;
    fake_tmdb::mount_dune(&tmdb, 1).await;
    fake_tmdb::mount_not_found(&tmdb).await;
    let app = app_with_tmdb(backend, &tmdb).await;
    let ann = app.signed_up("ann").await;
    let t = &ann.access_token;
    let (status, alert) = track(
        &app,
        t,
        json!({"tmdb_id": DUNE, "release_types": ["theatrical", "digital", "physical"], "region": "de"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    assert_eq!(alert["title"], "Dune: Teil Drei");
    assert_eq!(alert["original_title"], "Dune: Part Three");
    assert_eq!(alert["poster_url"], "https://image.tmdb.org/t/p/w342/dune3.jpg");
    assert_eq!(alert["region"], "DE");
    assert_eq!(
        alert["releases"],
        json!([{"type": "theatrical", "date": "2027-01-15"}, {"type": "digital", "date": "2027-03-01"}, {"type": "physical", "date": null}]),
        "the Berlin premiere on 2026-12-10 is not a release, and Germany has no physical date to guess"
    );
    assert_eq!(
        alert["next_release"],
        json!({"type": "theatrical", "date": "2027-01-15"})
    );
    assert_eq!(alert["status"], "waiting");

    let (status, duplicate) = track(&app, t, json!({"tmdb_id": DUNE, "release_types": ["digital"]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{duplicate}");
    assert_eq!(invalid_fields(&duplicate), ["tmdb_id"]);
    let (status, missing) = track(&app, t, json!({"tmdb_id": 999_999_999, "release_types": ["digital"]})).await;
    assert_eq!(
        (status, invalid_fields(&missing)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["tmdb_id".to_owned()])
    );
    for (body, field) in [
        (json!({"tmdb_id": DUNE, "release_types": []}), "release_types"),
        (
            json!({"tmdb_id": DUNE, "release_types": ["premiere"]}),
            "release_types[0]",
        ),
        (
            json!({"tmdb_id": DUNE, "release_types": ["digital"], "region": "XX"}),
            "region",
        ),
        (
            json!({"tmdb_id": DUNE, "release_types": ["digital"], "notify_days_before": 0}),
            "notify_days_before",
        ),
        (json!({"release_types": ["digital"]}), "tmdb_id"),
    ] {
        let (status, problem) = track(&app, t, body.clone()).await;
        assert_eq!(
            (status, invalid_fields(&problem)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_owned()]),
            "{body}"
        );
    }

    // On 2027-01-20 the film is in cinemas; the digital release is next.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2027-01-20T10:00:00Z")
            .unwrap()
            .into(),
    );
    let ann = app.logged_in("ann").await;
    let (_, alert) = app
        .call(
            Method::GET,
            &format!("/api/v1/movie-alerts/{}", alert["id"]),
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_eq!(alert["status"], "released");
    assert_eq!(alert["next_release"], json!({"type": "digital", "date": "2027-03-01"}));
}

async fn many_users_tracking_one_movie_cost_one_tmdb_call(backend: Backend) {
    let tmdb = fake_tmdb::start().await;
    fake_tmdb::mount_dune(&tmdb, 1).await;
    let app = app_with_tmdb(backend, &tmdb).await;
    for i in 0..5 {
        let user = app.signed_up(&format!("fan{i}")).await;
        let (status, body) = track(
            &app,
            &user.access_token,
            json!({"tmdb_id": DUNE, "release_types": ["theatrical"]}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // `expect(1)` on the details mock is verified when the fake TMDB stops.
}

async fn alerts_belong_to_their_owner_and_follow_region_changes(backend: Backend) {
    let tmdb = fake_tmdb::start().await;
    fake_tmdb::mount_dune(&tmdb, 1).await;
    let app = app_with_tmdb(backend, &tmdb).await;
    let ann = app.signed_up("ann").await;
    let mallory = app.signed_up("mallory").await;
    let (_, alert) = track(
        &app,
        &ann.access_token,
        json!({"tmdb_id": DUNE, "release_types": ["theatrical", "physical"]}),
    )
    .await;
    assert_eq!(alert["region"], "US", "the user's region by default");
    let path = format!("/api/v1/movie-alerts/{}", alert["id"]);
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"region": "DE"}))),
        (Method::DELETE, None),
    ] {
        assert_problem(
            app.request(method, &path, Some(&mallory.access_token), body).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let (_, page) = app
        .call(Method::GET, "/api/v1/movie-alerts", Some(&mallory.access_token), None)
        .await;
    assert_eq!(page["items"], json!([]));

    let (status, moved) = app
        .call(
            Method::PATCH,
            &path,
            Some(&ann.access_token),
            Some(json!({"region": "DE", "notify_days_before": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        moved["releases"],
        json!([{"type": "theatrical", "date": "2027-01-15"}, {"type": "physical", "date": null}])
    );
    assert_eq!(moved["notify_days_before"], 7);
    let (_, page) = app
        .call(Method::GET, "/api/v1/movie-alerts", Some(&ann.access_token), None)
        .await;
    assert_eq!(page["items"][0]["id"], alert["id"]);
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&ann.access_token), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.request(Method::GET, &path, Some(&ann.access_token), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn tmdb_faults_are_retried_or_answered_with_503(backend: Backend) {
    let tmdb = fake_tmdb::start().await;
    // The first search meets TMDB's rate limit; the client waits as told and tries again.
    Mock::given(method("GET"))
        .and(path("/search/movie"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1").set_body_json(json!({"status_code": 25, "status_message": "Your request count (41) is over the allowed limit of 40."})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&tmdb)
        .await;
    fake_tmdb::mount_search(&tmdb).await;
    // Details of this movie always fail.
    Mock::given(method("GET"))
        .and(path("/movie/42"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"status_code": 11, "status_message": "Internal error"})),
        )
        .expect(4)
        .mount(&tmdb)
        .await;
    let app = app_with_tmdb(backend, &tmdb).await;
    let ann = app.signed_up("ann").await;
    let tmdb_figures = async || {
        let page = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        ["all", "rate_limited", "failed"]
            .map(|result| crate::helpers::figure(&page, &format!("planner_tmdb_requests_total{{result=\"{result}\"}}")))
    };
    let before = tmdb_figures().await;
    let started = std::time::Instant::now();
    let (status, body) = app
        .call(
            Method::GET,
            "/api/v1/movies/search?query=matrix",
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "Retry-After was honoured"
    );

    let response = app
        .request(
            Method::POST,
            "/api/v1/movie-alerts",
            Some(&ann.access_token),
            Some(json!({"tmdb_id": 42, "release_types": ["digital"]})),
        )
        .await;
    let problem = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(problem["detail"].as_str().unwrap().contains("TMDB"));
    let (_, page) = app
        .call(Method::GET, "/api/v1/movie-alerts", Some(&ann.access_token), None)
        .await;
    assert_eq!(page["items"], json!([]), "nothing half-stored");
    // /metrics counted them (other tests in this process may add more, never less): the 429, the retried search,
    // and the failing calls.
    let after = tmdb_figures().await;
    assert!(after[0] >= before[0] + 2, "calls: {before:?} → {after:?}");
    assert!(after[1] > before[1], "429s: {before:?} → {after:?}");
    assert!(after[2] > before[2], "failures: {before:?} → {after:?}");
}

async fn without_a_tmdb_credential_movies_answer_503_and_the_rest_works(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let response = app
        .request(
            Method::GET,
            "/api/v1/movies/search?query=matrix",
            Some(&ann.access_token),
            None,
        )
        .await;
    let problem = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("not configured"),
        "{problem}"
    );
    let response = app
        .request(
            Method::POST,
            "/api/v1/movie-alerts",
            Some(&ann.access_token),
            Some(json!({"tmdb_id": DUNE, "release_types": ["digital"]})),
        )
        .await;
    assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(
        app.call(Method::GET, "/api/v1/movie-alerts", Some(&ann.access_token), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.call(Method::GET, "/api/v1/agenda", Some(&ann.access_token), None)
            .await
            .0,
        StatusCode::OK
    );
}

async fn a_long_retry_after_pauses_all_tmdb_calls_instead_of_hammering(backend: Backend) {
    let tmdb = fake_tmdb::start().await;
    Mock::given(method("GET"))
        .and(path("/search/movie"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "120")
                .set_body_json(json!({"status_code": 25, "status_message": "Too many requests"})),
        )
        .expect(1)
        .mount(&tmdb)
        .await;
    let app = app_with_tmdb(backend, &tmdb).await;
    let ann = app.signed_up("ann").await;
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let response = app
            .request(
                Method::GET,
                "/api/v1/movies/search?query=matrix",
                Some(&ann.access_token),
                None,
            )
            .await;
        assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "fails fast instead of queueing"
        );
    }
    // `expect(1)`: TMDB was asked once, not once per request.
}

async fn tmdb_backed_requests_are_limited_per_account(backend: Backend) {
    let tmdb = fake_tmdb::start().await;
    fake_tmdb::mount_search(&tmdb).await;
    let app = spawn_app_with(
        backend,
        &[
            ("TMDB_BASE_URL", &tmdb.uri()),
            ("TMDB_API_TOKEN", TOKEN),
            ("TMDB_USER_RATE_LIMIT_PER_MINUTE", "2"),
        ],
    )
    .await;
    let ann = app.signed_up("ann").await;
    let bob = app.signed_up("bob").await;
    for _ in 0..2 {
        assert_eq!(
            app.call(
                Method::GET,
                "/api/v1/movies/search?query=matrix",
                Some(&ann.access_token),
                None
            )
            .await
            .0,
            StatusCode::OK
        );
    }
    let response = app
        .request(
            Method::GET,
            "/api/v1/movies/search?query=matrix",
            Some(&ann.access_token),
            None,
        )
        .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(
        app.call(
            Method::GET,
            "/api/v1/movies/search?query=matrix",
            Some(&bob.access_token),
            None
        )
        .await
        .0,
        StatusCode::OK,
        "per account"
    );
}

async fn a_duplicate_alert_is_409_even_while_tmdb_is_down(backend: Backend) {
    let tmdb = fake_tmdb::start().await;
    fake_tmdb::mount_dune(&tmdb, 1).await;
    let app = app_with_tmdb(backend, &tmdb).await;
    let ann = app.signed_up("ann").await;
    assert_eq!(
        track(
            &app,
            &ann.access_token,
            json!({"tmdb_id": DUNE, "release_types": ["digital"]})
        )
        .await
        .0,
        StatusCode::CREATED
    );
    tmdb.reset().await;
    let (status, problem) = track(
        &app,
        &ann.access_token,
        json!({"tmdb_id": DUNE, "release_types": ["physical"]}),
    )
    .await;
    assert_eq!(
        (status, invalid_fields(&problem)),
        (StatusCode::CONFLICT, vec!["tmdb_id".to_owned()])
    );
}

async fn alert_pages_have_no_gaps_or_repeats_while_alerts_are_added(backend: Backend) {
    let tmdb = fake_tmdb::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(r"^/movie/[0-9]+$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fake_tmdb::dune_details()))
        .mount(&tmdb)
        .await;
    let app = app_with_tmdb(backend, &tmdb).await;
    let t = app.signed_up("ann").await.access_token;
    for id in 1..=7 {
        assert_eq!(
            track(&app, &t, json!({"tmdb_id": id, "release_types": ["digital"]}))
                .await
                .0,
            StatusCode::CREATED
        );
    }
    let mut seen = vec![];
    let mut url = "/api/v1/movie-alerts?limit=3".to_owned();
    let mut next_id = 100;
    loop {
        let (status, page) = app.call(Method::GET, &url, Some(&t), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["tmdb_id"].as_i64().unwrap()),
        );
        track(&app, &t, json!({"tmdb_id": next_id, "release_types": ["digital"]})).await;
        next_id += 1;
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("/api/v1/movie-alerts?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no repeats: {seen:?}");
    assert!((1..=7).all(|id| seen.contains(&id)), "no gaps: {seen:?}");
}
