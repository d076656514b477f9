//! sea-orm entities, one per table; their shape follows the migrations in the `migration` crate.

pub mod login_attempt;
pub mod refresh_token;
pub mod session;
pub mod user;
