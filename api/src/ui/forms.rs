//! Form bodies, query strings and cookies as the pages read them.

use axum::extract::FromRequest;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use super::error::UiError;

/// The most bytes a form body may hold (a comment is the largest field).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// A submitted `application/x-www-form-urlencoded` body, fields in order (checkboxes
/// repeat their name).
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// Parses a urlencoded body or query string.
    pub fn parse(bytes: &[u8]) -> Self {
        FormData(
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed, if not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = UiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, UiError> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| UiError::BadRequest("The form could not be read.".to_owned()))?;
        if bytes.len() > MAX_FORM_BYTES {
            return Err(UiError::BadRequest("The form is too large.".to_owned()));
        }
        Ok(FormData::parse(&bytes))
    }
}

/// The query string of a request as form data.
pub fn query_of(parts: &Parts) -> FormData {
    FormData::parse(parts.uri.query().unwrap_or("").as_bytes())
}

/// Percent-encodes `value` for a query string.
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A query string from `pairs`, skipping empty values but for `query` (an empty
/// search means every issue, unlike an absent one).
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        if !value.is_empty() || *key == "query" {
            serializer.append_pair(key, value);
        }
    }
    serializer.finish()
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Lax always, Secure when the server is
/// reached over https; `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// Whether `next` is a path on this server, so a login link cannot send a person
/// elsewhere: it starts with one `/`, and holds no backslash, whitespace or control
/// character anywhere (browsers drop tabs and newlines from a `Location`, so
/// `/<tab>/evil.example` would become `//evil.example`).
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 2_048
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

/// The client's address, when the server knows it.
#[derive(Debug, Clone, Default)]
pub struct ClientAddress(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(crate::auth::request_origin(parts).1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_server_are_local() {
        assert!(is_local_path(
            "/organizations/acme/issues/?query=is%3Aunresolved"
        ));
        for outside in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example",
            "evil.example",
            "",
        ] {
            assert!(!is_local_path(outside), "{outside:?}");
        }
    }
}
