//! Sending one HTTP POST to a receiver, safely: `http`/`https` only, every address the
//! host resolves to public (unless private receivers are allowed), the connection
//! made to an address that was checked, no redirects followed, at most
//! [`MAX_RESPONSE_BYTES`] of the answer read, and a timeout on the whole exchange.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::HeaderMap;
use reqwest::Url;

use crate::address::non_public_reason;
use crate::attempt::Attempt;

/// How much of a receiver's answer is read (the rest is dropped with the connection).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// How much of a non-2xx answer's body goes into `last_error`.
const ERROR_BODY_CHARS: usize = 200;

/// A host that resolved to an address notifications may not go to.
#[derive(Debug)]
struct Refused {
    host: String,
    ip: IpAddr,
    why: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host == self.ip.to_string() {
            write!(f, "refused: {} is a {} address", self.ip, self.why)?;
        } else {
            write!(
                f,
                "refused: {} resolves to {} ({} address)",
                self.host, self.ip, self.why
            )?;
        }
        f.write_str("; private receivers need --allow-private-webhooks")
    }
}

impl std::error::Error for Refused {}

/// Resolves with the system resolver and refuses the whole answer when any address
/// is not public. reqwest connects to the addresses this returns, so DNS cannot
/// answer one thing to the check and another to the connection.
struct CheckedResolver;

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some((ip, why)) = addresses
                .iter()
                .find_map(|address| Some((address.ip(), non_public_reason(address.ip())?)))
            {
                return Err(Box::new(Refused { host, ip, why }) as _);
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// The HTTP side of delivery: one client (connection pool) for every receiver.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
    timeout: Duration,
}

impl Outbound {
    /// A client whose requests time out after `timeout`; `allow_private` lets them
    /// reach loopback and private addresses.
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            // A proxy would be resolved instead of the receiver, past the check.
            .no_proxy()
            .user_agent(concat!("Faultline/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(CheckedResolver));
        }
        Ok(Self {
            client: builder.build()?,
            allow_private,
            timeout,
        })
    }

    /// POSTs `body` with `headers` to `target` and says how it went.
    pub async fn post(&self, target: &str, headers: HeaderMap, body: Vec<u8>) -> Attempt {
        let url = match self.check_url(target) {
            Ok(url) => url,
            Err(error) => {
                return Attempt::Failed {
                    error,
                    status: None,
                }
            }
        };
        let response = match self
            .client
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
        {
            Ok(response) => response,
            Err(error) => return self.failed_request(error),
        };
        let status = response.status();
        let body = read_capped(response).await;
        let code = i32::from(status.as_u16());
        if status.is_success() {
            return Attempt::Delivered { status: Some(code) };
        }
        let error = format!(
            "receiver answered {}{}",
            status,
            excerpt(&String::from_utf8_lossy(&body))
        );
        match code {
            // Too many requests, a timeout or a failure on the receiver's side may
            // pass; anything else it said (gone, not found, a redirect we do not
            // follow) will be said again.
            408 | 425 | 429 | 500..=599 => Attempt::Retry {
                error,
                status: Some(code),
            },
            _ => Attempt::Failed {
                error,
                status: Some(code),
            },
        }
    }

    /// The URL, when it is one notifications may go to. Hosts given by name are
    /// checked when they are resolved ([`CheckedResolver`]); addresses here.
    fn check_url(&self, target: &str) -> Result<Url, String> {
        let url = Url::parse(target).map_err(|error| format!("invalid URL: {error}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "refused: only http and https URLs are sent to, not {}:",
                url.scheme()
            ));
        }
        let host = url.host_str().ok_or("invalid URL: no host")?;
        // The URL parser normalised any address (`0x7f000001` is `127.0.0.1`).
        let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse() else {
            return Ok(url);
        };
        match non_public_reason(ip).filter(|_| !self.allow_private) {
            Some(why) => Err(Refused {
                host: ip.to_string(),
                ip,
                why,
            }
            .to_string()),
            None => Ok(url),
        }
    }

    fn failed_request(&self, error: reqwest::Error) -> Attempt {
        let error = error.without_url();
        if let Some(refused) = find_source::<Refused>(&error) {
            return Attempt::Failed {
                error: refused.to_string(),
                status: None,
            };
        }
        if error.is_builder() {
            return Attempt::Failed {
                error: describe(&error),
                status: None,
            };
        }
        let error = if error.is_timeout() {
            format!(
                "timed out after {} s: {}",
                self.timeout.as_secs_f64(),
                describe(&error)
            )
        } else {
            describe(&error)
        };
        Attempt::Retry {
            error,
            status: None,
        }
    }
}

/// The first `T` in `error`'s chain of sources.
fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// An error and its sources, `: `-separated (reqwest's own message says only "error
/// sending request").
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Up to [`MAX_RESPONSE_BYTES`] of the body; a body that fails midway gives what came.
async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_RESPONSE_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_RESPONSE_BYTES {
            break;
        }
    }
    body
}

/// `: <the start of the body>` for an error message, or nothing for an empty body.
fn excerpt(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return String::new();
    }
    let mut cut: String = body.chars().take(ERROR_BODY_CHARS).collect();
    if cut.len() < body.len() {
        cut.push('…');
    }
    format!(": {cut}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbound(allow_private: bool) -> Outbound {
        Outbound::new(Duration::from_secs(1), allow_private).unwrap()
    }

    #[test]
    fn only_http_and_https_urls_are_sent_to() {
        let error = outbound(true).check_url("file:///etc/passwd").unwrap_err();

        assert!(error.contains("only http and https"), "{error}");
        assert!(outbound(true).check_url("ftp://example.com/").is_err());
        assert!(outbound(true).check_url("not a url").is_err());
    }

    #[test]
    fn a_literal_private_address_is_refused_unless_allowed() {
        let error = outbound(false)
            .check_url("http://169.254.169.254/latest/meta-data/")
            .unwrap_err();

        assert!(error.contains("link-local"), "{error}");
        assert!(outbound(false).check_url("http://[::1]:8080/").is_err());
        assert!(outbound(false).check_url("http://0x7f000001/").is_err());
        assert!(outbound(true).check_url("http://127.0.0.1:8080/").is_ok());
        assert!(outbound(false).check_url("https://8.8.8.8/").is_ok());
    }

    #[tokio::test]
    async fn a_host_name_resolving_to_loopback_is_refused_before_connecting() {
        let attempt = outbound(false)
            .post("http://localhost:9/hook", HeaderMap::new(), b"{}".to_vec())
            .await;

        match attempt {
            Attempt::Failed { error, status } => {
                assert!(error.contains("localhost resolves to"), "{error}");
                assert!(error.contains("loopback"), "{error}");
                assert_eq!(status, None);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn an_error_excerpt_is_short() {
        assert_eq!(excerpt("  "), "");
        assert_eq!(excerpt("nope"), ": nope");
        assert_eq!(excerpt(&"x".repeat(500)).chars().count(), 2 + 200 + 1);
    }
}
