//! The channels a notification goes out on, and how each renders a payload
//! ([`crate::payload`]) into what its receiver expects.

pub mod discord;
pub mod email;
pub mod service_hook;
pub mod slack;
pub mod webhook;

use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use serde_json::Value;
use sha2::Sha256;

/// Where a notification goes (the outbox's `channel` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// An email over SMTP.
    Email,
    /// A signed JSON POST (a workflow's webhook action).
    Webhook,
    /// A Slack incoming webhook.
    Slack,
    /// A Discord webhook.
    Discord,
    /// A project's service hook.
    ServiceHook,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::Webhook,
        Channel::Slack,
        Channel::Discord,
        Channel::ServiceHook,
    ];

    /// The channel named `name` in the outbox.
    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Its name in the outbox and in metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Slack => "slack",
            Channel::Discord => "discord",
            Channel::ServiceHook => "service_hook",
        }
    }
}

/// What to send to an HTTP receiver: the exact body and its headers.
#[derive(Debug, Clone)]
pub struct HttpMessage {
    /// Headers, `Content-Type` included.
    pub headers: HeaderMap,
    /// The JSON body, byte for byte as signed.
    pub body: Vec<u8>,
}

/// What a renderer needs besides the payload.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// The outbox row's id: the idempotency key.
    pub id: uuid::Uuid,
    /// The signing key, if the row has one.
    pub secret: Option<&'a str>,
    /// The service hook's id.
    pub hook_id: Option<&'a str>,
    /// Seconds since the epoch, for timestamp headers.
    pub now: i64,
}

/// Renders the HTTP message of a non-email channel.
pub fn http_message(channel: Channel, payload: &Value, envelope: Envelope<'_>) -> HttpMessage {
    match channel {
        Channel::Webhook => webhook::render(payload, envelope),
        Channel::ServiceHook => service_hook::render(payload, envelope),
        Channel::Slack => json_message(&slack::render(payload)),
        Channel::Discord => json_message(&discord::render(payload)),
        Channel::Email => unreachable!("an email is not an HTTP message"),
    }
}

/// Hex HMAC-SHA256 of `body` keyed with the secret's UTF-8 bytes, as Sentry's
/// `X-ServiceHook-Signature`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// `value` as a JSON body with its `Content-Type`.
fn json_message(value: &Value) -> HttpMessage {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    HttpMessage {
        headers,
        body: serde_json::to_vec(value).expect("a JSON value serializes"),
    }
}

/// Adds `name: value`, skipping a value that cannot be a header (a stored hook id
/// with a newline, say).
fn set_header(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// At most `chars` characters of `text`.
fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(chars - 1).collect();
    cut.push('…');
    cut
}

/// A JSON string of `text`, or `null`.
fn string_or_null(text: Option<String>) -> Value {
    text.map_or(Value::Null, Value::String)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_long_text_is_cut() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }

    #[test]
    fn every_channel_parses_from_its_name() {
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.name()), Some(channel));
        }
        assert_eq!(Channel::parse("pager"), None);
    }
}
