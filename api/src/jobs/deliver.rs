//! Sending one outbox row: claim it, hand it to the mail server, settle it as sent, retried later, or failed.

use chrono::Duration;

use crate::email::mailer::{OutgoingEmail, SendError};
use crate::entity::notification;
use crate::repo;
use crate::repo::notifications::{Claim, FAILED, PENDING, SENT};
use crate::state::AppState;

/// How long a sender told to shut down still waits for the mail server before returning the delivery to the outbox.
pub const SHUTDOWN_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);
/// Attempts before a temporarily failing delivery is given up.
pub const MAX_ATTEMPTS: i32 = 8;
const BATCH: u64 = 100;

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Another sender has it, or it is not due.
    NotClaimed,
    /// Not sent by rule (a greeting over its account's daily limit); recorded as skipped.
    Skipped,
    RetryLater,
    Failed,
    /// The worker shut down before the mail server answered; the delivery is pending again.
    Returned,
}

/// The Message-ID of a delivery: the same on every attempt, so a receiver can recognise a repeat.
pub fn message_id(row: &notification::Model, host: &str) -> String {
    let key: String = row
        .dedupe_key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!("{key}@{host}")
}

/// The wait before attempt `attempts + 1`: one minute, doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 6)).unwrap_or(6);
    Duration::minutes(2_i64.pow(exponent)).min(Duration::hours(1))
}

/// The configured lease as a calendar duration.
pub fn lease(state: &AppState) -> Duration {
    Duration::from_std(state.config.delivery_lease).unwrap_or(Duration::minutes(10))
}

/// Delivers one outbox row if this caller can claim it.
///
/// # Errors
/// Database failures; mail failures are recorded on the row instead.
pub async fn deliver(state: &AppState, id: i64) -> anyhow::Result<Outcome> {
    deliver_until(state, id, None).await
}

/// Like [`deliver`]; once `stop` turns true, the mail server gets [`SHUTDOWN_DRAIN`] to answer, after which the
/// delivery is returned to the outbox for another worker, so no claim outlives its worker.
///
/// # Errors
/// Database failures; mail failures are recorded on the row instead.
pub async fn deliver_until(
    state: &AppState,
    id: i64,
    stop: Option<&tokio::sync::watch::Receiver<bool>>,
) -> anyhow::Result<Outcome> {
    let now = state.clock.now();
    // Greetings go to other people: an account may send only so many a day, so it cannot be used for bulk mail.
    let greetings_per_day = u64::from(state.config.greetings_per_account_per_day);
    let row =
        match repo::notifications::claim_within_greeting_limit(&state.db, id, now, lease(state), greetings_per_day)
            .await?
        {
            Claim::Taken(row) => row,
            Claim::NotClaimable => return Ok(Outcome::NotClaimed),
            Claim::OverDailyLimit(row) => {
                tracing::warn!(
                    notification.id = row.id,
                    user.id = row.user_id,
                    "greeting skipped: daily limit"
                );
                return Ok(Outcome::Skipped);
            }
        };
    let host = state.config.public_base_url.host_str().unwrap_or("planner").to_owned();
    let email = OutgoingEmail {
        message_id: message_id(&row, &host),
        to: row.recipient.clone(),
        from_name: row.from_name.clone(),
        reply_to: row.reply_to.clone(),
        subject: row.subject.clone(),
        text: row.body_text.clone(),
        html: row.body_html.clone(),
    };
    let send = state.mailer.send(&email);
    let result = match stop {
        None => send.await,
        Some(stop) => {
            let mut stop = stop.clone();
            let drained = async move {
                if stop.wait_for(|stopped| *stopped).await.is_err() {
                    // No one can ask this sender to stop any more: let the message take the time it takes.
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(SHUTDOWN_DRAIN).await;
            };
            tokio::select! {
                result = send => result,
                () = drained => {
                    repo::notifications::release(&state.db, row.id, state.clock.now()).await?;
                    tracing::warn!(notification.id = row.id, "shutting down: delivery returned to the outbox");
                    crate::metrics::count(&crate::metrics::METRICS.counters.emails_returned);
                    return Ok(Outcome::Returned);
                }
            }
        }
    };
    let now = state.clock.now();
    let (status, next, error, outcome) = match result {
        Ok(()) => (SENT, None, None, Outcome::Sent),
        Err(SendError::Transient(reply)) if row.attempts < MAX_ATTEMPTS => (
            PENDING,
            Some(now + backoff(row.attempts)),
            Some(reply),
            Outcome::RetryLater,
        ),
        Err(SendError::Transient(reply) | SendError::Permanent(reply)) => (FAILED, None, Some(reply), Outcome::Failed),
    };
    repo::notifications::settle(&state.db, row.id, status, next, error.clone(), now).await?;
    if outcome == Outcome::Sent && row.kind == "release_alert" {
        repo::movie_alerts::mark_notified(&state.db, row.subject_id, now).await?;
    }
    let counters = &crate::metrics::METRICS.counters;
    match &outcome {
        Outcome::Sent => crate::metrics::count(&counters.emails_sent),
        Outcome::RetryLater => crate::metrics::count(&counters.emails_retried),
        Outcome::Failed => crate::metrics::count(&counters.emails_failed),
        Outcome::NotClaimed | Outcome::Returned | Outcome::Skipped => {}
    }
    match &outcome {
        Outcome::Sent => tracing::info!(notification.id = row.id, notification.kind = %row.kind, "email sent"),
        Outcome::RetryLater => tracing::warn!(
            notification.id = row.id,
            attempts = row.attempts,
            error.cause = error.as_deref().unwrap_or(""),
            "email will be retried"
        ),
        Outcome::Failed => tracing::warn!(
            notification.id = row.id,
            error.cause = error.as_deref().unwrap_or(""),
            "email failed"
        ),
        Outcome::NotClaimed | Outcome::Returned | Outcome::Skipped => {}
    }
    Ok(outcome)
}

/// Delivers everything that is due, one after the other, in this task; returns how many were sent. Workers send
/// through the queue instead; this is for callers that want the outbox emptied before they go on.
///
/// # Errors
/// Database failures.
pub async fn dispatch_due(state: &AppState) -> anyhow::Result<usize> {
    let ids = repo::notifications::due(&state.db, state.clock.now(), lease(state), BATCH).await?;
    let mut sent = 0;
    for id in ids {
        if deliver(state, id).await? == Outcome::Sent {
            sent += 1;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_minute_up_to_an_hour() {
        let waits: Vec<i64> = (1..=9).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
