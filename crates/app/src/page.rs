//! Cursor pagination: opaque cursors over (sort key, id).

use crate::AppError;
use uuid::Uuid;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// A position after which the next page starts: the last row's sort key (ms, when the list
/// is sorted by time) and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub ts_us: i64,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.ts_us, self.id.simple())
    }

    pub fn decode(s: &str) -> Result<Cursor, AppError> {
        let bad = || AppError::validation("cursor", "not a cursor this API returned");
        let (ts, id) = s.split_once('.').ok_or_else(bad)?;
        Ok(Cursor {
            ts_us: ts.parse().map_err(|_| bad())?,
            id: Uuid::parse_str(id).map_err(|_| bad())?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn new(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, AppError> {
        Ok(PageRequest {
            limit: limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
            after: cursor
                .filter(|c| !c.is_empty())
                .map(Cursor::decode)
                .transpose()?,
        })
    }

    pub fn first(limit: u32) -> Self {
        PageRequest { limit, after: None }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| cursor_of(r).encode())
        } else {
            None
        };
        Page {
            data: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_roundtrip_and_limits() {
        let c = Cursor {
            ts_us: -5,
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c));
        assert!(Cursor::decode("nope").is_err());
        assert_eq!(
            PageRequest::new(Some(10_000), None).map(|p| p.limit).ok(),
            Some(MAX_LIMIT)
        );
        assert_eq!(
            PageRequest::new(Some(0), None).map(|p| p.limit).ok(),
            Some(1)
        );
        let p = Page::from_rows(vec![1, 2, 3], 2, |_| c);
        assert_eq!(p.data, vec![1, 2]);
        assert!(p.next_cursor.is_some());
    }
}
