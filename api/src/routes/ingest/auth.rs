//! Who sends an event: the client key, from wherever the SDK put it.
//!
//! In Relay's order: `X-Sentry-Auth: Sentry sentry_key=…`, `Authorization: Sentry …`,
//! `Authorization: Basic base64(key:…)`, `?sentry_key=`; the envelope endpoint also
//! reads the `dsn` envelope header. Two of the header/query forms at once is an error.

use axum::http::HeaderMap;
use base64::Engine;

use crate::error::ApiError;

/// The parts of a Sentry auth payload Faultline uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentryAuth {
    /// The public key (32 hex).
    pub key: String,
    /// `sentry_client` (`name/version`), if sent.
    pub client: Option<String>,
}

fn bad(detail: &'static str) -> ApiError {
    ApiError::Unauthorized(detail)
}

/// Parses `Sentry k=v, k=v` into an auth payload.
fn parse_sentry_header(value: &str) -> Result<SentryAuth, ApiError> {
    let rest = value
        .get(..7)
        .filter(|prefix| prefix.eq_ignore_ascii_case("sentry "))
        .map(|_| &value[7..])
        .ok_or(bad("invalid authorization header"))?;
    let mut key = None;
    let mut client = None;
    for pair in rest.split(',') {
        let Some((name, value)) = pair.trim().split_once('=') else {
            continue;
        };
        match name.trim() {
            "sentry_key" => key = Some(value.trim().to_owned()),
            "sentry_client" => client = Some(value.trim().to_owned()),
            "sentry_version" if value.trim().parse::<u32>().is_ok_and(|v| v > 8) => {
                return Err(ApiError::BadRequest("unsupported protocol version".into()));
            }
            _ => {}
        }
    }
    let key = key
        .filter(|k| !k.is_empty())
        .ok_or(bad("missing sentry_key in authorization"))?;
    Ok(SentryAuth { key, client })
}

/// The auth from headers and query string, if any was sent there.
pub fn from_request(
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Option<SentryAuth>, ApiError> {
    let mut found = Vec::new();
    if let Some(value) = headers.get("x-sentry-auth").and_then(|v| v.to_str().ok()) {
        found.push(parse_sentry_header(value)?);
    }
    if let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        if value.len() > 6 && value[..6].eq_ignore_ascii_case("basic ") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value[6..].trim())
                .map_err(|_| bad("invalid basic authorization"))?;
            let decoded = String::from_utf8_lossy(&decoded);
            let key = decoded.split(':').next().unwrap_or("").to_owned();
            found.push(SentryAuth { key, client: None });
        } else if value.len() > 7 && value[..7].eq_ignore_ascii_case("sentry ") {
            found.push(parse_sentry_header(value)?);
        }
    }
    if let Some(query) = query.filter(|q| q.contains("sentry_")) {
        let mut key = None;
        let mut client = None;
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("sentry_key", value)) => key = Some(value.to_owned()),
                Some(("sentry_client", value)) => client = Some(value.to_owned()),
                _ => {}
            }
        }
        if let Some(key) = key {
            found.push(SentryAuth { key, client });
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(bad("multiple authorization payloads detected")),
    }
}

/// The public key and project id of a DSN (`scheme://key[:secret]@host/…/project`).
pub fn from_dsn(dsn: &str) -> Option<(String, i64)> {
    let (_, rest) = dsn.split_once("://")?;
    let (userinfo, location) = rest.split_once('@')?;
    let key = userinfo.split(':').next()?.to_owned();
    let project = location
        .trim_end_matches('/')
        .rsplit('/')
        .next()?
        .parse()
        .ok()?;
    Some((key, project))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn the_x_sentry_auth_header_gives_key_and_client() {
        let auth = from_request(
            &headers(
                "x-sentry-auth",
                "Sentry sentry_version=7, sentry_client=sentry.python/2.0.0, sentry_key=abc",
            ),
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(auth.key, "abc");
        assert_eq!(auth.client.as_deref(), Some("sentry.python/2.0.0"));
    }

    #[test]
    fn the_query_string_and_basic_auth_are_fallbacks() {
        let query =
            from_request(&HeaderMap::new(), Some("sentry_key=k1&sentry_version=7")).unwrap();
        let basic = from_request(&headers("authorization", "Basic azI6c2VjcmV0"), None).unwrap();
        assert_eq!(query.unwrap().key, "k1");
        assert_eq!(basic.unwrap().key, "k2");
    }

    #[test]
    fn two_auth_sources_at_once_are_refused() {
        let result = from_request(
            &headers("x-sentry-auth", "Sentry sentry_key=a"),
            Some("sentry_key=b"),
        );
        assert!(matches!(result, Err(ApiError::Unauthorized(_))));
    }

    #[test]
    fn a_dsn_gives_its_key_and_project() {
        assert_eq!(
            from_dsn("http://abc:def@localhost:9000/prefix/42"),
            Some(("abc".to_owned(), 42))
        );
        assert_eq!(from_dsn("not a dsn"), None);
    }
}
