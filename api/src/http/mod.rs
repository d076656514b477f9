//! HTTP plumbing shared by every route: the JSON extractor, client addresses, the middleware stack, and the cache of
//! rendered task pages.

pub mod client;
pub mod database_gate;
pub mod extract;
pub mod json;
pub mod middleware;
pub mod task_page_cache;

pub use json::ApiJson;
