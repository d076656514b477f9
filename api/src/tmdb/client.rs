//! The TMDB HTTP client: bearer credential, timeouts, a client-side rate limit, `Retry-After` on 429, capped backoff
//! on 5xx, and caches for the image configuration and for movie details.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use super::wire::{Configuration, MovieDetailsResponse, MovieResult, SearchResponse};
use super::{MovieDatabase, MovieDetails, MovieSummary, ReleaseType, SearchQuery, SearchResults, TmdbError};
use crate::config::Secret;

/// Attempts per request, the first included.
const ATTEMPTS: u32 = 4;
/// The longest `Retry-After` worth waiting for inside one request.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How long movie details are shared before TMDB is asked again.
const MOVIE_CACHE_TTL: Duration = Duration::from_secs(3600);
const MOVIE_CACHE_MAX: usize = 10_000;
const POSTER_SIZE: &str = "w342";

/// Settings for the client.
#[derive(Clone, Debug)]
pub struct TmdbSettings {
    pub base_url: String,
    pub token: Option<Secret>,
    pub requests_per_second: u32,
}

impl TmdbSettings {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            base_url: config.tmdb_base_url.clone(),
            token: config.tmdb_api_token.clone(),
            requests_per_second: config.tmdb_requests_per_second,
        }
    }
}

/// The longest a request waits for its turn before the client says TMDB is busy instead of queueing further.
const MAX_QUEUE_WAIT: Duration = Duration::from_secs(5);

/// Spaces requests evenly: each takes the next free slot. After a long `Retry-After`, no slot is given out until
/// the pause is over, so the client stops asking rather than being refused again and again.
struct Pacer {
    interval: Duration,
    next_slot: Mutex<Instant>,
}

impl Pacer {
    async fn wait(&self) -> Result<(), TmdbError> {
        let slot = {
            let mut next = self.next_slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let slot = (*next).max(Instant::now());
            if slot > Instant::now() + MAX_QUEUE_WAIT {
                return Err(TmdbError::Unavailable("TMDB asked us to slow down".to_owned()));
            }
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
        Ok(())
    }

    fn pause_for(&self, pause: Duration) {
        let mut next = self.next_slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *next = (*next).max(Instant::now() + pause);
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// The real TMDB client.
pub struct TmdbClient {
    http: reqwest::Client,
    settings: TmdbSettings,
    pacer: Pacer,
    image_base: OnceCell<String>,
    movies: Mutex<HashMap<(i64, String), (Instant, MovieDetails)>>,
}

impl TmdbClient {
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(settings: TmdbSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("all-in-one-planner/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let per_second = settings.requests_per_second.max(1);
        Ok(Self {
            http,
            pacer: Pacer {
                interval: Duration::from_secs(1) / per_second,
                next_slot: Mutex::new(Instant::now()),
            },
            settings,
            image_base: OnceCell::new(),
            movies: Mutex::new(HashMap::new()),
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T, TmdbError> {
        let token = self.settings.token.as_ref().ok_or(TmdbError::NotConfigured)?;
        let url = format!("{}{path}", self.settings.base_url.trim_end_matches('/'));
        let mut backoff = Duration::from_millis(200);
        let mut last_error = String::new();
        for attempt in 1..=ATTEMPTS {
            self.pacer.wait().await?;
            let result = self
                .http
                .get(&url)
                .query(query)
                .bearer_auth(token.expose())
                .send()
                .await;
            let counters = &crate::metrics::METRICS.counters;
            crate::metrics::count(&counters.tmdb_calls);
            match &result {
                Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                    crate::metrics::count(&counters.tmdb_rate_limited);
                }
                Ok(response) if response.status().is_success() || response.status() == StatusCode::NOT_FOUND => {}
                _ => crate::metrics::count(&counters.tmdb_failures),
            }
            let wait = match result {
                Ok(response) if response.status().is_success() => {
                    return response
                        .json::<T>()
                        .await
                        .map_err(|e| TmdbError::Unavailable(format!("unexpected answer: {e}")));
                }
                Ok(response) if response.status() == StatusCode::NOT_FOUND => return Err(TmdbError::NotFound),
                Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                    let retry_after = retry_after(response.headers()).unwrap_or(backoff);
                    tracing::warn!(
                        tmdb.path = path,
                        retry_after_ms = retry_after.as_millis() as u64,
                        "TMDB rate limit"
                    );
                    last_error = "rate limited".to_owned();
                    if retry_after > MAX_RETRY_AFTER {
                        self.pacer.pause_for(retry_after);
                        break;
                    }
                    retry_after
                }
                Ok(response) if response.status().is_server_error() => {
                    last_error = format!("status {}", response.status());
                    backoff
                }
                Ok(response) => {
                    // 401 and other client errors will not improve by retrying.
                    return Err(TmdbError::Unavailable(format!("status {}", response.status())));
                }
                Err(e) => {
                    last_error = if e.is_timeout() {
                        "timed out".to_owned()
                    } else {
                        "connection failed".to_owned()
                    };
                    backoff
                }
            };
            if attempt < ATTEMPTS {
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        tracing::warn!(tmdb.path = path, error.cause = %last_error, "TMDB request failed");
        Err(TmdbError::Unavailable(last_error))
    }

    /// The base of poster URLs, read once from TMDB's configuration.
    async fn image_base(&self) -> Result<&str, TmdbError> {
        self.image_base
            .get_or_try_init(|| async {
                let configuration: Configuration = self.get("/configuration", &[]).await?;
                let images = configuration.images;
                let size = if images.poster_sizes.iter().any(|s| s == POSTER_SIZE) {
                    POSTER_SIZE
                } else {
                    "original"
                };
                Ok(format!("{}/{size}", images.secure_base_url.trim_end_matches('/')))
            })
            .await
            .map(String::as_str)
    }

    async fn summary(&self, movie: MovieResult) -> Result<MovieSummary, TmdbError> {
        let poster_url = match movie.poster_path.as_deref().filter(|p| !p.is_empty()) {
            Some(path) => Some(format!("{}/{}", self.image_base().await?, path.trim_start_matches('/'))),
            None => None,
        };
        Ok(MovieSummary {
            tmdb_id: movie.id,
            title: movie.title,
            original_title: movie.original_title,
            release_date: movie.release_date.as_deref().and_then(parse_date),
            overview: movie.overview.unwrap_or_default(),
            poster_url,
        })
    }
}

/// The date part of TMDB's `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS.sssZ`.
fn parse_date(raw: &str) -> Option<NaiveDate> {
    raw.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

#[async_trait]
impl MovieDatabase for TmdbClient {
    fn is_configured(&self) -> bool {
        self.settings.token.is_some()
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, TmdbError> {
        let mut params = vec![
            ("query", query.query.clone()),
            ("page", query.page.to_string()),
            ("include_adult", "false".to_owned()),
            ("language", query.language.clone()),
            ("region", query.region.clone()),
        ];
        if let Some(year) = query.year {
            params.push(("year", year.to_string()));
        }
        let response: SearchResponse = self.get("/search/movie", &params).await?;
        let mut movies = Vec::with_capacity(response.results.len());
        for movie in response.results {
            movies.push(self.summary(movie).await?);
        }
        Ok(SearchResults {
            page: response.page,
            total_pages: response.total_pages,
            total_results: response.total_results,
            movies,
        })
    }

    async fn movie(&self, tmdb_id: i64, language: &str) -> Result<MovieDetails, TmdbError> {
        let key = (tmdb_id, language.to_owned());
        if let Some((fetched, details)) = self
            .movies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            && fetched.elapsed() < MOVIE_CACHE_TTL
        {
            return Ok(details.clone());
        }
        self.movie_fresh(tmdb_id, language).await
    }

    async fn movie_fresh(&self, tmdb_id: i64, language: &str) -> Result<MovieDetails, TmdbError> {
        let params = [
            ("append_to_response", "release_dates".to_owned()),
            ("language", language.to_owned()),
        ];
        let response: MovieDetailsResponse = self.get(&format!("/movie/{tmdb_id}"), &params).await?;
        let releases = response
            .release_dates
            .map(|r| r.results)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|country| {
                let region = country.iso_3166_1.to_ascii_uppercase();
                country.release_dates.into_iter().filter_map(move |release| {
                    Some((
                        region.clone(),
                        ReleaseType::from_tmdb(release.kind)?,
                        parse_date(&release.release_date)?,
                    ))
                })
            })
            .collect();
        let details = MovieDetails {
            summary: self.summary(response.movie).await?,
            releases,
        };
        let mut cache = self.movies.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= MOVIE_CACHE_MAX {
            cache.retain(|_, (fetched, _)| fetched.elapsed() < MOVIE_CACHE_TTL);
        }
        if cache.len() < MOVIE_CACHE_MAX {
            cache.insert((tmdb_id, language.to_owned()), (Instant::now(), details.clone()));
        }
        Ok(details)
    }

    async fn check(&self) -> Result<(), TmdbError> {
        self.get::<Configuration>("/configuration", &[]).await.map(drop)
    }
}
