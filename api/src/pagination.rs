//! Sentry's cursor pagination: `?cursor=` in, `Link` header out.
//!
//! Cursors are Sentry's `"{value}:{offset}:{is_prev}"`; most list endpoints here page
//! by offset, so `value` is `0`. The issue list pages by keyset and makes its own
//! cursors (`faultline_projections::issues::search::Cursor`) but shares the header.
//! Both `previous` and `next` links are always present, with `results="true|false"`
//! telling the client whether to follow them.

use axum::http::{HeaderMap, HeaderValue, Uri};
use faultline_projections::accounts::queries::Page;
use serde::Deserialize;

use crate::error::ApiError;

/// Rows per page when the client asks for none.
const DEFAULT_LIMIT: i64 = 100;
/// The most rows a page holds.
const MAX_LIMIT: i64 = 100;

/// Pagination query parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `"{value}:{offset}:{is_prev}"`.
    pub cursor: Option<String>,
    /// Page size (issue lists).
    pub limit: Option<i64>,
    /// Page size (most other lists).
    pub per_page: Option<i64>,
}

impl PageParams {
    /// The page asked for; a malformed cursor is a 400.
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = self
            .limit
            .or(self.per_page)
            .unwrap_or(DEFAULT_LIMIT)
            .clamp(1, MAX_LIMIT);
        let offset = match self.cursor.as_deref().map(str::trim) {
            // sentry-cli asks for the first page with an empty `cursor=`.
            None | Some("") => 0,
            Some(cursor) => parse_cursor(cursor)
                .ok_or_else(|| ApiError::BadRequest("Invalid cursor parameter.".into()))?,
        };
        Ok(Page { limit, offset })
    }
}

fn parse_cursor(cursor: &str) -> Option<i64> {
    let mut parts = cursor.rsplitn(3, ':');
    let is_prev = parts.next()?;
    let offset: i64 = parts.next()?.parse().ok()?;
    let _value = parts.next()?;
    (matches!(is_prev, "0" | "1") && offset >= 0).then_some(offset)
}

/// A list answer as Sentry gives it: the page's rows as a JSON array, with the
/// `Link` header that leads to the pages around it.
pub fn paged<T>(
    public_url: &str,
    uri: &Uri,
    page: Page,
    found: &faultline_projections::accounts::queries::Paged<T>,
    to_json: impl FnMut(&T) -> serde_json::Value,
) -> (HeaderMap, axum::Json<Vec<serde_json::Value>>) {
    let body = found.rows.iter().map(to_json).collect();
    (
        link_header(public_url, uri, page, found.has_more),
        axum::Json(body),
    )
}

/// The `Link` header for `page` of the list at `uri`, reached at `public_url`.
pub fn link_header(public_url: &str, uri: &Uri, page: Page, has_more: bool) -> HeaderMap {
    let previous = (page.offset - page.limit).max(0);
    let next = page.offset + page.limit;
    cursor_link_header(
        public_url,
        uri,
        (&format!("0:{previous}:1"), page.offset > 0),
        (&format!("0:{next}:0"), has_more),
    )
}

/// The `Link` header of the list at `uri` with the given `(cursor, has results)` for
/// the previous and the next page.
pub fn cursor_link_header(
    public_url: &str,
    uri: &Uri,
    (previous, has_previous): (&str, bool),
    (next, has_next): (&str, bool),
) -> HeaderMap {
    let query: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("cursor="))
        .collect();
    let base = format!("{public_url}{}?{}", uri.path(), query.join("&"));
    let separator = if query.is_empty() { "" } else { "&" };
    let value = format!(
        "<{base}{separator}cursor={previous}>; rel=\"previous\"; results=\"{has_previous}\"; cursor=\"{previous}\", \
         <{base}{separator}cursor={next}>; rel=\"next\"; results=\"{has_next}\"; cursor=\"{next}\""
    );
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert("link", value);
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentry_cursor_gives_its_offset() {
        assert_eq!(parse_cursor("0:100:0"), Some(100));
        assert_eq!(parse_cursor("1704067200000:25:1"), Some(25));
        assert_eq!(parse_cursor("garbage"), None);
        assert_eq!(parse_cursor("0:-1:0"), None);
    }

    #[test]
    fn the_link_header_has_both_directions_and_keeps_other_parameters() {
        let uri: Uri = "/api/0/organizations/?member=1&cursor=0:0:0"
            .parse()
            .unwrap();
        let headers = link_header(
            "http://h",
            &uri,
            Page {
                limit: 10,
                offset: 0,
            },
            true,
        );
        let link = headers["link"].to_str().unwrap();
        assert!(link.contains("<http://h/api/0/organizations/?member=1&cursor=0:0:1>; rel=\"previous\"; results=\"false\""));
        assert!(link.contains("rel=\"next\"; results=\"true\"; cursor=\"0:10:0\""));
    }

    #[test]
    fn an_empty_cursor_is_the_first_page() {
        let params = PageParams {
            cursor: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(params.page().unwrap().offset, 0);
    }

    #[test]
    fn a_page_size_is_capped_at_one_hundred() {
        let params = PageParams {
            per_page: Some(1000),
            ..Default::default()
        };
        assert_eq!(params.page().unwrap().limit, 100);
    }
}
