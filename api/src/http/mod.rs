//! HTTP plumbing shared by every route: the JSON extractor, client addresses, and the middleware stack.

pub mod client;
pub mod database_gate;
pub mod extract;
pub mod json;
pub mod middleware;

pub use json::ApiJson;
