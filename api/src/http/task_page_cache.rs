//! Rendered pages of `GET /api/v1/tasks`, kept in memory per user, so that reading the same list again (the browser
//! app reads it on every visit and after every change) costs a hash lookup instead of two queries and 50 rows decoded
//! and serialised.
//!
//! What keeps a cached page from ever being older than the data:
//! - A page is kept under its user, its exact query string and the minute it was rendered in, because `overdue`
//!   depends on the time; a page from another minute is never served.
//! - Every request that can change data (any method but `GET`, `HEAD` and `OPTIONS`) with a valid access token drops
//!   its user's pages once its handler has finished, so after its transaction committed
//!   ([`forget_pages_after_writes`]). The worker never changes tasks or users.
//! - A page read from the database is stored only if no drop for its user happened since its read began
//!   ([`ReadTicket`]), so a slow read cannot put back a page older than a write that finished meanwhile.
//! - On PostgreSQL, other API processes hear of the write through `NOTIFY` on [`CHANNEL`] with the user's id and
//!   the writing cache's name ([`follow_other_processes`]); until that listener is connected, and whenever it is lost, the cache is off.
//!   On SQLite the embedded set-up has one API process, which sees every write itself.
//!
//! Memory is bounded by `TASK_PAGE_CACHE_KIB` (0 turns the cache off), at most [`PAGES_PER_USER`] pages per user and
//! [`MAX_USERS`] users.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::state::AppState;

/// The PostgreSQL channel on which API processes announce whose tasks or profile changed.
pub const CHANNEL: &str = "planner_task_pages";
/// Different queries (filters, sorts, pages) kept per user; the oldest goes first.
pub const PAGES_PER_USER: usize = 8;
/// Users with cached pages or a recent write; past this the cache starts again empty.
pub const MAX_USERS: usize = 10_000;
/// Longer query strings are not cached.
const MAX_QUERY_BYTES: usize = 512;

/// The cache; one per API process, shared by every request.
pub struct TaskPageCache {
    /// Names this cache in announcements, so that it skips its own (it dropped those pages already).
    instance: String,
    budget_bytes: usize,
    /// Whether other processes' writes reach this cache through [`follow_other_processes`] (PostgreSQL).
    shared: bool,
    /// Off while other processes' writes could go unheard (PostgreSQL, listener not connected).
    enabled: AtomicBool,
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Default)]
struct Inner {
    /// Counts drops; a read remembers the value it started at.
    sequence: u64,
    /// Reads that started before this may not store their page (set when drop records were thrown away).
    floor: u64,
    users: HashMap<i64, UserPages>,
    bytes: usize,
}

#[derive(Default)]
struct UserPages {
    /// The sequence number of this user's last drop.
    dropped_at: u64,
    pages: Vec<CachedPage>,
}

struct CachedPage {
    query: Box<str>,
    minute: i64,
    body: Bytes,
}

/// Taken before a page is read from the database; storing the page needs it.
#[derive(Clone, Copy, Debug)]
pub struct ReadTicket {
    sequence: u64,
}

impl TaskPageCache {
    /// The cache `config` asks for: on PostgreSQL shared with other processes, and so off until it hears them.
    pub fn for_config(config: &crate::config::Config) -> Self {
        let shared = config.is_postgres() && config.task_page_cache_bytes > 0;
        Self {
            shared,
            ..Self::new(config.task_page_cache_bytes, !shared)
        }
    }

    /// A cache of at most `budget_bytes` of pages, which no other process writes to; `enabled` says whether it may
    /// serve pages from the start.
    pub fn new(budget_bytes: usize, enabled: bool) -> Self {
        static CREATED: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self {
            instance: format!(
                "{}.{}.{nanos}",
                std::process::id(),
                CREATED.fetch_add(1, Ordering::Relaxed)
            ),
            budget_bytes,
            shared: false,
            enabled: AtomicBool::new(enabled && budget_bytes > 0),
            inner: Mutex::new(Inner::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the cache serves pages now.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// Whether other API processes may write this cache's data, so that writes are announced and heard.
    pub fn shared(&self) -> bool {
        self.shared
    }

    /// The page rendered for this user and query string in this minute, if one is kept.
    pub fn get(&self, user_id: i64, query: &str, minute: i64) -> Option<Bytes> {
        if !self.enabled() {
            return None;
        }
        let found = self.inner().users.get(&user_id).and_then(|user| {
            user.pages
                .iter()
                .find(|page| page.minute == minute && &*page.query == query)
                .map(|page| page.body.clone())
        });
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Call before reading a page from the database; `None` when the cache is off.
    pub fn begin_read(&self) -> Option<ReadTicket> {
        self.enabled().then(|| ReadTicket {
            sequence: self.inner().sequence,
        })
    }

    /// Keeps a page read under `ticket`, unless the user's data changed since the read began.
    pub fn store(&self, ticket: ReadTicket, user_id: i64, query: &str, minute: i64, body: Bytes) {
        if !self.enabled() || query.len() > MAX_QUERY_BYTES || body.len() > self.budget_bytes / PAGES_PER_USER {
            return;
        }
        let mut inner = self.inner();
        if ticket.sequence < inner.floor
            || inner
                .users
                .get(&user_id)
                .is_some_and(|user| user.dropped_at > ticket.sequence)
        {
            return;
        }
        if inner.bytes + body.len() > self.budget_bytes {
            inner.drop_pages_older_than(minute);
        }
        if inner.bytes + body.len() > self.budget_bytes || inner.users.len() >= MAX_USERS {
            inner.start_again();
        }
        let user = inner.users.entry(user_id).or_default();
        let mut freed = 0;
        user.pages.retain(|page| {
            let keep = page.minute == minute && &*page.query != query;
            if !keep {
                freed += page.body.len();
            }
            keep
        });
        if user.pages.len() >= PAGES_PER_USER {
            freed += user.pages.remove(0).body.len();
        }
        let added = body.len();
        user.pages.push(CachedPage {
            query: query.into(),
            minute,
            body,
        });
        inner.bytes = inner.bytes - freed + added;
    }

    /// Drops a user's pages: their tasks or profile changed.
    pub fn forget_user(&self, user_id: i64) {
        let mut inner = self.inner();
        if inner.users.len() >= MAX_USERS {
            inner.start_again();
        }
        inner.sequence += 1;
        let sequence = inner.sequence;
        let user = inner.users.entry(user_id).or_default();
        user.dropped_at = sequence;
        let freed: usize = user.pages.drain(..).map(|page| page.body.len()).sum();
        inner.bytes -= freed;
    }

    /// Turns the cache on or off; either way it starts again empty.
    pub fn set_enabled(&self, enabled: bool) {
        let mut inner = self.inner();
        inner.start_again();
        self.enabled.store(enabled && self.budget_bytes > 0, Ordering::Release);
    }

    /// Pages served from the cache, and lists read from the database while it was on, since the process started.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    /// Bytes of pages held now.
    pub fn bytes(&self) -> usize {
        self.inner().bytes
    }
}

impl Inner {
    fn start_again(&mut self) {
        self.sequence += 1;
        self.floor = self.sequence;
        self.users.clear();
        self.bytes = 0;
    }

    fn drop_pages_older_than(&mut self, minute: i64) {
        let mut freed = 0;
        for user in self.users.values_mut() {
            user.pages.retain(|page| {
                let keep = page.minute >= minute;
                if !keep {
                    freed += page.body.len();
                }
                keep
            });
        }
        self.bytes -= freed;
    }
}

/// Middleware: after any request that can change data, by a caller with a valid access token, drops that user's
/// pages here and tells the other API processes.
pub async fn forget_pages_after_writes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let writer = if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        None
    } else {
        crate::auth::extractor::bearer_user_id(&state, request.headers())
    };
    let response = next.run(request).await;
    if let Some(user_id) = writer {
        state.task_pages.forget_user(user_id);
        if state.task_pages.shared() {
            // Not awaited: while the database is unreachable the answer must not wait for the announcement.
            tokio::spawn(async move {
                if tokio::time::timeout(ANNOUNCE_TIMEOUT, announce_write(&state, user_id))
                    .await
                    .is_err()
                {
                    tracing::warn!("could not announce a write to the other API processes in time");
                }
            });
        }
    }
    response
}

/// How long an announcement may wait for a database connection.
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(10);

/// Tells the other API processes (PostgreSQL) that a user's data changed.
async fn announce_write(state: &AppState, user_id: i64) {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [
            CHANNEL.into(),
            format!("{user_id} {}", state.task_pages.instance).into(),
        ],
    );
    if let Err(error) = state.db.execute_raw(statement).await {
        // Other processes may serve this user's old page until the minute is over.
        tracing::warn!(%error, "could not announce a write to the other API processes");
    }
}

/// Keeps listening on [`CHANNEL`] and drops the pages of every user another process announces; the cache is on only
/// while this listener is connected. Runs until the task is aborted.
pub async fn follow_other_processes(cache: std::sync::Arc<TaskPageCache>, database_url: crate::config::Secret) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut lost_before = false;
    loop {
        let listening = async {
            let mut listener = PgListener::connect(database_url.expose()).await?;
            listener.eager_reconnect(false);
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        }
        .await;
        match listening {
            Ok(mut listener) => {
                cache.set_enabled(true);
                if lost_before {
                    tracing::info!("listening for other API processes' writes again; the task list cache is back on");
                }
                while let Ok(Some(notification)) = listener.try_recv().await {
                    let (user_id, instance) = notification.payload().split_once(' ').unwrap_or_default();
                    if instance != cache.instance
                        && let Ok(user_id) = user_id.parse()
                    {
                        cache.forget_user(user_id);
                    }
                }
                cache.set_enabled(false);
                tracing::warn!(
                    "lost the connection that hears other API processes' writes; the task list cache is off"
                );
                lost_before = true;
            }
            Err(error) => {
                if !lost_before {
                    tracing::warn!(%error, "cannot listen for other API processes' writes; the task list cache is off");
                    lost_before = true;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> Bytes {
        Bytes::from(text.to_owned())
    }

    #[test]
    fn a_page_is_served_only_to_its_user_for_its_query_in_its_minute() {
        let cache = TaskPageCache::new(1 << 20, true);
        let ticket = cache.begin_read().unwrap();
        cache.store(ticket, 1, "limit=5", 100, page("ann's"));
        assert_eq!(cache.get(1, "limit=5", 100), Some(page("ann's")));
        assert_eq!(cache.get(2, "limit=5", 100), None, "another user");
        assert_eq!(cache.get(1, "limit=6", 100), None, "another query");
        assert_eq!(cache.get(1, "limit=5", 101), None, "the next minute");
        assert_eq!(cache.hits_and_misses(), (1, 3));
    }

    #[test]
    fn a_write_drops_the_users_pages_and_only_theirs() {
        let cache = TaskPageCache::new(1 << 20, true);
        let ticket = cache.begin_read().unwrap();
        cache.store(ticket, 1, "", 100, page("ann's"));
        cache.store(ticket, 2, "", 100, page("bob's"));
        cache.forget_user(1);
        assert_eq!(cache.get(1, "", 100), None);
        assert_eq!(cache.get(2, "", 100), Some(page("bob's")));
        assert_eq!(cache.bytes(), 5);
    }

    #[test]
    fn a_read_that_began_before_a_write_cannot_store_its_page() {
        let cache = TaskPageCache::new(1 << 20, true);
        let before = cache.begin_read().unwrap();
        cache.forget_user(1);
        cache.store(before, 1, "", 100, page("old"));
        assert_eq!(cache.get(1, "", 100), None);
        // Another user's write does not matter; a read that began after the write stores its page.
        cache.store(before, 2, "", 100, page("bob's"));
        assert_eq!(cache.get(2, "", 100), Some(page("bob's")));
        let after = cache.begin_read().unwrap();
        cache.store(after, 1, "", 100, page("new"));
        assert_eq!(cache.get(1, "", 100), Some(page("new")));
    }

    #[test]
    fn a_read_that_began_before_the_cache_started_again_cannot_store_its_page() {
        let cache = TaskPageCache::new(1 << 20, true);
        let before = cache.begin_read().unwrap();
        cache.set_enabled(true);
        cache.store(before, 1, "", 100, page("old"));
        assert_eq!(cache.get(1, "", 100), None);
    }

    #[test]
    fn a_disabled_cache_serves_and_keeps_nothing() {
        let cache = TaskPageCache::new(1 << 20, true);
        let ticket = cache.begin_read().unwrap();
        cache.store(ticket, 1, "", 100, page("ann's"));
        cache.set_enabled(false);
        assert_eq!(cache.begin_read().map(|t| t.sequence), None);
        assert_eq!(cache.get(1, "", 100), None);
        cache.store(ticket, 1, "", 100, page("ann's"));
        cache.set_enabled(true);
        assert_eq!(cache.get(1, "", 100), None, "nothing survives being off");
        assert!(
            TaskPageCache::new(0, true).begin_read().is_none(),
            "a budget of 0 turns it off"
        );
    }

    #[test]
    fn memory_stays_within_the_budget() {
        let cache = TaskPageCache::new(8 * 100, true);
        for user in 0..50 {
            for query in 0..20 {
                let ticket = cache.begin_read().unwrap();
                cache.store(ticket, user, &query.to_string(), 100, Bytes::from(vec![b'x'; 100]));
                assert!(cache.get(user, &query.to_string(), 100).is_some());
                assert!(cache.bytes() <= 800, "{} bytes", cache.bytes());
            }
        }
        let ticket = cache.begin_read().unwrap();
        cache.store(ticket, 1, "big", 100, Bytes::from(vec![b'x'; 101]));
        assert_eq!(
            cache.get(1, "big", 100),
            None,
            "a page over an eighth of the budget is not kept"
        );
        // Pages from earlier minutes go first.
        let cache = TaskPageCache::new(8 * 100, true);
        let ticket = cache.begin_read().unwrap();
        for user in 0..8 {
            cache.store(ticket, user, "", 100, Bytes::from(vec![b'x'; 100]));
        }
        cache.store(ticket, 9, "", 101, Bytes::from(vec![b'x'; 100]));
        assert_eq!(cache.bytes(), 100);
        assert!(cache.get(9, "", 101).is_some());
    }

    #[test]
    fn a_user_keeps_at_most_eight_queries_the_oldest_going_first() {
        let cache = TaskPageCache::new(1 << 20, true);
        let ticket = cache.begin_read().unwrap();
        for query in 0..=PAGES_PER_USER {
            cache.store(ticket, 1, &query.to_string(), 100, page("p"));
        }
        assert_eq!(cache.get(1, "0", 100), None);
        assert!(cache.get(1, "1", 100).is_some());
        assert!(cache.get(1, &PAGES_PER_USER.to_string(), 100).is_some());
        assert_eq!(cache.bytes(), PAGES_PER_USER);
    }
}
