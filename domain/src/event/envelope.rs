//! Sentry envelopes: `Headers { "\n" Item } [ "\n" ]`, where `Item = Headers "\n" Payload`.
//!
//! ```text
//! {"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://key@example.com/42"}
//! {"type":"event","length":41,"content_type":"application/json"}
//! {"message":"hello world","level":"error"}
//! ```
//!
//! A payload with a `length` header is exactly that many bytes, followed by `\n` or the
//! end of the body. Without `length` the payload runs to the next `\n` or the end. Blank
//! lines between and after items are tolerated. Byte sizes are limited by the caller,
//! before and after parsing; the parser itself stops at [`MAX_ENVELOPE_ITEMS`] items and
//! at header lines nested deeper than [`MAX_JSON_DEPTH`]. Unknown item types parse like
//! any other.

use serde_json::{Map, Value};
use thiserror::Error;

use super::json_depth::{check_json_depth, MAX_JSON_DEPTH};
use super::normalize_event_id;

/// The most items one envelope may hold.
///
/// Relay has no total item count: it limits bytes (100 MiB per envelope) and some
/// types by count (at most 100 sessions, one event). Bytes alone do not bound memory
/// here, because every item costs a header map and a payload buffer: 100 MiB of
/// 14-byte `{"type":"x"}` items would be seven million allocations before a single
/// rule runs. Real SDK envelopes hold an event plus a few attachments, or a batch of
/// at most 100 sessions (Relay's cap) with a client report, so 1000 is ten times the
/// largest legitimate envelope and still caps the parser's work.
pub const MAX_ENVELOPE_ITEMS: usize = 1000;

/// A parsed envelope: its headers and its items in body order.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The envelope headers (`event_id`, `dsn`, `sdk`, `sent_at`, `trace`, unknown ones kept).
    pub headers: Map<String, Value>,
    /// The items, in the order they appear in the body.
    pub items: Vec<EnvelopeItem>,
}

/// One envelope item: its headers and its raw payload bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvelopeItem {
    /// The `type` header (`event`, `attachment`, `session`, or anything else).
    pub item_type: String,
    /// All item headers, `type` and `length` included.
    pub headers: Map<String, Value>,
    /// The payload bytes, without the terminating newline.
    pub payload: Vec<u8>,
}

/// Why an envelope body could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EnvelopeError {
    /// The body is empty or only whitespace.
    #[error("empty envelope body")]
    Empty,
    /// The first line is not a JSON object.
    #[error("invalid envelope header JSON: the first line must be a JSON object")]
    InvalidHeader,
    /// An item header line is not a JSON object.
    #[error("invalid item header JSON in item {index}: the line must be a JSON object")]
    InvalidItemHeader {
        /// Zero-based position of the item.
        index: usize,
    },
    /// An item header has no string `type`.
    #[error("missing item type in item {index}: the header needs a string \"type\"")]
    MissingItemType {
        /// Zero-based position of the item.
        index: usize,
    },
    /// An item header's `length` is not a non-negative integer.
    #[error("invalid length in item {index}: \"length\" must be a non-negative integer")]
    InvalidLength {
        /// Zero-based position of the item.
        index: usize,
    },
    /// The body ends before the declared number of payload bytes.
    #[error("payload of item {index} is shorter than its declared length {declared} ({available} bytes left)")]
    PayloadTooShort {
        /// Zero-based position of the item.
        index: usize,
        /// The `length` header.
        declared: u64,
        /// The bytes left in the body after the item header.
        available: usize,
    },
    /// A length-prefixed payload is followed by something other than `\n` or the end.
    #[error("missing newline after the length-prefixed payload of item {index}")]
    MissingNewline {
        /// Zero-based position of the item.
        index: usize,
    },
    /// A header line nests JSON deeper than [`MAX_JSON_DEPTH`].
    #[error("envelope header JSON nested deeper than {max} levels")]
    TooDeep {
        /// The depth limit.
        max: usize,
    },
    /// The envelope holds more than [`MAX_ENVELOPE_ITEMS`] items.
    #[error("envelope exceeded size limits: more than {max} items")]
    TooManyItems {
        /// The item limit.
        max: usize,
    },
}

impl Envelope {
    /// The `event_id` header as 32 lowercase hex digits; `None` when absent or invalid.
    pub fn event_id(&self) -> Option<String> {
        self.headers
            .get("event_id")
            .and_then(Value::as_str)
            .and_then(normalize_event_id)
    }

    /// The `dsn` header, used for self-authentication.
    pub fn dsn(&self) -> Option<&str> {
        self.headers.get("dsn").and_then(Value::as_str)
    }
}

/// Parses an envelope body (already decompressed). Never panics, whatever the input.
pub fn parse_envelope(body: &[u8]) -> Result<Envelope, EnvelopeError> {
    if is_blank(body) {
        return Err(EnvelopeError::Empty);
    }
    let (header_line, mut pos) = next_line(body, 0);
    let headers = json_object(header_line)?.ok_or(EnvelopeError::InvalidHeader)?;
    let mut items = Vec::new();
    while pos < body.len() {
        let (line, after_line) = next_line(body, pos);
        if is_blank(line) {
            pos = after_line;
            continue;
        }
        if items.len() == MAX_ENVELOPE_ITEMS {
            return Err(EnvelopeError::TooManyItems {
                max: MAX_ENVELOPE_ITEMS,
            });
        }
        let (item, after_item) = parse_item(body, line, after_line, items.len())?;
        items.push(item);
        pos = after_item;
    }
    Ok(Envelope { headers, items })
}

/// Parses the item whose header is `line`; its payload starts at `start`.
fn parse_item(
    body: &[u8],
    line: &[u8],
    start: usize,
    index: usize,
) -> Result<(EnvelopeItem, usize), EnvelopeError> {
    let headers = json_object(line)?.ok_or(EnvelopeError::InvalidItemHeader { index })?;
    let item_type = headers
        .get("type")
        .and_then(Value::as_str)
        .ok_or(EnvelopeError::MissingItemType { index })?
        .to_string();
    let (payload, next) = match declared_length(&headers, index)? {
        Some(declared) => length_prefixed(body, start, declared, index)?,
        None => next_line(body, start),
    };
    let item = EnvelopeItem {
        item_type,
        headers,
        payload: payload.to_vec(),
    };
    Ok((item, next))
}

/// The `length` header: `None` when absent or null.
fn declared_length(
    headers: &Map<String, Value>,
    index: usize,
) -> Result<Option<u64>, EnvelopeError> {
    match headers.get("length") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or(EnvelopeError::InvalidLength { index }),
    }
}

/// Exactly `declared` bytes from `start`, then `\n` or the end of the body.
fn length_prefixed(
    body: &[u8],
    start: usize,
    declared: u64,
    index: usize,
) -> Result<(&[u8], usize), EnvelopeError> {
    let available = body.len().saturating_sub(start);
    let too_short = EnvelopeError::PayloadTooShort {
        index,
        declared,
        available,
    };
    let length = usize::try_from(declared).map_err(|_| too_short.clone())?;
    if length > available {
        return Err(too_short);
    }
    let end = start + length;
    match body.get(end) {
        None => Ok((&body[start..end], end)),
        Some(b'\n') => Ok((&body[start..end], end + 1)),
        Some(_) => Err(EnvelopeError::MissingNewline { index }),
    }
}

/// The bytes from `start` to the next `\n` (excluded) or the end, and the position after it.
fn next_line(body: &[u8], start: usize) -> (&[u8], usize) {
    let rest = body.get(start..).unwrap_or_default();
    match rest.iter().position(|&b| b == b'\n') {
        Some(offset) => (&rest[..offset], start + offset + 1),
        None => (rest, body.len()),
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// The line as a JSON object; `Ok(None)` when it is not one.
fn json_object(line: &[u8]) -> Result<Option<Map<String, Value>>, EnvelopeError> {
    check_json_depth(line, MAX_JSON_DEPTH).map_err(|e| EnvelopeError::TooDeep { max: e.max })?;
    Ok(match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item_types(envelope: &Envelope) -> Vec<&str> {
        envelope
            .items
            .iter()
            .map(|i| i.item_type.as_str())
            .collect()
    }

    #[test]
    fn the_reference_example_parses_into_an_attachment_and_an_event() {
        let body = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"https://e12d@sentry.io/42\"}\n\
{\"type\":\"attachment\",\"length\":10,\"content_type\":\"text/plain\",\"filename\":\"hello.txt\"}\n\
\xef\xbb\xbfHello\r\n\n\
{\"type\":\"event\",\"length\":41,\"content_type\":\"application/json\"}\n\
{\"message\":\"hello world\",\"level\":\"error\"}\n";

        let envelope = parse_envelope(body).unwrap();

        assert_eq!(item_types(&envelope), ["attachment", "event"]);
        assert_eq!(envelope.items[0].payload, b"\xef\xbb\xbfHello\r\n");
        assert_eq!(
            envelope.items[1].payload,
            br#"{"message":"hello world","level":"error"}"#
        );
        assert_eq!(
            envelope.items[1].headers["content_type"],
            "application/json"
        );
        assert_eq!(envelope.dsn(), Some("https://e12d@sentry.io/42"));
    }

    #[test]
    fn an_item_without_length_runs_to_the_next_newline_keeping_a_carriage_return() {
        let body =
            b"{}\n{\"type\":\"session\"}\n{\"sid\":\"x\"}\r\n{\"type\":\"client_report\"}\n{}";

        let envelope = parse_envelope(body).unwrap();

        assert_eq!(item_types(&envelope), ["session", "client_report"]);
        assert_eq!(envelope.items[0].payload, b"{\"sid\":\"x\"}\r");
        assert_eq!(envelope.items[1].payload, b"{}");
    }

    #[test]
    fn a_length_prefixed_payload_may_contain_newlines_and_end_at_eof() {
        let body = b"{}\n{\"type\":\"attachment\",\"length\":5}\na\nb\nc";

        let envelope = parse_envelope(body).unwrap();

        assert_eq!(envelope.items[0].payload, b"a\nb\nc");
    }

    #[test]
    fn trailing_blank_lines_after_the_last_item_are_tolerated() {
        let body = b"{}\n{\"type\":\"event\",\"length\":2}\n{}\n\n\r\n\n";

        let envelope = parse_envelope(body).unwrap();

        assert_eq!(item_types(&envelope), ["event"]);
    }

    #[test]
    fn an_envelope_with_headers_only_has_no_items() {
        assert_eq!(parse_envelope(b"{}").unwrap().items, vec![]);
        assert_eq!(parse_envelope(b"{}\n").unwrap().items, vec![]);
    }

    #[test]
    fn an_empty_item_at_eof_has_an_empty_payload() {
        let envelope = parse_envelope(b"{}\n{\"type\":\"attachment\",\"length\":0}").unwrap();

        assert_eq!(envelope.items[0].payload, b"");
    }

    #[test]
    fn unknown_item_types_are_kept_with_their_headers() {
        let body = b"{}\n{\"type\":\"profile_chunk\",\"platform\":\"python\"}\nxyz\n";

        let envelope = parse_envelope(body).unwrap();

        assert_eq!(envelope.items[0].item_type, "profile_chunk");
        assert_eq!(envelope.items[0].headers["platform"], "python");
    }

    #[test]
    fn the_event_id_header_is_normalized_to_plain_lowercase_hex() {
        let body = b"{\"event_id\":\"9EC79C33-EC99-42AB-8353-589FCB2E04DC\"}\n";

        let envelope = parse_envelope(body).unwrap();

        assert_eq!(
            envelope.event_id(),
            Some("9ec79c33ec9942ab8353589fcb2e04dc".to_string())
        );
    }

    #[test]
    fn an_invalid_event_id_header_reads_as_none() {
        let envelope = parse_envelope(b"{\"event_id\":\"abc\"}").unwrap();
        assert_eq!(envelope.event_id(), None);
        let envelope = parse_envelope(b"{\"event_id\":42}").unwrap();
        assert_eq!(envelope.event_id(), None);
    }

    #[test]
    fn an_empty_body_is_rejected() {
        assert_eq!(parse_envelope(b""), Err(EnvelopeError::Empty));
        assert_eq!(parse_envelope(b" \n\n"), Err(EnvelopeError::Empty));
    }

    #[test]
    fn a_header_line_that_is_not_a_json_object_is_rejected() {
        assert_eq!(
            parse_envelope(b"{nope\n"),
            Err(EnvelopeError::InvalidHeader)
        );
        assert_eq!(
            parse_envelope(b"[1,2]\n"),
            Err(EnvelopeError::InvalidHeader)
        );
    }

    #[test]
    fn an_invalid_item_header_is_reported_with_its_index() {
        let body = b"{}\n{\"type\":\"event\"}\n{}\n{\"type\":\n";

        assert_eq!(
            parse_envelope(body),
            Err(EnvelopeError::InvalidItemHeader { index: 1 })
        );
    }

    #[test]
    fn an_item_without_a_string_type_is_rejected() {
        assert_eq!(
            parse_envelope(b"{}\n{\"length\":2}\n{}\n"),
            Err(EnvelopeError::MissingItemType { index: 0 })
        );
        assert_eq!(
            parse_envelope(b"{}\n{\"type\":7}\n{}\n"),
            Err(EnvelopeError::MissingItemType { index: 0 })
        );
    }

    #[test]
    fn a_negative_or_fractional_length_is_rejected() {
        assert_eq!(
            parse_envelope(b"{}\n{\"type\":\"event\",\"length\":-1}\n{}"),
            Err(EnvelopeError::InvalidLength { index: 0 })
        );
        assert_eq!(
            parse_envelope(b"{}\n{\"type\":\"event\",\"length\":1.5}\n{}"),
            Err(EnvelopeError::InvalidLength { index: 0 })
        );
    }

    #[test]
    fn a_truncated_length_prefixed_payload_is_rejected() {
        let body = b"{}\n{\"type\":\"event\",\"length\":10}\n{}";

        assert_eq!(
            parse_envelope(body),
            Err(EnvelopeError::PayloadTooShort {
                index: 0,
                declared: 10,
                available: 2
            })
        );
    }

    #[test]
    fn a_huge_length_value_is_rejected_without_panicking() {
        let body = b"{}\n{\"type\":\"event\",\"length\":18446744073709551615}\n{}";

        assert_eq!(
            parse_envelope(body),
            Err(EnvelopeError::PayloadTooShort {
                index: 0,
                declared: u64::MAX,
                available: 2
            })
        );
    }

    #[test]
    fn a_length_prefixed_payload_followed_by_another_byte_is_rejected() {
        let body = b"{}\n{\"type\":\"event\",\"length\":2}\n{}x\n";

        assert_eq!(
            parse_envelope(body),
            Err(EnvelopeError::MissingNewline { index: 0 })
        );
    }

    #[test]
    fn an_item_header_at_eof_with_a_positive_length_is_too_short() {
        let body = b"{}\n{\"type\":\"event\",\"length\":3}";

        assert_eq!(
            parse_envelope(body),
            Err(EnvelopeError::PayloadTooShort {
                index: 0,
                declared: 3,
                available: 0
            })
        );
    }

    #[test]
    fn non_utf8_headers_are_rejected_not_panicked_on() {
        assert_eq!(
            parse_envelope(b"{\"a\":\"\xff\xfe\"}\n"),
            Err(EnvelopeError::InvalidHeader)
        );
        assert_eq!(
            parse_envelope(b"{}\n{\"type\":\"\xc3\x28\"}\n{}"),
            Err(EnvelopeError::InvalidItemHeader { index: 0 })
        );
    }

    #[test]
    fn an_envelope_with_the_maximum_number_of_items_parses() {
        let body = format!(
            "{{}}\n{}",
            "{\"type\":\"session\"}\n{}\n".repeat(MAX_ENVELOPE_ITEMS)
        );

        let envelope = parse_envelope(body.as_bytes()).unwrap();

        assert_eq!(envelope.items.len(), MAX_ENVELOPE_ITEMS);
    }

    #[test]
    fn one_item_more_than_the_maximum_is_refused() {
        let items = "{\"type\":\"session\"}\n{}\n".repeat(MAX_ENVELOPE_ITEMS + 1);
        let body = format!("{{}}\n{items}");

        assert_eq!(
            parse_envelope(body.as_bytes()),
            Err(EnvelopeError::TooManyItems {
                max: MAX_ENVELOPE_ITEMS
            })
        );
    }

    /// An item header `{"type":"x","a":[[…]]}` nested `depth` levels deep in all.
    fn item_header_of_depth(depth: usize) -> String {
        let inner = depth - 1;
        format!(
            "{{\"type\":\"x\",\"a\":{}{}}}",
            "[".repeat(inner),
            "]".repeat(inner)
        )
    }

    #[test]
    fn a_header_nested_deeper_than_the_limit_is_refused_as_too_deep() {
        let at_limit = format!("{{}}\n{}\n{{}}\n", item_header_of_depth(MAX_JSON_DEPTH));
        let over = format!("{{}}\n{}\n{{}}\n", item_header_of_depth(MAX_JSON_DEPTH + 1));

        assert_eq!(parse_envelope(at_limit.as_bytes()).unwrap().items.len(), 1);
        assert_eq!(
            parse_envelope(over.as_bytes()),
            Err(EnvelopeError::TooDeep {
                max: MAX_JSON_DEPTH
            })
        );
    }

    #[test]
    fn pseudo_random_bytes_never_panic() {
        // A fixed xorshift sequence: deterministic, no randomness source needed.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let alphabet = b"{}[]\":,\n\r 0123456789typelngh\xff\x00";
        for round in 0..2000 {
            let len = round % 64;
            let body: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            let _ = parse_envelope(&body);
            let mut framed = b"{}\n{\"type\":\"event\",\"length\":".to_vec();
            framed.extend_from_slice(&body);
            let _ = parse_envelope(&framed);
        }
    }
}
