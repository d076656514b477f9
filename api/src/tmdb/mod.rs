//! The Movie Database (TMDB): the `MovieDatabase` trait the app uses, its wire types, and the HTTP client.

pub mod client;
pub mod wire;

use async_trait::async_trait;
use chrono::NaiveDate;

pub use client::TmdbClient;

/// Why TMDB could not answer.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TmdbError {
    #[error("TMDB is not configured on this server (TMDB_API_TOKEN is unset)")]
    NotConfigured,
    #[error("TMDB has no such movie")]
    NotFound,
    #[error("TMDB is unavailable right now: {0}")]
    Unavailable(String),
}

/// What to search for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub query: String,
    pub year: Option<i32>,
    pub page: u32,
    pub region: String,
    pub language: String,
}

/// A movie as the planner uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieSummary {
    pub tmdb_id: i64,
    pub title: String,
    pub original_title: String,
    pub release_date: Option<NaiveDate>,
    pub overview: String,
    pub poster_url: Option<String>,
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResults {
    pub page: u32,
    pub total_pages: u32,
    pub total_results: u32,
    pub movies: Vec<MovieSummary>,
}

/// The kinds of release a user can wait for. TMDB's premieres (type 1) and TV airings (type 6) never count.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseType {
    /// In cinemas (TMDB types 2, limited, and 3, theatrical).
    Theatrical,
    /// Streaming or download to buy or rent (TMDB type 4).
    Digital,
    /// DVD, Blu-ray (TMDB type 5).
    Physical,
}

impl ReleaseType {
    pub const ALL: [Self; 3] = [Self::Theatrical, Self::Digital, Self::Physical];

    /// The planner's type for a TMDB release type number.
    pub fn from_tmdb(code: i32) -> Option<Self> {
        match code {
            2 | 3 => Some(Self::Theatrical),
            4 => Some(Self::Digital),
            5 => Some(Self::Physical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Theatrical => "theatrical",
            Self::Digital => "digital",
            Self::Physical => "physical",
        }
    }
}

/// A movie with its release dates in every region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieDetails {
    pub summary: MovieSummary,
    /// `(region, type, date)` for every dated release TMDB lists.
    pub releases: Vec<(String, ReleaseType, NaiveDate)>,
}

impl MovieDetails {
    /// The earliest date of a release type in a region, if TMDB has one.
    pub fn release_date(&self, region: &str, kind: ReleaseType) -> Option<NaiveDate> {
        self.releases
            .iter()
            .filter(|(r, k, _)| r == region && *k == kind)
            .map(|(_, _, d)| *d)
            .min()
    }
}

/// The movie database the planner talks to.
#[async_trait]
pub trait MovieDatabase: Send + Sync + 'static {
    /// Whether a credential is configured; without one every call answers [`TmdbError::NotConfigured`].
    fn is_configured(&self) -> bool;

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, TmdbError>;

    /// A movie with its release dates, from a short-lived cache shared by every user.
    async fn movie(&self, tmdb_id: i64, language: &str) -> Result<MovieDetails, TmdbError>;

    /// A movie with its release dates read from TMDB now (the cache is refreshed with the answer).
    async fn movie_fresh(&self, tmdb_id: i64, language: &str) -> Result<MovieDetails, TmdbError>;

    /// A cheap authenticated call, for `planner check`.
    async fn check(&self) -> Result<(), TmdbError>;
}
