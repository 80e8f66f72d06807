//! Splits a query into free text and raw `key:value` terms, handling quotes and lists.
//!
//! A token is a quoted phrase (`"foo bar"`), a term (`[!]key:value`, where `key` is
//! made of `A-Z a-z 0-9 _ . -` or is `tags[…]`), or any other run of non-space
//! characters, which is free text. Values are a quoted string, a `[a, "b c"]` list,
//! or a run of non-space characters. Inside quotes `\"` is a quote and `\\` a
//! backslash; any other backslash is kept as is.

use super::SearchError;

/// A lexed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// A free-text word or a quoted phrase, unescaped.
    Text(String),
    /// A `key:value` term.
    Term(Term),
}

/// A `key:value` term before its key is interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Term {
    /// A leading `!` was present.
    pub negated: bool,
    /// The key as written, without `!` (and, for `tags[k]`, just `k`).
    pub key: String,
    /// Written as `tags[key]`, so always a tag.
    pub explicit_tag: bool,
    /// The value or values, unescaped.
    pub value: Value,
}

/// The value part of a term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    /// `key:value` or `key:"value"`.
    Single(String),
    /// `key:[a,b]`, never empty.
    List(Vec<String>),
}

/// True for the characters a bare key may contain.
pub(super) fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// True for the characters a `tags[…]` key may contain.
pub(super) fn is_tag_key_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '[' | ']' | '"')
}

/// Splits `input` into tokens.
pub(super) fn tokenize(input: &str) -> Result<Vec<Token>, SearchError> {
    let mut lexer = Lexer { input, pos: 0 };
    let mut tokens = Vec::new();
    while let Some(token) = lexer.next_token()? {
        tokens.push(token);
    }
    Ok(tokens)
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn at_token_end(&self) -> bool {
        self.peek().is_none_or(char::is_whitespace)
    }

    /// The byte offset of the next whitespace at or after `from`, or the end.
    fn word_end(&self, from: usize) -> usize {
        self.input[from..]
            .find(char::is_whitespace)
            .map_or(self.input.len(), |i| from + i)
    }

    /// The token from `start` up to the next whitespace at or after the current position.
    fn token_from(&self, start: usize) -> String {
        self.input[start..self.word_end(self.pos)].to_owned()
    }

    /// The token from `start` to the end of the query, trailing spaces dropped.
    fn rest_from(&self, start: usize) -> String {
        self.input[start..].trim_end().to_owned()
    }

    fn next_token(&mut self) -> Result<Option<Token>, SearchError> {
        self.skip_whitespace();
        let start = self.pos;
        if self.peek().is_none() {
            return Ok(None);
        }
        if self.peek() == Some('"') {
            let phrase = self.quoted(start)?;
            self.expect_token_end_after_quote(start)?;
            return Ok(Some(Token::Text(phrase)));
        }
        let end = self.word_end(start);
        match split_key(&self.input[start..end]) {
            Some((negated, key, explicit_tag, value_offset)) => {
                self.pos = start + value_offset;
                let value = self.value(start, key)?;
                Ok(Some(Token::Term(Term {
                    negated,
                    key: key.to_owned(),
                    explicit_tag,
                    value,
                })))
            }
            None => {
                self.pos = end;
                Ok(Some(Token::Text(self.input[start..end].to_owned())))
            }
        }
    }

    /// Reads a quoted string at the current `"`, returning it unescaped.
    fn quoted(&mut self, start: usize) -> Result<String, SearchError> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(SearchError::UnterminatedQuote {
                        token: self.rest_from(start),
                    })
                }
                Some('"') => return Ok(out),
                Some('\\') if matches!(self.peek(), Some('"' | '\\')) => {
                    out.extend(self.bump());
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn expect_token_end_after_quote(&self, start: usize) -> Result<(), SearchError> {
        if self.at_token_end() {
            Ok(())
        } else {
            Err(SearchError::TextAfterQuote {
                token: self.token_from(start),
            })
        }
    }

    /// Reads the value of the term starting at `start`, the position being just after `:`.
    fn value(&mut self, start: usize, key: &str) -> Result<Value, SearchError> {
        match self.peek() {
            Some('"') => {
                let value = self.quoted(start)?;
                self.expect_token_end_after_quote(start)?;
                Ok(Value::Single(value))
            }
            Some('[') => self.list(start).map(Value::List),
            _ if self.at_token_end() => Err(SearchError::MissingValue {
                key: key.to_owned(),
            }),
            _ => {
                let end = self.word_end(self.pos);
                let value = self.input[self.pos..end].to_owned();
                self.pos = end;
                Ok(Value::Single(value))
            }
        }
    }

    /// Reads a `[a, "b", c]` list at the current `[`.
    fn list(&mut self, start: usize) -> Result<Vec<String>, SearchError> {
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_whitespace();
            items.push(self.list_item(start)?);
            self.skip_whitespace();
            match self.bump() {
                Some(',') => continue,
                Some(']') if self.at_token_end() => return Ok(items),
                None => {
                    return Err(SearchError::UnterminatedList {
                        token: self.rest_from(start),
                    })
                }
                Some(_) => {
                    return Err(SearchError::InvalidList {
                        token: self.token_from(start),
                    })
                }
            }
        }
    }

    fn list_item(&mut self, start: usize) -> Result<String, SearchError> {
        match self.peek() {
            None => Err(SearchError::UnterminatedList {
                token: self.rest_from(start),
            }),
            Some('"') => self.quoted(start),
            Some(_) => {
                let item_len = self
                    .rest()
                    .find(|c: char| c.is_whitespace() || c == ',' || c == ']')
                    .unwrap_or(self.rest().len());
                if item_len == 0 {
                    return Err(SearchError::InvalidList {
                        token: self.token_from(start),
                    });
                }
                let item = self.rest()[..item_len].to_owned();
                self.pos += item_len;
                Ok(item)
            }
        }
    }
}

/// Splits `[!]key:` off a whitespace-free word: `(negated, key, explicit_tag, value
/// offset)`, or `None` when the word is free text.
fn split_key(word: &str) -> Option<(bool, &str, bool, usize)> {
    let (negated, body) = match word.strip_prefix('!') {
        Some(body) => (true, body),
        None => (false, word),
    };
    let skipped = word.len() - body.len();
    if let Some(inner) = body.strip_prefix("tags[") {
        let close = inner.find(']')?;
        let key = &inner[..close];
        let after = &inner[close + 1..];
        if key.is_empty() || !key.chars().all(is_tag_key_char) || !after.starts_with(':') {
            return None;
        }
        return Some((negated, key, true, skipped + "tags[".len() + close + 2));
    }
    let colon = body.find(':')?;
    let key = &body[..colon];
    if key.is_empty() || !key.chars().all(is_key_char) {
        return None;
    }
    Some((negated, key, false, skipped + colon + 1))
}
