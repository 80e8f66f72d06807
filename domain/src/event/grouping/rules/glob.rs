//! Sentry's rule globs: `*` and `?`, with `**` crossing `/` in path-like values
//! (paths, packages, releases), which also match case-insensitively and with `\` read
//! as `/`.

use regex::Regex;

/// A compiled glob.
#[derive(Debug, Clone)]
pub struct Glob {
    regex: Regex,
    path_like: bool,
    source: String,
}

impl Glob {
    /// Compiles `pattern`; path-like globs keep `*` within a path segment. `None` when
    /// the pattern is too large to compile.
    pub fn new(pattern: &str, path_like: bool, case_insensitive: bool) -> Option<Glob> {
        let pattern_text = if path_like {
            pattern.replace('\\', "/")
        } else {
            pattern.to_owned()
        };
        let mut regex = String::from(if case_insensitive { "(?is)^" } else { "(?s)^" });
        // Sentry also tries a path with a `/` in front: a leading `**/` or `/` may
        // match nothing instead.
        let mut rest = pattern_text.as_str();
        if path_like {
            if let Some(tail) = rest.strip_prefix("**/") {
                regex.push_str("(?:.*/)?");
                rest = tail;
            } else if let Some(tail) = rest.strip_prefix('/') {
                regex.push_str("/?");
                rest = tail;
            }
        }
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    regex.push_str(".*");
                }
                '*' if path_like => regex.push_str("[^/]*"),
                '*' => regex.push_str(".*"),
                '?' => regex.push('.'),
                other => regex.push_str(&regex::escape(&other.to_string())),
            }
        }
        regex.push('$');
        Some(Glob {
            regex: Regex::new(&regex).ok()?,
            path_like,
            source: pattern.to_owned(),
        })
    }

    /// Whether `value` matches (`\\` in a path-like value read as `/`).
    pub fn matches(&self, value: &str) -> bool {
        if !self.path_like {
            return self.regex.is_match(value);
        }
        if value.contains('\\') {
            return self.matches(&value.replace('\\', "/"));
        }
        self.regex.is_match(value)
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_star_stays_in_its_segment_and_a_double_star_crosses() {
        let one = Glob::new("**/node_modules/*.js", true, true).unwrap();
        assert!(one.matches("/app/node_modules/x.js"));
        assert!(!one.matches("/app/node_modules/a/x.js"));
        assert!(Glob::new("**/node_modules/**", true, true)
            .unwrap()
            .matches("C:\\app\\node_modules\\a\\x.js"));
    }

    #[test]
    fn a_module_star_crosses_dots_and_is_case_sensitive() {
        let glob = Glob::new("com.example.*", false, false).unwrap();
        assert!(glob.matches("com.example.shop.Cart"));
        assert!(!glob.matches("COM.example.x"));
    }
}
