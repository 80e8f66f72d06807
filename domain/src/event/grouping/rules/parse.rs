//! A cursor over one line of rules, with Sentry's error messages.

use super::RuleError;

/// A position in one rule line.
pub struct Cursor<'a> {
    line: &'a str,
    number: usize,
    at: usize,
}

impl<'a> Cursor<'a> {
    /// The start of line `number` (1-based).
    pub fn new(line: &'a str, number: usize) -> Self {
        Self {
            line,
            number,
            at: 0,
        }
    }

    /// The byte offset.
    pub fn position(&self) -> usize {
        self.at
    }

    /// What is left.
    pub fn rest(&self) -> &'a str {
        &self.line[self.at..]
    }

    /// Skips spaces (and commas when `commas`).
    pub fn skip_space(&mut self, commas: bool) {
        let skipped = self
            .rest()
            .find(|c: char| !(c.is_whitespace() || (commas && c == ',')))
            .unwrap_or(self.rest().len());
        self.at += skipped;
    }

    /// Consumes `c` if next.
    pub fn eat(&mut self, c: char) -> bool {
        if self.rest().starts_with(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Consumes `text` if next.
    pub fn eat_str(&mut self, text: &str) -> bool {
        if self.rest().starts_with(text) {
            self.at += text.len();
            true
        } else {
            false
        }
    }

    /// Consumes the longest run of characters satisfying `keep`.
    pub fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let len = self
            .rest()
            .find(|c: char| !keep(c))
            .unwrap_or(self.rest().len());
        let taken = self.rest()[..len].to_owned();
        self.at += len;
        taken
    }

    /// A `"quoted"` value (backslash escapes) or a run of non-space characters.
    pub fn value(&mut self) -> Option<String> {
        if self.rest().starts_with('"') {
            return self.quoted();
        }
        let value = self.take_while(|c| !c.is_whitespace());
        (!value.is_empty()).then_some(value)
    }

    /// A `"quoted"` string.
    pub fn quoted(&mut self) -> Option<String> {
        let start = self.at;
        if !self.eat('"') {
            return None;
        }
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, next)) = chars.next() {
                        out.push(next);
                    }
                }
                '"' => {
                    self.at += i + 1;
                    return Some(out);
                }
                other => out.push(other),
            }
        }
        self.at = start;
        None
    }

    /// Sentry's syntax error at byte `at`: `Invalid syntax near "…" (line N, column M)`.
    pub fn error_at(&self, at: usize) -> RuleError {
        let near: String = self.line[at..].chars().take(33).collect();
        let near = if near.chars().count() == 33 {
            format!("{}...", near.chars().take(32).collect::<String>())
        } else {
            near
        };
        RuleError {
            message: format!(
                "Invalid syntax near {near:?} (line {}, column {})",
                self.number,
                self.line[..at].chars().count() + 1
            ),
        }
    }

    /// `message` at byte `at`, with its line and column.
    pub fn message_at(&self, at: usize, message: &str) -> RuleError {
        RuleError {
            message: format!(
                "{message} (line {}, column {})",
                self.number,
                self.line[..at].chars().count() + 1
            ),
        }
    }
}

/// The lines of `text` that hold a rule: `(1-based number, line)`, without blank lines
/// and `#` comments.
pub fn rule_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| {
            let trimmed = line.trim();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        })
}
