//! TMDB's JSON, as its v3 API sends it; only the fields the planner reads.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Configuration {
    pub images: ImagesConfiguration,
}

#[derive(Debug, Deserialize)]
pub struct ImagesConfiguration {
    pub secure_base_url: String,
    #[serde(default)]
    pub poster_sizes: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct SearchResponse {
    pub page: u32,
    #[serde(default)]
    pub results: Vec<MovieResult>,
    #[serde(default)]
    pub total_pages: u32,
    #[serde(default)]
    pub total_results: u32,
}

/// A movie in search results or the details endpoint.
#[derive(Debug, Deserialize)]
pub struct MovieResult {
    pub id: i64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub original_title: String,
    /// `YYYY-MM-DD`, or an empty string when TMDB has none.
    #[serde(default)]
    pub release_date: Option<String>,
    #[serde(default)]
    pub overview: Option<String>,
    pub poster_path: Option<String>,
}

/// `GET /movie/{id}?append_to_response=release_dates`.
#[derive(Debug, Deserialize)]
pub struct MovieDetailsResponse {
    #[serde(flatten)]
    pub movie: MovieResult,
    pub release_dates: Option<ReleaseDatesResponse>,
}

#[derive(Debug, Deserialize)]
pub struct ReleaseDatesResponse {
    #[serde(default)]
    pub results: Vec<CountryReleases>,
}

#[derive(Debug, Deserialize)]
pub struct CountryReleases {
    pub iso_3166_1: String,
    #[serde(default)]
    pub release_dates: Vec<ReleaseDate>,
}

#[derive(Debug, Deserialize)]
pub struct ReleaseDate {
    /// An ISO 8601 timestamp such as `2025-07-11T00:00:00.000Z`.
    pub release_date: String,
    #[serde(rename = "type")]
    pub kind: i32,
}
