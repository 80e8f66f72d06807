//! Sending email over SMTP (`--smtp-url`, `--email-from`).
//!
//! `smtp://user:pass@host:port` talks plain SMTP (port 25 by default; for a relay on
//! this machine), `smtp://...?tls=starttls` requires STARTTLS (port 587),
//! `smtps://...` is TLS from the first byte (port 465). User and password are
//! percent-decoded.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use reqwest::Url;

use crate::attempt::Attempt;
use crate::channels::email::Email;
use crate::ConfigError;

/// An SMTP client and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    ImplicitTls,
}

/// What an SMTP URL says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SmtpUrl {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<(String, String)>,
}

fn parse_url(url: &str) -> Result<SmtpUrl, String> {
    let parsed = Url::parse(url).map_err(|error| error.to_string())?;
    let tls = parsed
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.to_ascii_lowercase());
    let security = match (parsed.scheme(), tls.as_deref()) {
        ("smtp", None | Some("none")) => Security::Plain,
        ("smtp", Some("starttls" | "required")) => Security::StartTls,
        ("smtps", None | Some("implicit")) => Security::ImplicitTls,
        ("smtp" | "smtps", Some(other)) => {
            return Err(format!(
                "unknown tls={other:?} (smtp:// takes tls=starttls; smtps:// is TLS already)"
            ))
        }
        (scheme, _) => return Err(format!("expected smtp:// or smtps://, got {scheme}://")),
    };
    let host = parsed
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or("no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = parsed.port().unwrap_or(match security {
        Security::Plain => 25,
        Security::StartTls => 587,
        Security::ImplicitTls => 465,
    });
    let credentials = (!parsed.username().is_empty()).then(|| {
        (
            percent_decode(parsed.username()),
            percent_decode(parsed.password().unwrap_or("")),
        )
    });
    Ok(SmtpUrl {
        host,
        port,
        security,
        credentials,
    })
}

/// `%XX` escapes decoded (URLs carry user names and passwords encoded).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Mailer {
    /// A mailer for `url` sending as `from`; every exchange times out after `timeout`.
    pub fn new(url: &str, from: &str, timeout: Duration) -> Result<Self, ConfigError> {
        let smtp = parse_url(url).map_err(ConfigError::SmtpUrl)?;
        let from: Mailbox = from
            .parse()
            .map_err(|error: lettre::address::AddressError| {
                ConfigError::EmailFrom(from.to_owned(), error.to_string())
            })?;
        let tls = || {
            TlsParameters::new(smtp.host.clone())
                .map_err(|error| ConfigError::SmtpUrl(error.to_string()))
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
            .port(smtp.port)
            .timeout(Some(timeout));
        builder = match smtp.security {
            Security::Plain => {
                let loopback = smtp.host == "localhost"
                    || smtp
                        .host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback());
                if !loopback {
                    tracing::warn!(
                        host = %smtp.host,
                        "--smtp-url is plain smtp:// to another machine: mail and password travel unencrypted (use ?tls=starttls or smtps://)"
                    );
                }
                builder.tls(Tls::None)
            }
            Security::StartTls => builder.tls(Tls::Required(tls()?)),
            Security::ImplicitTls => builder.tls(Tls::Wrapper(tls()?)),
        };
        if let Some((user, password)) = smtp.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            timeout,
        })
    }

    /// Sends `email` to `to`; `id` (the outbox row's) becomes the Message-ID, so a
    /// repeat after a crash is recognisable.
    pub async fn send(&self, id: uuid::Uuid, to: &str, email: &Email) -> Attempt {
        let to: Mailbox = match to.parse() {
            Ok(to) => to,
            Err(error) => {
                return Attempt::Failed {
                    error: format!("invalid email address: {error}"),
                    status: None,
                }
            }
        };
        let domain = self.from.email.domain().to_owned();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(format!("<{id}@{domain}>")))
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ));
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                return Attempt::Failed {
                    error: format!("cannot build the email: {error}"),
                    status: None,
                }
            }
        };
        let sent = tokio::time::timeout(self.timeout, self.transport.send(message)).await;
        match sent {
            Err(_) => Attempt::Retry {
                error: format!("timed out after {} s", self.timeout.as_secs_f64()),
                status: None,
            },
            Ok(Ok(response)) => Attempt::Delivered {
                status: Some(i32::from(u16::from(response.code()))),
            },
            Ok(Err(error)) => {
                let status = error.status().map(|code| i32::from(u16::from(code)));
                let error = format!("smtp: {error}");
                if status.is_some_and(|code| code >= 500) {
                    Attempt::Failed { error, status }
                } else {
                    Attempt::Retry { error, status }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smtp_url_gives_security_port_and_credentials() {
        assert_eq!(
            parse_url("smtp://127.0.0.1:2525").unwrap(),
            SmtpUrl {
                host: "127.0.0.1".into(),
                port: 2525,
                security: Security::Plain,
                credentials: None
            }
        );
        assert_eq!(
            parse_url("smtp://me%40x.org:p%3Ass@mail.x.org?tls=starttls").unwrap(),
            SmtpUrl {
                host: "mail.x.org".into(),
                port: 587,
                security: Security::StartTls,
                credentials: Some(("me@x.org".into(), "p:ss".into()))
            }
        );
        let implicit = parse_url("smtps://u:p@mail.x.org").unwrap();
        assert_eq!(
            (implicit.security, implicit.port),
            (Security::ImplicitTls, 465)
        );
    }

    #[test]
    fn other_schemes_and_tls_modes_are_refused() {
        assert!(parse_url("http://mail.x.org").is_err());
        assert!(parse_url("smtp://mail.x.org?tls=maybe").is_err());
        assert!(parse_url("smtp://").is_err());
    }

    #[test]
    fn a_bad_sender_is_a_configuration_error() {
        let error = Mailer::new(
            "smtp://127.0.0.1:25",
            "not an address",
            Duration::from_secs(1),
        )
        .err()
        .unwrap();

        assert!(matches!(error, ConfigError::EmailFrom(..)), "{error}");
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("a%20b%zz%2"), "a b%zz%2");
    }
}
