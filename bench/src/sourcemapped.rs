//! (1c) Ingestion of minified JavaScript resolved through a source map: the K=50 load
//! of (1), but every event is a node error whose 30 frames point into a minified
//! file, resolved at ingest through a ~1 MB source map uploaded beforehand as
//! sentry-cli uploads it (chunk-upload, then artifact bundle assembly).
//!
//! The app is generated here, seeded, so every run measures the same map: a few
//! hundred original sources (with `sourcesContent`), a few thousand functions, the
//! minified file on a few long lines with a mapped token at each declaration,
//! parameter, call and statement. The 30 frames are a call chain through 30 of the
//! functions (each frame at the call of the next, the newest at its `throw`), as
//! node reports a stack.
//!
//! One event is sent first and read back through the API: every frame must come back
//! resolved (`data.symbolicated`, an original file name), or the phase fails. It also
//! leaves the parsed map in the server's cache, as in a server that has been running.

use std::collections::HashSet;
use std::io::{Cursor, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use sqlx::PgPool;

use crate::cli::Args;
use crate::ingest::{self, IngestRun, Phase};
use crate::load::{self, LoadOptions};
use crate::payload::{
    self, capitalize, letters, EnvelopeSdk, Rng, Templates, EVENT_ID_PH, TS_PH, VERBS, WORDS,
};
use crate::progress::log;
use crate::server::{Api, Project, Server};

/// Frames of every event, all in the minified file.
pub const FRAMES: usize = 30;
/// Original source files in the map.
const SOURCES: usize = 285;
/// Functions per source file: `FUNCTIONS_PER_SOURCE.0..FUNCTIONS_PER_SOURCE.1`.
const FUNCTIONS_PER_SOURCE: (u64, u64) = (4, 12);
/// Lines the minified code is spread over (minifiers write one or a few long lines).
const MINIFIED_LINES: usize = 4;
/// Where the minified file runs, as node reports it in every frame.
const ABS_PATH: &str = "/srv/app/dist/app.min.js";
const SEED: u64 = 0x5EED_0F50_0CE3_A95B;
/// Groups (issues), as in the plain K=50 row, and variants of each.
const K: usize = 50;
const VARIANTS: usize = 4;

const SDK: EnvelopeSdk = EnvelopeSdk {
    name: "sentry.javascript.node",
    version: "9.29.0",
    release: "shop-web@2.8.1",
};

const AREAS: [&str; 16] = [
    "orders",
    "cart",
    "checkout",
    "payments",
    "catalog",
    "search",
    "accounts",
    "shipping",
    "inventory",
    "reviews",
    "promotions",
    "analytics",
    "notifications",
    "admin",
    "auth",
    "api",
];
const NOUNS: [&str; 12] = [
    "Total", "Lines", "Status", "Items", "Fees", "Rules", "Limits", "Rows", "Events", "Prices",
    "Ids", "State",
];
const FIRST_PARAMS: [&str; 10] = [
    "order", "cart", "invoice", "payload", "request", "account", "session", "batch", "entry",
    "record",
];
const SECOND_PARAMS: [&str; 6] = ["options", "ctx", "config", "settings", "context", "env"];
const LISTS: [&str; 5] = ["items", "lines", "entries", "rows", "parts"];
const SUMS: [&str; 5] = ["total", "sum", "count", "amount", "weight"];
const FIELDS: [&str; 5] = ["items", "lines", "entries", "children", "parts"];
const THROWN: [&str; 3] = ["Error", "RangeError", "TypeError"];
/// Identifiers a minified name must not be.
const RESERVED: [&str; 12] = [
    "do", "if", "in", "of", "as", "for", "let", "new", "try", "var", "get", "set",
];
/// What @sentry/node's Modules integration lists for a small Express app.
const MODULES: [(&str, &str); 40] = [
    ("express", "4.21.2"),
    ("@sentry/node", "9.29.0"),
    ("@sentry/core", "9.29.0"),
    ("@opentelemetry/api", "1.9.0"),
    ("@opentelemetry/core", "1.30.1"),
    ("@opentelemetry/instrumentation", "0.57.2"),
    ("@opentelemetry/instrumentation-http", "0.57.2"),
    ("@opentelemetry/sdk-trace-base", "1.30.1"),
    ("@opentelemetry/semantic-conventions", "1.28.0"),
    ("pg", "8.13.1"),
    ("pg-pool", "3.7.0"),
    ("pg-protocol", "1.7.0"),
    ("ioredis", "5.4.2"),
    ("zod", "3.24.1"),
    ("pino", "9.6.0"),
    ("pino-http", "10.3.0"),
    ("undici", "6.21.0"),
    ("dotenv", "16.4.7"),
    ("jsonwebtoken", "9.0.2"),
    ("uuid", "11.0.3"),
    ("body-parser", "1.20.3"),
    ("cookie-parser", "1.4.7"),
    ("cors", "2.8.5"),
    ("helmet", "8.0.0"),
    ("compression", "1.7.5"),
    ("debug", "4.4.0"),
    ("ms", "2.1.3"),
    ("qs", "6.13.0"),
    ("semver", "7.6.3"),
    ("lru-cache", "11.0.2"),
    ("date-fns", "4.1.0"),
    ("lodash", "4.17.21"),
    ("axios", "1.7.9"),
    ("stripe", "17.5.0"),
    ("nodemailer", "6.9.16"),
    ("bullmq", "5.34.6"),
    ("prom-client", "15.1.3"),
    ("http-errors", "2.0.0"),
    ("on-finished", "2.4.1"),
    ("import-in-the-middle", "1.12.0"),
];

const JS_ERRORS: [&str; 8] = [
    "TypeError",
    "RangeError",
    "Error",
    "ReferenceError",
    "SyntaxError",
    "URIError",
    "EvalError",
    "AggregateError",
];

/// Where one frame points in the minified file, and what it must resolve to.
#[derive(Debug, Clone)]
pub struct FramePosition {
    /// 1-based, as node reports it.
    pub line: u32,
    /// 1-based.
    pub column: u32,
    /// The minified function name node reports.
    pub function: String,
    /// The original source, as the server names it (`src/...`).
    pub original_file: String,
    /// 1-based line in the original source.
    pub original_line: u32,
    pub original_function: String,
}

/// The generated app: the minified file, its map, and the frames of every event.
pub struct App {
    pub minified: String,
    pub map: Vec<u8>,
    /// Of the minified file and its map (`sentry-cli sourcemaps inject`).
    pub debug_id: String,
    /// Of the bundle.
    pub bundle_id: String,
    pub sources: usize,
    pub functions: usize,
    pub tokens: usize,
    pub names: usize,
    /// Oldest first, as Sentry orders frames.
    pub frames: Vec<FramePosition>,
    /// Every original file name, as resolved frames show it.
    pub source_files: HashSet<String>,
}

/// One generated function of the original code.
struct Function {
    source: u32,
    /// 0-based line of its declaration in its source.
    decl_line: u32,
    name: String,
    minified: String,
    p1: &'static str,
    p2: &'static str,
    list: &'static str,
    sum: &'static str,
    field: &'static str,
    thrown: &'static str,
    limit: u64,
}

/// The minified name of the `n`th identifier: `a`..`_`, then two characters, and so on.
fn identifier(mut n: usize) -> String {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$_";
    const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$_";
    let mut out = vec![FIRST[n % FIRST.len()]];
    n /= FIRST.len();
    while n > 0 {
        n -= 1;
        out.push(REST[n % REST.len()]);
        n /= REST.len();
    }
    String::from_utf8(out).expect("ascii")
}

fn uuid_from(rng: &mut Rng) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.next().to_le_bytes());
    bytes[8..].copy_from_slice(&rng.next().to_le_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Where a token of the minified file points in its original source (0-based).
#[derive(Clone, Copy)]
struct Mapping<'a> {
    line: u32,
    column: u32,
    name: Option<&'a str>,
}

/// The minified file as it is written, and the mappings into it.
struct Minified {
    text: String,
    line: u32,
    line_start: usize,
}

impl Minified {
    fn column(&self) -> u32 {
        (self.text.len() - self.line_start) as u32
    }

    fn newline(&mut self) {
        self.text.push('\n');
        self.line += 1;
        self.line_start = self.text.len();
    }
}

impl App {
    /// The app of seed [`SEED`]: always the same bytes.
    pub fn generate() -> App {
        let mut rng = Rng::new(SEED);
        let debug_id = uuid_from(&mut rng);
        let bundle_id = uuid_from(&mut rng);

        // The original code: sources of functions.
        let mut builder = sourcemap::SourceMapBuilder::new(Some("app.min.js"));
        let mut functions: Vec<Function> = Vec::new();
        let mut contents: Vec<String> = Vec::with_capacity(SOURCES);
        let mut paths: Vec<String> = Vec::with_capacity(SOURCES);
        let mut taken = HashSet::new();
        let mut next_identifier = 54; // two characters and up: one-letter names are locals
        for s in 0..SOURCES {
            let area = AREAS[s % AREAS.len()];
            let word = WORDS[(s * 7 + s / AREAS.len()) % WORDS.len()];
            let verb = VERBS[(s * 5 + 3) % VERBS.len()];
            let path = format!("src/{area}/{word}{}{s}.js", capitalize(verb));
            let source = builder.add_source(&format!("../{path}"));
            paths.push(path.clone());
            let text = format!(
                "// {path}: {area} helpers.\n\nconst LIMIT = {};\n\n",
                rng.range(1_000, 100_000)
            );
            let mut line = 4u32;
            for _ in 0..rng.range(FUNCTIONS_PER_SOURCE.0, FUNCTIONS_PER_SOURCE.1) {
                let mut name = format!(
                    "{}{}{}",
                    VERBS[rng.range(0, VERBS.len() as u64) as usize],
                    capitalize(WORDS[rng.range(0, WORDS.len() as u64) as usize]),
                    NOUNS[rng.range(0, NOUNS.len() as u64) as usize]
                );
                if !taken.insert(name.clone()) {
                    name = format!("{name}{}", functions.len());
                    taken.insert(name.clone());
                }
                let minified = loop {
                    let candidate = identifier(next_identifier);
                    next_identifier += 1;
                    if !RESERVED.contains(&candidate.as_str()) {
                        break candidate;
                    }
                };
                let pick = |rng: &mut Rng, list: &[&'static str]| {
                    list[rng.range(0, list.len() as u64) as usize]
                };
                let function = Function {
                    source,
                    decl_line: line,
                    name,
                    minified,
                    p1: pick(&mut rng, &FIRST_PARAMS),
                    p2: pick(&mut rng, &SECOND_PARAMS),
                    list: pick(&mut rng, &LISTS),
                    sum: pick(&mut rng, &SUMS),
                    field: pick(&mut rng, &FIELDS),
                    thrown: pick(&mut rng, &THROWN),
                    limit: rng.range(1_000, 100_000),
                };
                line += 12;
                functions.push(function);
            }
            contents.push(text);
        }
        // Who calls whom: random, except the chain the frames walk down.
        let n = functions.len();
        let mut callees: Vec<usize> = (0..n)
            .map(|i| (i + 1 + rng.range(0, n as u64 - 1) as usize) % n)
            .collect();
        let mut chain: Vec<usize> = Vec::with_capacity(FRAMES);
        while chain.len() < FRAMES {
            let candidate = rng.range(0, n as u64) as usize;
            if !chain.contains(&candidate) {
                chain.push(candidate);
            }
        }
        for pair in chain.windows(2) {
            callees[pair[0]] = pair[1];
        }

        // The original text of every function.
        for (i, f) in functions.iter().enumerate() {
            let callee = &functions[callees[i]].name;
            let Function {
                name,
                p1,
                p2,
                list,
                sum,
                field,
                thrown,
                ..
            } = f;
            let text = &mut contents[f.source as usize];
            text.push_str(&format!(
                "export function {name}({p1}, {p2}) {{\n  const {list} = {p1}.{field} ?? [];\n  let {sum} = 0;\n  for (const item of {list}) {{\n    {sum} += {callee}(item, {p2});\n  }}\n  if ({sum} > LIMIT) {{\n    throw new {thrown}(`{name}: {sum} over the limit for ${{{p1}.id}}`);\n  }}\n  return {sum};\n}}\n\n"
            ));
        }
        for (source, text) in contents.iter().enumerate() {
            builder.set_source_contents(source as u32, Some(text));
        }

        // The minified file, mapped token by token. First what `sentry-cli sourcemaps
        // inject` puts in front.
        let mut out = Minified {
            text: format!(
                "!function(){{try{{var e=\"undefined\"!=typeof window?window:\"undefined\"!=typeof global?global:\"undefined\"!=typeof globalThis?globalThis:\"undefined\"!=typeof self?self:{{}},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{{}},e._sentryDebugIds[n]=\"{debug_id}\",e._sentryDebugIdIdentifier=\"sentry-dbid-{debug_id}\")}}catch(e){{}}}}();"
            ),
            line: 0,
            line_start: 0,
        };
        let mut tokens = 0usize;
        let mut frames = vec![None; FRAMES];
        let per_line = n.div_ceil(MINIFIED_LINES);
        for (i, f) in functions.iter().enumerate() {
            if i > 0 && i % per_line == 0 {
                out.newline();
            }
            let callee = &functions[callees[i]];
            let l = f.decl_line;
            let p1_col = 16 + f.name.len() as u32 + 1;
            let p2_col = p1_col + f.p1.len() as u32 + 2;
            let list_p1_col = 8 + f.list.len() as u32 + 3;
            let callee_col = 4 + f.sum.len() as u32 + 4;
            let to = |line, column, name| Some(Mapping { line, column, name });
            // In the order written: each piece of the minified text, and where in the
            // original its token points (the same statements as the original text).
            let pieces = [
                ("function".to_owned(), to(l, 7, None)),
                (" ".into(), None),
                (f.minified.clone(), to(l, 16, Some(&f.name))),
                ("(".into(), None),
                ("a".into(), to(l, p1_col, Some(f.p1))),
                (",".into(), None),
                ("b".into(), to(l, p2_col, Some(f.p2))),
                ("){".into(), None),
                ("const".into(), to(l + 1, 2, None)),
                (" ".into(), None),
                ("c".into(), to(l + 1, 8, Some(f.list))),
                ("=".into(), None),
                ("a".into(), to(l + 1, list_p1_col, Some(f.p1))),
                (format!(".{}??[];", f.field), None),
                ("let".into(), to(l + 2, 2, None)),
                (" ".into(), None),
                ("d".into(), to(l + 2, 6, Some(f.sum))),
                ("=0;".into(), None),
                ("for".into(), to(l + 3, 2, None)),
                ("(const e of c)".into(), None),
                ("d".into(), to(l + 4, 4, Some(f.sum))),
                ("+=".into(), None),
                (
                    callee.minified.clone(),
                    to(l + 4, callee_col, Some(&callee.name)),
                ),
                ("(e,b);".into(), None),
                ("if".into(), to(l + 6, 2, None)),
                (format!("(d>{})", f.limit), None),
                ("throw".into(), to(l + 7, 4, None)),
                (
                    format!(
                        " new {}(`{}: {} over the limit for ${{a.id}}`);",
                        f.thrown, f.name, f.sum
                    ),
                    None,
                ),
                ("return".into(), to(l + 9, 2, None)),
                (" d}".into(), None),
            ];
            // Where this function's frame points, if it is in the chain: at the call of
            // the next function of the chain, the newest frame at its `throw`.
            let frame = chain.iter().position(|&c| c == i);
            let frame_at = match frame {
                Some(k) if k + 1 == FRAMES => Some("throw"),
                Some(_) => Some(callee.minified.as_str()),
                None => None,
            };
            for (text, mapping) in &pieces {
                if let Some(Mapping { line, column, name }) = *mapping {
                    let name = name.map(|name| builder.add_name(name));
                    let at = (out.line, out.column());
                    builder.add_raw(at.0, at.1, line, column, Some(f.source), name, false);
                    tokens += 1;
                    if let (Some(k), Some(frame_at)) = (frame, frame_at) {
                        if text == frame_at && frames[k].is_none() {
                            frames[k] = Some(FramePosition {
                                line: at.0 + 1,
                                column: at.1 + 1,
                                function: f.minified.clone(),
                                original_file: paths[f.source as usize].clone(),
                                original_line: line + 1,
                                original_function: f.name.clone(),
                            });
                        }
                    }
                }
                out.text.push_str(text);
            }
        }
        out.newline();
        out.text.push_str(&format!(
            "//# debugId={debug_id}\n//# sourceMappingURL=app.min.js.map\n"
        ));
        let map = builder.into_sourcemap();
        let names = map.get_name_count() as usize;
        let mut serialized = Vec::new();
        map.to_writer(&mut serialized)
            .expect("a source map serializes");
        // What `sentry-cli sourcemaps inject` adds to the map.
        let mut value: Value = serde_json::from_slice(&serialized).expect("the map is JSON");
        value["debug_id"] = json!(debug_id);
        let serialized = serde_json::to_vec(&value).expect("JSON");
        App {
            minified: out.text,
            map: serialized,
            debug_id,
            bundle_id,
            sources: SOURCES,
            functions: n,
            tokens,
            names,
            frames: frames
                .into_iter()
                .map(|f| f.expect("every frame of the chain is placed"))
                .collect(),
            source_files: paths.into_iter().collect(),
        }
    }

    /// The artifact bundle sentry-cli would build: the two files and `manifest.json`.
    pub fn bundle(&self) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let files = [
            ("files/_/_/app.min.js", self.minified.as_bytes()),
            ("files/_/_/app.min.js.map", self.map.as_slice()),
        ];
        for (path, bytes) in files {
            zip.start_file(path, options).expect("zip in memory");
            zip.write_all(bytes).expect("zip in memory");
        }
        let manifest = json!({
            "files": {
                "files/_/_/app.min.js": {
                    "url": "~/app.min.js", "type": "minified_source",
                    "headers": {"debug-id": self.debug_id, "sourcemap": "app.min.js.map"},
                },
                "files/_/_/app.min.js.map": {
                    "url": "~/app.min.js.map", "type": "source_map",
                    "headers": {"debug-id": self.debug_id},
                },
            },
            "debug_id": self.bundle_id,
            "org": "bench",
        });
        zip.start_file("manifest.json", options)
            .expect("zip in memory");
        zip.write_all(manifest.to_string().as_bytes())
            .expect("zip in memory");
        zip.finish().expect("zip in memory").into_inner()
    }

    /// The events: `K` groups (each its own error type, so its own issue) of
    /// `VARIANTS` variants, @sentry/node's shape, every one with the same 30 frames.
    pub fn templates(&self) -> Templates {
        let groups = (0..K)
            .map(|g| {
                (0..VARIANTS)
                    .map(|v| self.event(g, v).to_string())
                    .collect()
            })
            .collect();
        Templates::from_groups(groups, SDK)
    }

    fn event(&self, g: usize, v: usize) -> Value {
        let mut rng = Rng::new(SEED ^ ((g as u64) * 1_000_003 + v as u64));
        let code = letters(g);
        let w = WORDS[g % WORDS.len()];
        let verb = VERBS[g % VERBS.len()];
        let error_type = match JS_ERRORS.get(g) {
            Some(t) => (*t).to_owned(),
            None => format!("{}{}Error", capitalize(w), capitalize(&code)),
        };
        let value = format!(
            "Cannot read properties of undefined (reading '{}_{code}')",
            WORDS[(g * 5) % WORDS.len()]
        );
        let frames: Vec<Value> = self
            .frames
            .iter()
            .map(|f| {
                json!({"filename": ABS_PATH, "module": "app.min", "function": f.function,
                       "lineno": f.line, "colno": f.column, "in_app": true})
            })
            .collect();
        let uid = rng.range(1, 50_000);
        let order = rng.range(1, 1_000_000);
        let path = format!("/api/{w}s/{order}/{verb}");
        let started = 1_780_000_000.0 + rng.range(0, 1_000_000) as f64;
        let region = ["eu-west-1", "us-east-1", "ap-south-1"][g % 3];
        let tier = ["gold", "silver"][(uid % 2) as usize];
        let mut crumbs = Vec::new();
        for b in 0..12u64 {
            let at = started + b as f64 * 0.137;
            crumbs.push(match b % 3 {
                0 => json!({"timestamp": at, "category": "console", "level": "log",
                    "message": format!("[{w}] {verb} {order} for user {uid}"),
                    "data": {"logger": "console", "arguments": [format!("[{w}]"), verb, order]}}),
                1 => json!({"timestamp": at, "type": "http", "category": "http", "level": "info",
                    "data": {"url": format!("http://inventory.internal:8080/v1/stock/{}", rng.range(0, 100_000)),
                        "http.method": "GET", "status_code": 200}}),
                _ => json!({"timestamp": at, "category": "query", "level": "info",
                    "message": format!("SELECT * FROM \"{w}s\" WHERE \"id\" = $1 LIMIT 1 /* {} */", rng.range(0, 1_000_000))}),
            });
        }
        json!({
            "exception": {"values": [{
                "type": error_type, "value": value,
                "stacktrace": {"frames": frames},
                "mechanism": {"type": "auto.middleware.express", "handled": false},
            }]},
            "debug_meta": {"images": [
                {"type": "sourcemap", "code_file": ABS_PATH, "debug_id": self.debug_id},
            ]},
            "event_id": EVENT_ID_PH,
            "timestamp": TS_PH,
            "level": "error",
            "platform": "node",
            "server_name": "web-3",
            "release": SDK.release,
            "environment": "production",
            "transaction": format!("POST /api/{w}s/:id/{verb}"),
            "contexts": {
                "trace": {"trace_id": rng.hex128(), "span_id": format!("{:016x}", rng.next()),
                    "op": "http.server", "status": "internal_error", "origin": "auto.http.otel.http",
                    "data": {"http.method": "POST", "http.route": format!("/api/{w}s/:id/{verb}")}},
                "runtime": {"name": "node", "version": "v22.12.0"},
                "app": {"app_start_time": "2026-12-01T08:00:00.000Z", "app_memory": rng.range(80_000_000, 200_000_000)},
                "os": {"kernel_version": "6.1.0-18-amd64", "name": "Linux", "version": "6.1.0"},
                "device": {"boot_time": "2026-11-30T07:12:00.000Z", "arch": "x64",
                    "memory_size": 8_317_059_072u64, "free_memory": rng.range(1_000_000_000, 4_000_000_000),
                    "processor_count": 2, "cpu_description": "Intel(R) Xeon(R) Processor", "processor_frequency": 2600},
                "culture": {"locale": "en-US", "timezone": "UTC"},
                "cloud_resource": {},
            },
            "request": {
                "method": "POST", "url": format!("https://shop.example.com{path}"),
                "query_string": format!("page={}", rng.range(1, 9)),
                "headers": {"host": "shop.example.com", "content-type": "application/json",
                    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                    "x-request-id": rng.hex128(), "x-forwarded-for": format!("203.0.113.{}", uid % 250)},
            },
            "user": {"id": uid.to_string(), "email": format!("user{uid}@example.com"),
                "ip_address": format!("203.0.113.{}", uid % 250)},
            "tags": {"region": region, "customer_tier": tier},
            "breadcrumbs": crumbs,
            "sdk": {"name": SDK.name, "version": SDK.version,
                "integrations": ["InboundFilters", "FunctionToString", "LinkedErrors", "RequestData",
                    "Console", "Http", "NodeFetch", "OnUncaughtException", "OnUnhandledRejection",
                    "ContextLines", "LocalVariables", "Context", "Modules", "Express"],
                "packages": [{"name": "npm:@sentry/node", "version": SDK.version}]},
            "modules": MODULES
                .iter()
                .map(|(name, version)| ((*name).to_owned(), json!(version)))
                .collect::<serde_json::Map<String, Value>>(),
        })
    }
}

fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

/// How the bundle went up.
pub struct Upload {
    pub bundle_bytes: usize,
    pub chunks: usize,
    pub gzip: bool,
    pub seconds: f64,
}

/// Why there is no row.
pub enum Outcome {
    /// This server cannot take the upload (an older build): no row.
    Skipped(String),
    /// Something did not work, frames unresolved above all: the run fails at the end.
    Failed(String),
    Done(Box<JsRun>),
}

/// The phase's figures and what they were measured on.
pub struct JsRun {
    pub run: IngestRun,
    pub minified_bytes: usize,
    pub map_bytes: usize,
    pub sources: usize,
    pub functions: usize,
    pub tokens: usize,
    pub names: usize,
    pub upload: Upload,
    /// Frames of the checked event whose function came back with its original name.
    pub functions_named: usize,
    /// Accept latency of the checked event (the server parsed the map for it).
    pub first_accept_ms: f64,
}

impl JsRun {
    /// The row's name: `ingest K=50 source-mapped JS (30 frames, 1.0 MB map)`.
    pub fn label(&self) -> String {
        format!(
            "ingest K=50 source-mapped JS ({FRAMES} frames, {:.1} MB map)",
            self.map_bytes as f64 / 1e6
        )
    }

    pub fn describe(&self) -> String {
        format!(
            "source-mapped JS: @sentry/node-shaped events (~{:.0} B JSON, ~{:.0} B gzip envelope), {K} error types, each an exception of {FRAMES} frames into a minified file of {} KB on {MINIFIED_LINES} lines, resolved by debug id through a {} KB source map ({} sources with sourcesContent, {} functions, {} tokens, {} names); bundle of {} KB uploaded in {} chunk(s){} through chunk-upload/ and artifactbundle/assemble/ in {:.2} s; one event sent first came back with every frame resolved ({} of {FRAMES} functions named as in the source; accepted in {:.1} ms, the server parsing the map) and left the map in the server's cache",
            self.run.json_bytes_avg,
            self.run.request_bytes_avg,
            self.minified_bytes / 1000,
            self.map_bytes / 1000,
            self.sources,
            self.functions,
            self.tokens,
            self.names,
            self.upload.bundle_bytes / 1000,
            self.upload.chunks,
            if self.upload.gzip { ", gzip" } else { "" },
            self.upload.seconds,
            self.functions_named,
            self.first_accept_ms,
        )
    }
}

/// Generates the app, uploads its bundle for `project`, checks one event, then
/// measures `n` events as the plain K=50 row does.
pub async fn run(
    args: &Args,
    srv: &Server,
    pool: &PgPool,
    api: &Api,
    project: &Project,
    n: usize,
) -> Outcome {
    log("source-mapped JS: generating the app and its source map");
    let app = App::generate();
    log(format!(
        "source-mapped JS: {} sources, {} functions, {} tokens; minified {} KB, map {} KB",
        app.sources,
        app.functions,
        app.tokens,
        app.minified.len() / 1000,
        app.map.len() / 1000
    ));
    let upload = match upload(api, &project.slug, &app.bundle()).await {
        Ok(Some(upload)) => upload,
        Ok(None) => {
            let why = "this server has no chunk-upload endpoint".to_owned();
            log(format!("source-mapped JS row skipped: {why}"));
            return Outcome::Skipped(why);
        }
        Err(error) => return failed(format!("the bundle upload failed: {error:#}")),
    };
    log(format!(
        "source-mapped JS: bundle of {} KB uploaded in {:.2} s",
        upload.bundle_bytes / 1000,
        upload.seconds
    ));
    let templates = app.templates();
    let (functions_named, first_accept_ms) =
        match check(args, srv, pool, api, project, &app, &templates).await {
            Ok(checked) => checked,
            Err(error) => return failed(format!("{error:#}")),
        };
    let phase = Phase {
        label: "ingest K=50 source-mapped JS".into(),
        templates,
        n,
        caught_up: None,
    };
    match ingest::run_phase(args, srv, pool, project, &phase).await {
        Ok(run) => Outcome::Done(Box::new(JsRun {
            run,
            minified_bytes: app.minified.len(),
            map_bytes: app.map.len(),
            sources: app.sources,
            functions: app.functions,
            tokens: app.tokens,
            names: app.names,
            upload,
            functions_named,
            first_accept_ms,
        })),
        Err(error) => failed(format!("the measured run failed: {error:#}")),
    }
}

fn failed(why: String) -> Outcome {
    log(format!("ERROR: source-mapped JS phase FAILED: {why}"));
    Outcome::Failed(why)
}

/// `url` as the bench reaches it: the server advertises its public URL, which need
/// not be the address it listens on here.
fn on_server(api: &Api, url: &str) -> String {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    };
    format!("{}{path}", api.base)
}

/// Uploads `bundle` as sentry-cli does; `None` if the server has no such endpoint.
async fn upload(api: &Api, project: &str, bundle: &[u8]) -> anyhow::Result<Option<Upload>> {
    let started = Instant::now();
    let response = api
        .get("/api/0/organizations/bench/chunk-upload/")
        .send()
        .await?;
    if response.status() == reqwest::StatusCode::NOT_FOUND
        || response.status() == reqwest::StatusCode::METHOD_NOT_ALLOWED
    {
        return Ok(None);
    }
    let status = response.status();
    let options: Value = serde_json::from_str(&response.text().await?)
        .with_context(|| format!("chunk-upload options ({status})"))?;
    if !status.is_success() {
        bail!("GET chunk-upload/: {status} {options}");
    }
    let url = on_server(api, options["url"].as_str().context("no upload url")?);
    let chunk_size = options["chunkSize"].as_u64().context("no chunkSize")? as usize;
    let per_request = options["chunksPerRequest"].as_u64().unwrap_or(1).max(1) as usize;
    let gzip = options["compression"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c == "gzip"));
    let chunks: Vec<&[u8]> = bundle.chunks(chunk_size.max(1)).collect();
    let checksums: Vec<String> = chunks.iter().map(|c| sha1_hex(c)).collect();
    let assemble = json!({
        "checksum": sha1_hex(bundle),
        "chunks": checksums,
        "projects": [project],
    });
    let path = "/api/0/organizations/bench/artifactbundle/assemble/";
    let first = api.post(path, assemble.clone()).await?;
    let missing: HashSet<&str> = first["missingChunks"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let to_send: Vec<(&[u8], &String)> = chunks
        .iter()
        .zip(&checksums)
        .filter(|(_, sum)| missing.contains(sum.as_str()))
        .map(|(c, s)| (*c, s))
        .collect();
    for batch in to_send.chunks(per_request) {
        let mut form = reqwest::multipart::Form::new();
        for (chunk, checksum) in batch {
            let (name, bytes) = if gzip {
                ("file_gzip", payload::gzip(chunk))
            } else {
                ("file", chunk.to_vec())
            };
            form = form.part(
                name,
                reqwest::multipart::Part::bytes(bytes).file_name((*checksum).clone()),
            );
        }
        let response = api
            .request(reqwest::Method::POST, &url)
            .multipart(form)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            bail!("POST chunk-upload/: {status} {}", response.text().await?);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = api.post(path, assemble.clone()).await?;
        match answer["state"].as_str() {
            Some("ok") => break,
            Some("created" | "assembling") if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            _ => bail!("assemble answered {answer}"),
        }
    }
    Ok(Some(Upload {
        bundle_bytes: bundle.len(),
        chunks: chunks.len(),
        gzip,
        seconds: started.elapsed().as_secs_f64(),
    }))
}

/// Sends event 0 of `templates`, waits until the issue read model counts it, reads it
/// back through the API and checks that every frame was resolved through the map.
/// Returns how many functions came back with their original name, and the event's
/// accept latency.
async fn check(
    args: &Args,
    srv: &Server,
    pool: &PgPool,
    api: &Api,
    project: &Project,
    app: &App,
    templates: &Templates,
) -> anyhow::Result<(usize, f64)> {
    let marks = load::marks(pool, project.id).await?;
    let (event_id, json) = templates.render(0);
    let envelope = payload::envelope_of(&event_id, &json, &project.public_key, &templates.sdk);
    let body = Bytes::from(payload::gzip(&envelope));
    let make: load::Maker = Arc::new(move |_| load::Body {
        event_id: event_id.clone(),
        bytes: body.clone(),
    });
    let options = LoadOptions {
        concurrency: 1,
        retry_overload: true,
        sample_every: 1,
        gzip: true,
        progress: None,
    };
    let (result, start) = load::run(&srv.url, project, 1, make, &options).await;
    if result.accepted != 1 {
        bail!(
            "the check event was not accepted: statuses {:?}",
            result.status
        );
    }
    let first_accept_ms = result.latencies_ms.first().copied().unwrap_or_default();
    let event_id = result.sampled_ids[0].clone();
    let timeout = Duration::from_secs(args.visible_timeout.min(120));
    let visible = load::wait_visible(pool, &marks, &result, start, timeout).await?;
    if visible.after_s.is_none() {
        bail!("the check event {event_id} never became visible");
    }
    let path = format!("/api/0/projects/bench/{}/events/{event_id}/", project.slug);
    let deadline = Instant::now() + Duration::from_secs(30);
    let event = loop {
        match api.get_json(&path).await {
            Ok(event) => break event,
            Err(error) if Instant::now() >= deadline => {
                return Err(error.context("reading the check event back"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let frames = event["entries"]
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["type"] == "exception"))
        .and_then(|e| e["data"]["values"][0]["stacktrace"]["frames"].as_array())
        .cloned()
        .unwrap_or_default();
    let errors = &event["errors"];
    if frames.len() != FRAMES {
        bail!(
            "the check event {event_id} came back with {} frames, not {FRAMES}; errors {errors}",
            frames.len()
        );
    }
    let mut unresolved = Vec::new();
    let mut named = 0;
    for (frame, expected) in frames.iter().zip(&app.frames) {
        let filename = frame["filename"].as_str().unwrap_or_default();
        let symbolicated = frame["data"]["symbolicated"] == json!(true);
        if !symbolicated || !app.source_files.contains(filename) {
            unresolved.push(format!(
                "{}:{}:{} came back as {filename}:{} ({})",
                ABS_PATH, expected.line, expected.column, frame["lineNo"], frame["data"]
            ));
            continue;
        }
        if filename != expected.original_file || frame["lineNo"] != json!(expected.original_line) {
            unresolved.push(format!(
                "{}:{}:{} resolved to {filename}:{}, not {}:{}",
                ABS_PATH,
                expected.line,
                expected.column,
                frame["lineNo"],
                expected.original_file,
                expected.original_line
            ));
        }
        if frame["function"].as_str() == Some(expected.original_function.as_str()) {
            named += 1;
        }
    }
    if !unresolved.is_empty() {
        bail!(
            "{} of {FRAMES} frames of the check event {event_id} were not resolved through the source map, e.g. {}; the event's errors: {errors}",
            unresolved.len(),
            unresolved[0]
        );
    }
    let newest = &frames[FRAMES - 1];
    log(format!(
        "source-mapped JS: the check event's {FRAMES} frames came back resolved ({named} with their original function name), e.g. {ABS_PATH}:{}:{} -> {}:{} in {}",
        app.frames[FRAMES - 1].line,
        app.frames[FRAMES - 1].column,
        newest["filename"].as_str().unwrap_or_default(),
        newest["lineNo"],
        newest["function"].as_str().unwrap_or_default(),
    ));
    Ok((named, first_accept_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_unique_and_grow() {
        assert_eq!(identifier(0), "a");
        assert_eq!(identifier(53), "_");
        assert_eq!(identifier(54).len(), 2);
        let all: HashSet<String> = (0..10_000).map(identifier).collect();
        assert_eq!(all.len(), 10_000);
    }

    #[test]
    fn the_app_is_the_same_every_time_and_its_frames_resolve_locally() {
        let app = App::generate();
        assert_eq!(app.map, App::generate().map);
        assert!(
            (900_000..1_100_000).contains(&app.map.len()),
            "map of {} bytes",
            app.map.len()
        );
        assert_eq!(app.minified.lines().count(), MINIFIED_LINES + 2);
        let map = sourcemap::SourceMap::from_slice(&app.map).unwrap();
        let view = sourcemap::SourceView::from_string(app.minified.clone());
        for frame in &app.frames {
            let token = map.lookup_token(frame.line - 1, frame.column - 1).unwrap();
            assert_eq!(token.get_dst_line(), frame.line - 1);
            assert_eq!(token.get_dst_col(), frame.column - 1);
            assert_eq!(
                token.get_source().unwrap(),
                format!("../{}", frame.original_file)
            );
            assert_eq!(token.get_src_line() + 1, frame.original_line);
            let source = map
                .get_source_contents(token.get_src_id())
                .unwrap()
                .lines()
                .nth(token.get_src_line() as usize)
                .unwrap();
            assert!(source.starts_with("    "), "{source}");
            assert_eq!(
                map.get_original_function_name(
                    frame.line - 1,
                    frame.column - 1,
                    &frame.function,
                    &view
                ),
                Some(frame.original_function.as_str())
            );
        }
    }

    #[test]
    fn the_events_are_node_errors_with_the_debug_image() {
        let app = App::generate();
        let templates = app.templates();
        assert_eq!(templates.k(), K);
        let (_, body) = templates.render(7);
        assert!((6_000..14_000).contains(&body.len()), "{}", body.len());
        let event: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(event["platform"], "node");
        assert_eq!(
            event["exception"]["values"][0]["stacktrace"]["frames"]
                .as_array()
                .unwrap()
                .len(),
            FRAMES
        );
        assert_eq!(event["debug_meta"]["images"][0]["code_file"], ABS_PATH);
        let bundle = app.bundle();
        let mut zip = zip::ZipArchive::new(Cursor::new(bundle)).unwrap();
        assert!(zip.by_name("manifest.json").is_ok());
    }
}
