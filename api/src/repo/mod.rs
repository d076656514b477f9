//! Queries, one module per table group. Every function takes `&impl ConnectionTrait`, so it runs on the pool or
//! inside a transaction alike, and every query on user data is scoped by the owner's id.

pub mod birthdays;
pub mod email_tokens;
pub mod login_attempts;
pub mod movie_alerts;
pub mod notifications;
pub mod owned;
pub mod pagination;
pub mod sessions;
pub mod tasks;
pub mod users;
