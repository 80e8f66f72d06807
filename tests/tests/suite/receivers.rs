//! Real receivers on loopback for what Faultline sends: an HTTP server that records
//! every request and answers as scripted, and an SMTP server (aiosmtpd,
//! `tests/smtp/capture.py`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// How a test receiver answers a request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reply {
    Status(u16),
    /// Never answers.
    Hang,
}

/// Chooses the reply to the `n`th request (from 0) to a path.
type Script = Arc<dyn Fn(&str, usize) -> Reply + Send + Sync>;

/// A request a receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// `None`: it was left hanging.
    pub(crate) answered: Option<u16>,
}

impl Seen {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header: {:?}", self.headers))
            .to_str()
            .unwrap()
    }
}

#[derive(Clone)]
struct ReceiverState {
    script: Script,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// An HTTP server on loopback that records every request and answers as scripted.
pub(crate) struct Receiver {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Receiver {
    pub(crate) async fn start(
        script: impl Fn(&str, usize) -> Reply + Send + Sync + 'static,
    ) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = ReceiverState {
            script: Arc::new(script),
            seen: seen.clone(),
        };
        let app = axum::Router::new().fallback(receive).with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { base, seen }
    }

    /// A receiver answering 200 to everything.
    pub(crate) async fn ok() -> Receiver {
        Receiver::start(|_, _| Reply::Status(200)).await
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    /// How often each idempotency key was answered with a 2xx.
    pub(crate) fn accepted_keys(&self) -> HashMap<String, usize> {
        let mut keys = HashMap::new();
        for seen in self.seen() {
            if seen
                .answered
                .is_some_and(|status| (200..300).contains(&status))
            {
                *keys
                    .entry(seen.header("x-faultline-idempotency-key").to_owned())
                    .or_default() += 1;
            }
        }
        keys
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let reply = {
        let mut seen = state.seen.lock().unwrap();
        let n = seen.iter().filter(|s| s.path == path).count();
        let reply = (state.script)(&path, n);
        seen.push(Seen {
            path,
            headers,
            body,
            answered: match reply {
                Reply::Status(status) => Some(status),
                Reply::Hang => None,
            },
        });
        reply
    };
    match reply {
        Reply::Status(status) => StatusCode::from_u16(status).unwrap().into_response(),
        Reply::Hang => std::future::pending().await,
    }
}

/// A real SMTP server (aiosmtpd, `tests/smtp/capture.py`) on loopback.
pub(crate) struct SmtpServer {
    port: u16,
    messages: Arc<Mutex<Vec<Value>>>,
    child: Child,
}

impl SmtpServer {
    pub(crate) fn start() -> SmtpServer {
        let python = std::env::var("FAULTLINE_TEST_PYTHON")
            .expect("FAULTLINE_TEST_PYTHON must name a python with aiosmtpd: run scripts/test");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(python)
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/smtp/capture.py"))
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
        let messages = Arc::new(Mutex::new(Vec::new()));
        let sink = messages.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line == "ready" {
                    let _ = ready_tx.send(());
                } else {
                    sink.lock()
                        .unwrap()
                        .push(serde_json::from_str(&line).expect("a JSON line"));
                }
            }
        });
        ready_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the SMTP server did not start");
        SmtpServer {
            port,
            messages,
            child,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub(crate) fn messages(&self) -> Vec<Value> {
        self.messages.lock().unwrap().clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
