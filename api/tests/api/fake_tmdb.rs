//! A fake TMDB on wiremock, answering with JSON shaped exactly like TMDB's v3 API.

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const TOKEN: &str = "test-tmdb-read-access-token";
pub const MATRIX: i64 = 603;
pub const DUNE: i64 = 693_134;

pub fn configuration() -> Value {
    json!({
        "change_keys": ["adult", "air_date", "also_known_as"],
        "images": {
            "base_url": "http://image.tmdb.org/t/p/",
            "secure_base_url": "https://image.tmdb.org/t/p/",
            "backdrop_sizes": ["w300", "w780", "w1280", "original"],
            "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
            "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
            "profile_sizes": ["w45", "w185", "h632", "original"],
            "still_sizes": ["w92", "w185", "w300", "original"]
        }
    })
}

pub fn search_results() -> Value {
    json!({
        "page": 1,
        "results": [{
            "adult": false, "backdrop_path": "/fNG7i7RqMErkcqhohV2a6cV1Ehy.jpg", "genre_ids": [28, 878], "id": MATRIX,
            "original_language": "en", "original_title": "The Matrix",
            "overview": "Set in the 22nd century, The Matrix tells the story of a computer hacker...",
            "popularity": 92.5, "poster_path": "/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg", "release_date": "1999-03-31",
            "title": "Matrix", "video": false, "vote_average": 8.2, "vote_count": 26000
        }, {
            "adult": false, "backdrop_path": null, "genre_ids": [], "id": 1_234_567, "original_language": "en",
            "original_title": "The Matrix Fan Edit", "overview": "", "popularity": 0.6, "poster_path": null,
            "release_date": "", "title": "The Matrix Fan Edit", "video": false, "vote_average": 0.0, "vote_count": 0
        }],
        "total_pages": 1,
        "total_results": 2
    })
}

/// Dune: Part Three, with a German premiere (type 1, which never counts), theatrical and digital dates in Germany,
/// and a physical date only in the United States.
pub fn dune_details() -> Value {
    json!({
        "adult": false, "backdrop_path": "/x.jpg", "belongs_to_collection": null, "budget": 0, "genres": [{"id": 878, "name": "Science Fiction"}],
        "homepage": "", "id": DUNE, "imdb_id": "tt15239678", "original_language": "en", "original_title": "Dune: Part Three",
        "overview": "The final chapter.", "popularity": 150.1, "poster_path": "/dune3.jpg", "production_companies": [],
        "production_countries": [], "release_date": "2027-01-15", "revenue": 0, "runtime": 0, "spoken_languages": [],
        "status": "Post Production", "tagline": "", "title": "Dune: Teil Drei", "video": false, "vote_average": 0.0, "vote_count": 0,
        "release_dates": {"results": [
            {"iso_3166_1": "DE", "release_dates": [
                {"certification": "", "descriptors": [], "iso_639_1": "", "note": "Berlin premiere", "release_date": "2026-12-10T00:00:00.000Z", "type": 1},
                {"certification": "12", "descriptors": [], "iso_639_1": "", "note": "", "release_date": "2027-01-15T00:00:00.000Z", "type": 3},
                {"certification": "12", "descriptors": [], "iso_639_1": "", "note": "", "release_date": "2027-03-01T00:00:00.000Z", "type": 4}
            ]},
            {"iso_3166_1": "US", "release_dates": [
                {"certification": "PG-13", "descriptors": [], "iso_639_1": "", "note": "", "release_date": "2027-01-14T00:00:00.000Z", "type": 3},
                {"certification": "PG-13", "descriptors": [], "iso_639_1": "", "note": "", "release_date": "2027-04-20T00:00:00.000Z", "type": 5}
            ]}
        ]}
    })
}

pub fn not_found() -> Value {
    json!({"success": false, "status_code": 34, "status_message": "The resource you requested could not be found."})
}

/// Starts the fake with configuration, search and Dune's details; everything else is a TMDB-style 404.
pub async fn start() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/configuration"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(configuration()))
        .mount(&server)
        .await;
    server
}

pub async fn mount_search(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/search/movie"))
        .and(query_param("query", "matrix"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(search_results()))
        .mount(server)
        .await;
}

pub async fn mount_dune(server: &MockServer, expected_calls: u64) {
    Mock::given(method("GET"))
        .and(path(format!("/movie/{DUNE}")))
        .and(query_param("append_to_response", "release_dates"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(dune_details()))
        .expect(expected_calls)
        .mount(server)
        .await;
}

pub async fn mount_not_found(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/movie/999999999"))
        .respond_with(ResponseTemplate::new(404).set_body_json(not_found()))
        .mount(server)
        .await;
}
