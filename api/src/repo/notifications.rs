//! Queries on `notifications`, the outbox: recording each delivery once, claiming it for sending, and its log.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, TransactionTrait as _, TryInsertResult,
};

use super::pagination::Cursor;
use crate::entity::{notification, user};

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const SKIPPED: &str = "skipped";
/// The kind of a birthday greeting, the one message that goes to someone other than the account's owner.
pub const GREETING: &str = "birthday_greeting";

/// A delivery to record.
pub struct NewNotification {
    pub user_id: i64,
    pub kind: &'static str,
    pub dedupe_key: String,
    pub subject_id: i64,
    pub due_at: DateTime<Utc>,
    pub recipient: String,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// `pending` to send, `skipped` for one missed by more than the grace window.
    pub status: &'static str,
    pub note: Option<String>,
}

/// Records a delivery unless its key is already there; `true` when this call recorded it.
pub async fn record(db: &impl ConnectionTrait, new: NewNotification, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let row = notification::ActiveModel {
        user_id: Set(new.user_id),
        kind: Set(new.kind.to_owned()),
        dedupe_key: Set(new.dedupe_key),
        subject_id: Set(new.subject_id),
        due_at: Set(new.due_at),
        recipient: Set(new.recipient),
        from_name: Set(new.from_name),
        reply_to: Set(new.reply_to),
        subject: Set(new.subject.chars().take(300).collect()),
        body_text: Set(new.body_text),
        body_html: Set(new.body_html),
        status: Set(new.status.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_at: Set(None),
        queued_at: Set(None),
        sent_at: Set(None),
        last_error: Set(new.note),
        created_at: Set(now),
        ..Default::default()
    };
    let result = notification::Entity::insert(row)
        .on_conflict_do_nothing_on([notification::Column::DedupeKey])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(result, TryInsertResult::Inserted(1)))
}

/// Takes a delivery for sending: a pending one that is due, or one whose sender vanished (claimed longer ago than
/// `lease`). Only one caller can win; `None` for everyone else.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
    lease: chrono::Duration,
) -> Result<Option<notification::Model>, DbErr> {
    let claimable = ready(now, lease);
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::val(SENDING))
        .col_expr(notification::Column::ClaimedAt, Expr::val(now))
        .col_expr(
            notification::Column::Attempts,
            Expr::col(notification::Column::Attempts).add(1),
        )
        .filter(notification::Column::Id.eq(id))
        .filter(claimable)
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    notification::Entity::find_by_id(id).one(db).await
}

/// What [`claim_within_greeting_limit`] found.
#[derive(Debug)]
pub enum Claim {
    /// This caller has the delivery and may send it.
    Taken(notification::Model),
    /// Another sender has it, or it is not due.
    NotClaimable,
    /// A greeting over its account's daily limit: recorded as skipped, not to be sent.
    OverDailyLimit(notification::Model),
}

/// Claims a delivery like [`claim`]; a greeting is taken only while its account has sent, or is sending, fewer than
/// `greetings_per_day` greetings in the 24 hours before `now`, and is recorded as skipped otherwise.
///
/// The claim and the count are one transaction that holds the account's row lock on PostgreSQL (SQLite's write lock,
/// taken by the claim, does the same), so concurrent senders in any number of workers cannot overshoot the limit.
pub async fn claim_within_greeting_limit(
    db: &DatabaseConnection,
    id: i64,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    greetings_per_day: u64,
) -> Result<Claim, DbErr> {
    let txn = db.begin().await?;
    let Some(row) = claim(&txn, id, now, lease).await? else {
        txn.commit().await?;
        return Ok(Claim::NotClaimable);
    };
    if row.kind != GREETING {
        txn.commit().await?;
        return Ok(Claim::Taken(row));
    }
    // Taking the account's row lock puts every greeting decision for this account in a line; each one sees the
    // claims of those before it. SQLite has no row locks (the statement is sent without `FOR UPDATE`) and needs none.
    user::Entity::find_by_id(row.user_id)
        .select_only()
        .column(user::Column::Id)
        .lock_exclusive()
        .into_tuple::<i64>()
        .one(&txn)
        .await?;
    let since = now - chrono::Duration::hours(24);
    let sent_or_sending = notification::Entity::find()
        .filter(notification::Column::UserId.eq(row.user_id))
        .filter(notification::Column::Kind.eq(GREETING))
        .filter(notification::Column::Id.ne(row.id))
        .filter(
            Condition::any()
                .add(
                    notification::Column::Status
                        .eq(SENT)
                        .and(notification::Column::SentAt.gt(since)),
                )
                .add(
                    notification::Column::Status
                        .eq(SENDING)
                        .and(notification::Column::ClaimedAt.gt(now - lease)),
                ),
        )
        .count(&txn)
        .await?;
    if sent_or_sending >= greetings_per_day {
        let note = "not sent: the account's daily limit of greetings was reached".to_owned();
        settle(&txn, row.id, SKIPPED, None, Some(note), now).await?;
        txn.commit().await?;
        return Ok(Claim::OverDailyLimit(row));
    }
    txn.commit().await?;
    Ok(Claim::Taken(row))
}

/// Ids of deliveries ready to send, oldest first.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    ready_ids(db, ready(now, lease), limit).await
}

async fn ready_ids(db: &impl ConnectionTrait, condition: Condition, limit: u64) -> Result<Vec<i64>, DbErr> {
    notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .filter(condition)
        .order_by_asc(notification::Column::NextAttemptAt)
        .order_by_asc(notification::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// Settles a claimed delivery: sent, retried later, or failed for good.
pub async fn settle(
    db: &impl ConnectionTrait,
    id: i64,
    status: &str,
    next_attempt_at: Option<DateTime<Utc>>,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::val(status))
        .col_expr(notification::Column::LastError, Expr::val(error))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::Status.eq(SENDING));
    if status == PENDING {
        // A retry is queued afresh once it is due.
        update = update.col_expr(notification::Column::QueuedAt, Expr::val(None::<DateTime<Utc>>));
    }
    if status == SENT {
        update = update.col_expr(notification::Column::SentAt, Expr::val(Some(now)));
    }
    if let Some(at) = next_attempt_at {
        update = update.col_expr(notification::Column::NextAttemptAt, Expr::val(at));
    }
    update.exec(db).await.map(drop)
}

/// Returns a claimed delivery whose sender is shutting down before the mail server answered: pending again, due now,
/// and the attempt not counted. `false` when the row was no longer this sender's.
pub async fn release(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::val(PENDING))
        .col_expr(notification::Column::ClaimedAt, Expr::val(None::<DateTime<Utc>>))
        .col_expr(notification::Column::QueuedAt, Expr::val(None::<DateTime<Utc>>))
        .col_expr(notification::Column::NextAttemptAt, Expr::val(now))
        .col_expr(
            notification::Column::Attempts,
            Expr::col(notification::Column::Attempts).sub(1),
        )
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::Status.eq(SENDING))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ready deliveries (see [`due`]) with no send job on the queue: never queued, or queued longer than a lease ago
/// (the job was lost with its worker).
pub async fn ready_to_queue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    let condition = Condition::all().add(ready(now, lease)).add(not_queued(now, lease));
    ready_ids(db, condition, limit).await
}

/// Marks several rows queued at once; returns the ids this call marked (another relay may have taken some).
pub async fn mark_queued_many(
    db: &impl ConnectionTrait,
    ids: &[i64],
    now: DateTime<Utc>,
    lease: chrono::Duration,
) -> Result<Vec<i64>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marked = notification::Entity::update_many()
        .col_expr(notification::Column::QueuedAt, Expr::val(Some(now)))
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .filter(not_queued(now, lease))
        .exec_with_returning(db)
        .await?;
    Ok(marked.into_iter().map(|row| row.id).collect())
}

/// Takes back [`mark_queued_many`] for rows whose jobs could not be queued (still marked at `marked_at`).
pub async fn unmark_queued(db: &impl ConnectionTrait, ids: &[i64], marked_at: DateTime<Utc>) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    notification::Entity::update_many()
        .col_expr(notification::Column::QueuedAt, Expr::val(None::<DateTime<Utc>>))
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .filter(notification::Column::QueuedAt.eq(marked_at))
        .exec(db)
        .await
        .map(drop)
}

fn not_queued(now: DateTime<Utc>, lease: chrono::Duration) -> Condition {
    Condition::any()
        .add(notification::Column::QueuedAt.is_null())
        .add(notification::Column::QueuedAt.lt(now - lease))
}

/// Pending and due, or claimed by a sender that has held it longer than a lease (it died).
fn ready(now: DateTime<Utc>, lease: chrono::Duration) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(notification::Column::Status.eq(PENDING))
                .add(notification::Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(notification::Column::Status.eq(SENDING))
                .add(notification::Column::ClaimedAt.lt(now - lease)),
        )
}

/// Puts one of the user's deliveries back in the queue with a fresh set of attempts; `false` when there is no such
/// delivery, it is being sent right now, or it is a greeting that already went out (a greeting goes to someone else,
/// so it is never repeated on request).
pub async fn requeue(db: &impl ConnectionTrait, user_id: i64, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::val(PENDING))
        .col_expr(notification::Column::NextAttemptAt, Expr::val(now))
        .col_expr(notification::Column::Attempts, Expr::val(0))
        .col_expr(notification::Column::LastError, Expr::val(None::<String>))
        .col_expr(notification::Column::QueuedAt, Expr::val(None::<DateTime<Utc>>))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Status.ne(SENDING))
        .filter(
            Condition::any()
                .add(notification::Column::Kind.ne(GREETING))
                .add(notification::Column::Status.ne(SENT)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub fn cursor_of(row: &notification::Model) -> Cursor {
    Cursor {
        sort: "-due_at".to_owned(),
        key: serde_json::json!(row.due_at.to_rfc3339()),
        id: row.id,
    }
}

/// One page of the user's delivery log, latest first.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i64,
    cursor: Option<&Cursor>,
    limit: u64,
) -> Result<Vec<notification::Model>, DbErr> {
    let mut query = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    if let Some((at, id)) = cursor.and_then(|c| Some((c.key.as_str()?.parse::<DateTime<Utc>>().ok()?, c.id))) {
        query = query.filter(
            Condition::any().add(notification::Column::DueAt.lt(at)).add(
                Condition::all()
                    .add(notification::Column::DueAt.eq(at))
                    .add(notification::Column::Id.lt(id)),
            ),
        );
    }
    query
        .order_by_desc(notification::Column::DueAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await
}

pub async fn find(db: &impl ConnectionTrait, user_id: i64, id: i64) -> Result<Option<notification::Model>, DbErr> {
    notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// Whether a delivery with this key is recorded.
pub async fn exists(db: &impl ConnectionTrait, dedupe_key: &str) -> Result<bool, DbErr> {
    Ok(notification::Entity::find()
        .filter(notification::Column::DedupeKey.eq(dedupe_key))
        .count(db)
        .await?
        > 0)
}
