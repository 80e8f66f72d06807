//! The floor under end-to-end ingestion on this machine: the least CPU any server
//! needs per event to take these requests and keep them durably, measured part by
//! part in the same run, with nothing of Faultline in it.
//!
//! 1. *Requests*: the same generator, the same gzip envelopes and the same 32
//!    keep-alive connections against a bare hyper HTTP/1.1 server in this process that
//!    reads each body, inflates it (libdeflate, one call, as Faultline does), finds
//!    the event item and checks that its JSON is well-formed (sonic-rs, skipping
//!    every value without building it), then answers `200 {"id": ...}`. No
//!    normalisation, grouping, storage or read model.
//! 2. *Storage*: PostgreSQL taking the same gzip bodies, as the client sent them (the
//!    smallest form at hand), into `bench_floor(id bigserial, body bytea)` by
//!    100-row INSERTs from 8 connections, one transaction each, like the baseline
//!    (`insert::batched`).
//!
//! Each part is costed in CPU seconds of the whole machine (`/proc/stat`: every
//! process and the kernel, the generator included, as in the real run) per event, so
//! the floor rate is `cpus / (requests + storage)`: what this machine could do if
//! all its cores did nothing else. A target above it is out of reach here whatever
//! the server does.

use std::convert::Infallible;
use std::sync::Arc;

use crate::insert;
use crate::load::{self, LoadOptions};
use crate::machine;
use crate::payload::{Size, Templates};
use crate::progress::log;
use crate::server::Project;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

/// What one part of the floor cost.
pub struct Part {
    pub items: u64,
    pub wall_s: f64,
    /// Busy CPU seconds of the whole machine over the part.
    pub busy_s: Option<f64>,
}

impl Part {
    pub fn per_s(&self) -> f64 {
        self.items as f64 / self.wall_s.max(1e-9)
    }

    /// Machine CPU milliseconds per item.
    pub fn cpu_ms(&self) -> Option<f64> {
        self.busy_s.map(|s| s * 1e3 / self.items.max(1) as f64)
    }
}

pub struct FloorResult {
    pub requests: Part,
    pub storage: Part,
    pub cpus: usize,
}

impl FloorResult {
    /// Events/s this machine could reach doing only the floor's work on every core.
    pub fn per_s(&self) -> Option<f64> {
        let ms = self.requests.cpu_ms()? + self.storage.cpu_ms()?;
        Some(self.cpus as f64 * 1e3 / ms)
    }
}

/// Measures both parts on `events` K=50 envelopes, built before the clock starts.
pub async fn run(
    database_url: &str,
    events: usize,
    concurrency: usize,
) -> anyhow::Result<FloorResult> {
    log(format!(
        "floor: {events} K=50 envelopes to a bare hyper server, then into a bytea table"
    ));
    let templates = Templates::build(50, 4, Size::Realistic);
    let bodies = Arc::new(load::prebuild(&templates, "floor", events));
    let requests = requests(bodies.clone(), concurrency).await?;
    let storage = storage(database_url, bodies).await?;
    let floor = FloorResult {
        requests,
        storage,
        cpus: std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(1),
    };
    log(format!(
        "floor: requests {:.0}/s ({:?} ms CPU each), storage {:.0} rows/s ({:?} ms CPU each), both {:?}/s",
        floor.requests.per_s(),
        floor.requests.cpu_ms(),
        floor.storage.per_s(),
        floor.storage.cpu_ms(),
        floor.per_s()
    ));
    Ok(floor)
}

async fn requests(bodies: Arc<Vec<load::Body>>, concurrency: usize) -> anyhow::Result<Part> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(answer);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let project = Project {
        slug: "floor".into(),
        id: 1,
        public_key: "floor".into(),
    };
    let n = bodies.len();
    let make: load::Maker = Arc::new(move |i| load::Body {
        event_id: bodies[i].event_id.clone(),
        bytes: bodies[i].bytes.clone(),
    });
    let options = LoadOptions {
        concurrency,
        retry_overload: false,
        sample_every: usize::MAX,
        gzip: true,
        progress: None,
    };
    let busy0 = machine::busy_seconds();
    let (result, _) = load::run(&format!("http://{address}"), &project, n, make, &options).await;
    let busy = machine::busy_seconds().zip(busy0).map(|(b, a)| b - a);
    server.abort();
    anyhow::ensure!(
        result.accepted == n as u64,
        "the floor server refused requests: {:?}",
        result.status
    );
    Ok(Part {
        items: result.accepted,
        wall_s: result.wall_s,
        busy_s: busy,
    })
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match request.into_body().collect().await {
        Ok(collected) => match event_id(&collected.to_bytes()) {
            Some(id) => (StatusCode::OK, format!("{{\"id\":\"{id}\"}}")),
            None => (StatusCode::BAD_REQUEST, "{}".to_owned()),
        },
        Err(_) => (StatusCode::BAD_REQUEST, "{}".to_owned()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

thread_local! {
    static GUNZIP: std::cell::RefCell<libdeflater::Decompressor> =
        std::cell::RefCell::new(libdeflater::Decompressor::new());
}

/// The least a server must read of a gzip envelope with one event: inflate it, split
/// the envelope header, item header and payload, and check the payload is JSON.
fn event_id(gzip: &[u8]) -> Option<String> {
    let size = u32::from_le_bytes(gzip.get(gzip.len().checked_sub(4)?..)?.try_into().ok()?);
    let mut envelope = vec![0; size as usize];
    let inflated = GUNZIP
        .with(|decompressor| {
            decompressor
                .borrow_mut()
                .gzip_decompress(gzip, &mut envelope)
        })
        .ok()?;
    envelope.truncate(inflated);
    let mut lines = envelope.splitn(3, |b| *b == b'\n');
    let header: serde_json::Value = serde_json::from_slice(lines.next()?).ok()?;
    let _item_header = lines.next()?;
    let payload = lines.next()?;
    let payload = payload.strip_suffix(b"\n").unwrap_or(payload);
    sonic_rs::from_slice::<serde::de::IgnoredAny>(payload).ok()?;
    header["event_id"].as_str().map(str::to_owned)
}

async fn storage(database_url: &str, bodies: Arc<Vec<load::Body>>) -> anyhow::Result<Part> {
    let inserted = insert::batched(
        database_url,
        "CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, body bytea NOT NULL)",
        |n| insert::sql("bench_floor (body)", "", n),
        bodies,
        |query, body: &load::Body| query.bind(&body.bytes[..]),
    )
    .await?;
    Ok(Part {
        items: inserted.rows,
        wall_s: inserted.wall_s,
        busy_s: inserted.busy_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_server_reads_the_event_id_of_a_gzip_envelope() {
        let envelope = crate::payload::envelope("abc", "{\"level\": \"error\"}", "key");
        assert_eq!(
            event_id(&crate::payload::gzip(&envelope)).as_deref(),
            Some("abc")
        );
    }

    #[test]
    fn the_floor_server_refuses_an_event_that_is_not_json() {
        let envelope = crate::payload::envelope("abc", "{\"level\": ", "key");
        assert_eq!(event_id(&crate::payload::gzip(&envelope)), None);
    }
}
