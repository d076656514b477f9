//! sea-orm entities, one per table; their shape follows the migrations in the `migration` crate.

pub mod birthday;
pub mod birthday_reminder;
pub mod email_token;
pub mod login_attempt;
pub mod movie_alert;
pub mod notification;
pub mod refresh_token;
pub mod session;
pub mod task;
pub mod user;
