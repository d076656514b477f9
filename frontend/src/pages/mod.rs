//! One module per page.

pub mod account;
pub mod birthdays;
pub mod movies;
pub mod notifications;
pub mod tasks;
pub mod today;

use serde_json::Value;

/// The `items` array of a page or list response.
pub fn items(value: &Value) -> Vec<Value> {
    value["items"].as_array().cloned().unwrap_or_default()
}

/// A string field, or empty.
pub fn text(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap_or_default().to_owned()
}
