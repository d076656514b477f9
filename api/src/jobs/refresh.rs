//! The daily refresh of release dates: one TMDB call per tracked movie (not per user), and an email to each owner
//! whose tracked date moved.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::email::templates;
use crate::entity::movie_alert;
use crate::repo;
use crate::repo::notifications::{NewNotification, PENDING};
use crate::routes::movies::{release_date_of, release_types_of, set_release_dates};
use crate::state::AppState;
use crate::tmdb::{MovieDetails, TmdbError};

/// How old a movie's dates may get before they are read again.
pub const REFRESH_AFTER_HOURS: i64 = 24;
/// After TMDB fails for a movie, it is asked again this much later, not a whole day.
pub const RETRY_AFTER_FAILURE_MINUTES: i64 = 60;
/// Movies refreshed per run; the rest wait for the next run (TMDB's rate limit paces the calls anyway).
const BATCH: u64 = 200;

/// What one refresh did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RefreshReport {
    pub movies: usize,
    pub moved: usize,
}

/// Re-reads the release dates of every movie checked more than a day ago.
///
/// # Errors
/// Database failures; a TMDB failure changes nothing and leaves the movie to be tried again in an hour.
pub async fn refresh_releases(state: &AppState) -> anyhow::Result<RefreshReport> {
    let mut report = RefreshReport::default();
    if !state.tmdb.is_configured() {
        return Ok(report);
    }
    let now = state.clock.now();
    let stale_before = now - Duration::hours(REFRESH_AFTER_HOURS);
    for tmdb_id in repo::movie_alerts::stale_movies(&state.db, stale_before, BATCH).await? {
        // Claimed first, so that several workers do not ask TMDB for the same movie.
        if !repo::movie_alerts::claim_refresh(&state.db, tmdb_id, stale_before, now).await? {
            continue;
        }
        let movie = match state.tmdb.movie_fresh(tmdb_id, "en").await {
            Ok(movie) => movie,
            Err(error) => {
                let what = if matches!(error, TmdbError::Unavailable(_)) {
                    "postponed"
                } else {
                    "failed"
                };
                tracing::warn!(tmdb.id = tmdb_id, error.cause = %error, "release refresh {what}; retrying in an hour");
                // Nothing stored changes; the movie is tried again in an hour.
                let retry_at =
                    now - Duration::hours(REFRESH_AFTER_HOURS) + Duration::minutes(RETRY_AFTER_FAILURE_MINUTES);
                repo::movie_alerts::retry_refresh(&state.db, tmdb_id, retry_at).await?;
                continue;
            }
        };
        report.movies += 1;
        for (alert, owner) in repo::movie_alerts::for_movie(&state.db, tmdb_id).await? {
            report.moved += apply_new_dates(state, alert, &owner, &movie, now).await?;
        }
    }
    Ok(report)
}

/// Stores the movie's current dates on one alert and records an email for each tracked date that moved.
async fn apply_new_dates(
    state: &AppState,
    alert: movie_alert::Model,
    owner: &crate::entity::user::Model,
    movie: &MovieDetails,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut updated = alert.clone();
    set_release_dates(&mut updated, movie, now);
    let moves: Vec<_> = release_types_of(&alert)
        .into_iter()
        .filter_map(|kind| {
            let (before, after) = (release_date_of(&alert, kind), release_date_of(&updated, kind));
            (before != after).then_some((kind, before, after))
        })
        .collect();
    if moves.is_empty() {
        return Ok(0);
    }
    updated.updated_at = now;
    repo::owned::update::<movie_alert::Entity, _>(&state.db, updated).await?;
    if !owner.notify_release_alerts || owner.email_verified_at.is_none() {
        return Ok(moves.len());
    }
    let show =
        |date: Option<NaiveDate>| date.map_or_else(|| "no date".to_owned(), |d| d.format("%-d %B %Y").to_string());
    for (kind, before, after) in &moves {
        let when = format!("moved from {} to {}", show(*before), show(*after));
        let rendered = templates::release_alert(
            &alert.title,
            &when,
            kind.as_str(),
            &alert.region,
            &state.config.notification_settings_url(),
        );
        let key = format!(
            "release_moved:{}:{}:{}:{}",
            alert.id,
            kind.as_str(),
            show(*before),
            show(*after)
        )
        .replace(' ', "_");
        repo::notifications::record(
            &state.db,
            NewNotification {
                user_id: owner.id,
                kind: "release_date_changed",
                dedupe_key: key,
                subject_id: alert.id,
                due_at: now,
                recipient: owner.email.clone(),
                from_name: None,
                reply_to: None,
                subject: rendered.subject,
                body_text: rendered.text,
                body_html: rendered.html,
                status: PENDING,
                note: None,
            },
            now,
        )
        .await?;
    }
    Ok(moves.len())
}
