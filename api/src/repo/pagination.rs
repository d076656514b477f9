//! Keyset pagination: opaque cursors that hold the last item's sort key and id, so pages never skip or repeat
//! rows while others are added.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": "eyJzIjoiZHVlX2RhdGUiLCJrIjoiMjAyNi0xMi0xOCIsImkiOjd9"}))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The position after the last item of a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Which ordering the cursor belongs to.
    #[serde(rename = "s")]
    pub sort: String,
    /// The last item's sort key (`null` for items without one).
    #[serde(rename = "k")]
    pub key: serde_json::Value,
    #[serde(rename = "i")]
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Decodes a cursor made for `sort`.
    ///
    /// # Errors
    /// 422 naming `cursor` when it is not one of ours or belongs to another ordering.
    pub fn decode(raw: &str, sort: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::field("cursor", "is not a cursor from this list; start again without it");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| invalid())?;
        let cursor: Self = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if cursor.sort != sort {
            return Err(invalid());
        }
        Ok(cursor)
    }
}

/// Checks `limit`.
///
/// # Errors
/// 422 naming `limit` outside 1 to 200.
pub fn limit(requested: Option<u64>) -> Result<u64, ApiError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::field("limit", format!("must be 1 to {MAX_LIMIT}"))),
    }
}

/// Splits one extra fetched row off, which says whether there is a next page.
pub fn page<T, R>(mut rows: Vec<R>, limit: u64, cursor_of: impl Fn(&R) -> Cursor, item: impl Fn(R) -> T) -> Page<T> {
    let has_more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = if has_more {
        rows.last().map(|row| cursor_of(row).encode())
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(item).collect(),
        next_cursor,
    }
}
