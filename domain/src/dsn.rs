//! Sentry DSNs: `{scheme}://{public_key}@{host}/{project_id}`.

/// The DSN an SDK uses to send events of `project_id` with `public_key` to the
/// Faultline reachable at `public_url` (e.g. `http://127.0.0.1:9000`).
pub fn public_dsn(public_url: &str, public_key: &str, project_id: i64) -> String {
    let (scheme, rest) = public_url.split_once("://").unwrap_or(("http", public_url));
    let rest = rest.trim_end_matches('/');
    format!("{scheme}://{public_key}@{rest}/{project_id}")
}

/// The legacy DSN that also carries the secret key.
pub fn secret_dsn(public_url: &str, public_key: &str, secret_key: &str, project_id: i64) -> String {
    public_dsn(
        public_url,
        &format!("{public_key}:{secret_key}"),
        project_id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dsn_puts_the_key_before_the_host_and_the_project_after() {
        assert_eq!(
            public_dsn("http://127.0.0.1:9000", "abc", 42),
            "http://abc@127.0.0.1:9000/42"
        );
        assert_eq!(
            secret_dsn("https://errors.example.com/", "abc", "def", 1),
            "https://abc:def@errors.example.com/1"
        );
    }
}
