//! Query parameters that repeat (`project=1&project=2`), which axum's `Query` does
//! not read: taken from the URI and percent-decoded here.

use crate::error::ApiError;

/// The repeated `project=<id>` parameters; none, or `-1`, means every project.
pub fn project_filter(uri: &axum::http::Uri) -> Result<Option<Vec<i64>>, ApiError> {
    let mut ids = Vec::new();
    for value in query_values(uri, "project") {
        let id: i64 = value
            .parse()
            .map_err(|_| ApiError::BadRequest("Invalid project parameter.".into()))?;
        if id == -1 {
            return Ok(None);
        }
        ids.push(id);
    }
    Ok((!ids.is_empty()).then_some(ids))
}

/// The decoded, non-empty values of the repeated parameter `name`.
pub fn query_values(uri: &axum::http::Uri, name: &str) -> Vec<String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| percent_decode(value))
        .filter(|value| !value.is_empty())
        .collect()
}

/// Decodes `%XX` escapes and `+` of a query value.
pub fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_decoded() {
        assert_eq!(percent_decode("os.name"), "os.name");
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
    }
}
