//! The agenda as a calendar: an RFC 5545 writer and the secret feed URL per user.

pub mod feed_token;
pub mod ics;
