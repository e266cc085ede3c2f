//! Small helpers shared by the handlers.

use crate::dto::PageQuery;
use crate::error::ApiError;
use ventros_app::page::PageRequest;

pub fn page(limit: Option<u32>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    Ok(PageRequest::new(limit, cursor)?)
}

pub fn page_of(q: &PageQuery) -> Result<PageRequest, ApiError> {
    page(q.limit, q.cursor.as_deref())
}
