//! Sentry-python shaped events, ported from `../shared/tools/loadgen.py`.
//!
//! Event `i` belongs to group `i % K`. Every group has its own exception type, message
//! (letters only) and function / module / file names in every frame, so that type+value
//! groupers and stacktrace groupers both yield exactly K issues. Per-event variation
//! (event id, timestamp, user, vars, breadcrumbs) never changes the grouping.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Map, Value};

pub const SDK_NAME: &str = "sentry.python.django";
pub const SDK_VERSION: &str = "2.75.0";
pub const USER_AGENT: &str = "sentry.python/2.75.0";

/// Placeholders patched per event (same idea as loadgen.py's `bytes.replace`).
pub const EVENT_ID_PH: &str = "EVENTIDPLACEHOLDER00000000000000";
pub const TS_PH: &str = "TIMESTAMPPLACEHOLDER0000000000Z";

const EXC_TYPES: [(&str, &str); 12] = [
    ("KeyError", "builtins"),
    ("ValueError", "builtins"),
    ("TypeError", "builtins"),
    ("AttributeError", "builtins"),
    ("IndexError", "builtins"),
    ("ZeroDivisionError", "builtins"),
    ("IntegrityError", "django.db.utils"),
    ("DoesNotExist", "shop.models.Order"),
    ("ValidationError", "django.core.exceptions"),
    ("ConnectionError", "requests.exceptions"),
    ("TimeoutError", "builtins"),
    ("PermissionDenied", "django.core.exceptions"),
];
pub const WORDS: [&str; 27] = [
    "order",
    "cart",
    "invoice",
    "payment",
    "customer",
    "session",
    "shipment",
    "coupon",
    "refund",
    "catalog",
    "warehouse",
    "ledger",
    "account",
    "profile",
    "basket",
    "voucher",
    "tax",
    "price",
    "stock",
    "review",
    "search",
    "report",
    "export",
    "import",
    "webhook",
    "token",
    "mailer",
];
pub const VERBS: [&str; 16] = [
    "load",
    "save",
    "sync",
    "resolve",
    "compute",
    "render",
    "validate",
    "dispatch",
    "fetch",
    "apply",
    "merge",
    "lookup",
    "publish",
    "refresh",
    "parse",
    "serialize",
];

/// Which payload to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// ~0.5 KB: exception with 3 frames, no context lines.
    Small,
    /// ~10 KB: a Django view exception as sentry-python 2.x sends it.
    Realistic,
}

/// A small deterministic generator (SplitMix64): payloads are reproducible per
/// (group, variant), like loadgen.py's seeded `random.Random`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform-ish in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
    pub fn hex128(&mut self) -> String {
        format!("{:016x}{:016x}", self.next(), self.next())
    }
}

/// 0 -> "a", 25 -> "z", 26 -> "ba", ... (letters only).
pub fn letters(mut n: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn frames(fp: usize, rng: &mut Rng, n_frames: usize, with_context: bool) -> Vec<Value> {
    let code = letters(fp);
    // Outer (library) frames first: Sentry orders frames oldest to newest.
    let lib_frames = [
        (
            "django/core/handlers/exception.py",
            "django.core.handlers.exception",
            "inner",
            55,
            "response = get_response(request)",
        ),
        (
            "django/core/handlers/base.py",
            "django.core.handlers.base",
            "_get_response",
            197,
            "response = wrapped_callback(request, *callback_args, **callback_kwargs)",
        ),
        (
            "django/views/generic/base.py",
            "django.views.generic.base",
            "view",
            104,
            "return self.dispatch(request, *args, **kwargs)",
        ),
        (
            "django/views/generic/base.py",
            "django.views.generic.base",
            "dispatch",
            143,
            "return handler(request, *args, **kwargs)",
        ),
    ];
    let mut out = Vec::with_capacity(n_frames);
    for i in 0..n_frames {
        let (filename, abs_path, function, module, lineno, line, in_app);
        if i < lib_frames.len() && n_frames > 6 {
            let (f, m, func, l, text) = lib_frames[i];
            filename = f.to_owned();
            module = m.to_owned();
            function = func.to_owned();
            lineno = l;
            line = text.to_owned();
            in_app = false;
            abs_path = format!("/srv/app/venv/lib/python3.11/site-packages/{f}");
        } else {
            let w = WORDS[(fp * 7 + i) % WORDS.len()];
            let v = VERBS[(fp * 3 + i) % VERBS.len()];
            module = format!("shop.{w}s_{code}.{v}");
            filename = format!("shop/{w}s_{code}/{v}.py");
            function = format!("{v}_{w}_{code}_{i}");
            lineno = 20 + (fp * 13 + i * 7) % 400;
            line = format!(
                "result = {}_{w}(ctx, item_id)",
                VERBS[(i + 1) % VERBS.len()]
            );
            in_app = true;
            abs_path = format!("/srv/app/{filename}");
        }
        let mut f = Map::new();
        f.insert("filename".into(), json!(filename));
        f.insert("abs_path".into(), json!(abs_path));
        f.insert("function".into(), json!(function));
        f.insert("module".into(), json!(module));
        f.insert("lineno".into(), json!(lineno));
        if with_context {
            f.insert(
                "pre_context".into(),
                json!(["    item = repo.get(item_id)"]),
            );
            f.insert("context_line".into(), json!(format!("    {line}")));
            f.insert("post_context".into(), json!(["    return result"]));
            if i + 2 >= n_frames {
                let item = if i == n_frames - 1 {
                    "None".to_owned()
                } else {
                    format!("<Item: {}>", rng.range(0, 100_000))
                };
                f.insert(
                    "vars".into(),
                    json!({
                        "ctx": format!("{{'request_id': '{}', 'retry': {}}}", rng.hex128(), rng.range(0, 3)),
                        "item_id": rng.range(1, 1_000_000).to_string(),
                        "item": item,
                    }),
                );
            }
        }
        f.insert("in_app".into(), json!(in_app));
        out.push(Value::Object(f));
    }
    out
}

/// One event of group `fp` with placeholder event id and timestamp.
pub fn build_event(fp: usize, variant: usize, size: Size) -> Value {
    let mut rng = Rng::new((fp as u64) * 1_000_003 + variant as u64);
    let code = letters(fp);
    let (base_type, emod) = EXC_TYPES[fp % EXC_TYPES.len()];
    let etype = if fp >= EXC_TYPES.len() {
        format!("{base_type}{}", capitalize(&code))
    } else {
        base_type.to_owned()
    };
    let w = WORDS[fp % WORDS.len()];
    let verb = VERBS[fp % VERBS.len()];
    let value = format!(
        "could not {verb} '{w}_{code}': missing field '{}'",
        WORDS[(fp * 5) % WORDS.len()]
    );

    if size == Size::Small {
        return json!({
            "event_id": EVENT_ID_PH, "timestamp": TS_PH, "platform": "python", "level": "error",
            "exception": {"values": [{"type": etype, "value": value, "module": emod,
                "mechanism": {"type": "generic", "handled": true},
                "stacktrace": {"frames": frames(fp, &mut rng, 3, false)}}]},
            "sdk": {"name": SDK_NAME, "version": SDK_VERSION},
        });
    }

    let frames = frames(fp, &mut rng, 20, true);
    let uid = rng.range(1, 50_000);
    let url_path = format!("/api/v2/{w}s/{}/{verb}/", rng.range(1, 1_000_000));
    let transaction = format!("/api/v2/{w}s/{{id}}/{verb}/");
    let mut crumbs = Vec::new();
    for b in 0..6 {
        crumbs.push(match b % 3 {
            0 => json!({"type": "default", "category": "query", "level": "info", "timestamp": TS_PH,
                "message": format!("SELECT \"shop_{w}\".\"id\", \"shop_{w}\".\"status\" FROM \"shop_{w}\" WHERE \"shop_{w}\".\"id\" = %s LIMIT 21"),
                "data": {"db.params": [rng.range(0, 1_000_000).to_string()], "db.executemany": false}}),
            1 => json!({"type": "http", "category": "httplib", "level": "info", "timestamp": TS_PH,
                "data": {"url": format!("http://inventory.internal:8080/v1/stock/{}", rng.range(0, 100_000)),
                    "method": "GET", "status_code": 200, "reason": "OK"}}),
            _ => json!({"type": "log", "category": format!("shop.{w}s"), "level": "warning", "timestamp": TS_PH,
                "message": format!("slow {w} lookup took {}ms (request {uid})", rng.range(100, 900))}),
        });
    }
    let mut exception = json!({
        "mechanism": {"type": "django", "handled": false},
        "type": etype, "value": value,
        "stacktrace": {"frames": frames},
    });
    if emod != "builtins" {
        exception["module"] = json!(emod);
    }
    let region = ["eu-west-1", "us-east-1", "ap-south-1"][fp % 3];
    let tier = ["gold", "silver"][(uid % 2) as usize];
    json!({
        "level": "error",
        "exception": {"values": [exception]},
        "event_id": EVENT_ID_PH,
        "timestamp": TS_PH,
        "contexts": {
            "trace": {"trace_id": rng.hex128(), "span_id": format!("{:016x}", rng.next()),
                "parent_span_id": null, "op": "http.server", "status": "internal_error"},
            "runtime": {"name": "CPython", "version": "3.11.7",
                "build": "3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]"},
            "os": {"name": "Linux", "version": "6.1.0-18-amd64"},
        },
        "user": {"id": uid.to_string(), "email": format!("user{uid}@example.com"),
            "ip_address": format!("10.0.{}.{}", uid % 256, uid / 256 % 256), "username": format!("user{uid}")},
        "transaction": transaction,
        "transaction_info": {"source": "route"},
        "tags": {"region": region, "customer_tier": tier,
            "handler": format!("shop.{w}s_{code}.views"), "browser": "Chrome 126.0", "os.name": "Linux"},
        "extra": {"sys.argv": ["/srv/app/venv/bin/gunicorn", "shop.wsgi"], "queue_depth": rng.range(0, 100)},
        "request": {
            "url": format!("https://shop.example.com{url_path}"), "method": "POST",
            "query_string": format!("page={}&expand=items", rng.range(1, 9)),
            "headers": {"Host": "shop.example.com",
                "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                "Accept": "application/json", "Content-Type": "application/json",
                "X-Request-Id": rng.hex128(), "X-Forwarded-For": format!("203.0.113.{}", uid % 250),
                "Content-Length": rng.range(50, 900).to_string()},
            "env": {"SERVER_NAME": "web-7", "SERVER_PORT": "8000", "REMOTE_ADDR": format!("203.0.113.{}", uid % 250)},
            "data": {"quantity": rng.range(1, 5), "sku": format!("SKU-{}", rng.range(0, 1_000_000)), "note": "[Filtered]"},
        },
        "breadcrumbs": {"values": crumbs},
        "release": "shop-api@1.4.2",
        "environment": "production",
        "server_name": "web-7",
        "sdk": {"name": SDK_NAME, "version": SDK_VERSION,
            "packages": [{"name": "pypi:sentry-sdk", "version": SDK_VERSION}],
            "integrations": ["argv", "atexit", "dedupe", "django", "excepthook", "logging", "modules", "stdlib", "threading"]},
        "platform": "python",
        "modules": {"django": "5.2.19", "sentry-sdk": SDK_VERSION, "requests": "2.34.2", "urllib3": "2.8.0",
            "psycopg": "3.2.3", "celery": "5.4.0", "redis": "5.2.1", "gunicorn": "26.2.0",
            "pyyaml": "6.0.4", "python-dateutil": "2.9.0.post0", "certifi": "2026.10.19.post1",
            "idna": "3.20", "charset-normalizer": "3.5.2", "sqlparse": "0.6.1", "asgiref": "3.13.0",
            "pip": "23.2.1", "setuptools": "65.5.0"},
    })
}

/// The SDK an envelope's header names, and the release of its trace.
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeSdk {
    pub name: &'static str,
    pub version: &'static str,
    pub release: &'static str,
}

/// What sentry-python sends in the envelope header of the realistic events.
pub const PYTHON_SDK: EnvelopeSdk = EnvelopeSdk {
    name: SDK_NAME,
    version: SDK_VERSION,
    release: "shop-api@1.4.2",
};

/// Pre-serialised events with placeholders: `variants` per group.
pub struct Templates {
    groups: Vec<Vec<String>>,
    /// Named in the header of each event's envelope.
    pub sdk: EnvelopeSdk,
}

impl Templates {
    pub fn build(k: usize, variants: usize, size: Size) -> Templates {
        let groups = (0..k)
            .map(|fp| {
                (0..variants)
                    .map(|v| build_event(fp, v, size).to_string())
                    .collect()
            })
            .collect();
        Templates {
            groups,
            sdk: PYTHON_SDK,
        }
    }

    /// Events made elsewhere: `groups[g][v]` is variant `v` of group `g`, serialized
    /// with [`EVENT_ID_PH`] and [`TS_PH`] where the event id and timestamps go.
    pub fn from_groups(groups: Vec<Vec<String>>, sdk: EnvelopeSdk) -> Templates {
        assert!(
            groups.iter().all(|g| !g.is_empty()) && !groups.is_empty(),
            "every group needs a variant"
        );
        Templates { groups, sdk }
    }

    /// Groups (issues) the events fall into.
    pub fn k(&self) -> usize {
        self.groups.len()
    }

    /// Event `i`'s JSON with a fresh id and timestamp; returns (event_id, json).
    pub fn render(&self, i: usize) -> (String, String) {
        let k = self.groups.len();
        let vs = &self.groups[i % k];
        let tpl = &vs[(i / k) % vs.len()];
        let event_id = uuid::Uuid::new_v4().simple().to_string();
        let ts = now_iso();
        let body = tpl.replace(EVENT_ID_PH, &event_id).replace(TS_PH, &ts);
        (event_id, body)
    }
}

pub fn now_iso() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The envelope an SDK sends for one event.
pub fn envelope(event_id: &str, event_json: &str, public_key: &str) -> Vec<u8> {
    envelope_of(event_id, event_json, public_key, &PYTHON_SDK)
}

/// The envelope `sdk` sends for one event.
pub fn envelope_of(
    event_id: &str,
    event_json: &str,
    public_key: &str,
    sdk: &EnvelopeSdk,
) -> Vec<u8> {
    let header = json!({
        "event_id": event_id,
        "sent_at": now_iso(),
        "sdk": {"name": sdk.name, "version": sdk.version},
        "trace": {"public_key": public_key, "environment": "production", "release": sdk.release},
    });
    let item =
        json!({"type": "event", "content_type": "application/json", "length": event_json.len()});
    let mut out = Vec::with_capacity(event_json.len() + 300);
    out.extend_from_slice(header.to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(item.to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(event_json.as_bytes());
    out.push(b'\n');
    out
}

/// Gzip at level 6, as sentry-python does.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 4), Compression::new(6));
    enc.write_all(data).expect("gzip to memory");
    enc.finish().expect("gzip to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_count_like_loadgen() {
        assert_eq!(letters(0), "a");
        assert_eq!(letters(25), "z");
        assert_eq!(letters(26), "ba");
    }

    #[test]
    fn a_realistic_event_is_about_ten_kilobytes_and_valid_json() {
        let t = Templates::build(3, 1, Size::Realistic);
        let (id, body) = t.render(1);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["event_id"], json!(id));
        assert_eq!(
            v["exception"]["values"][0]["stacktrace"]["frames"]
                .as_array()
                .unwrap()
                .len(),
            20
        );
        assert!((5_000..15_000).contains(&body.len()), "{}", body.len());
    }

    #[test]
    fn groups_differ_in_type_and_message() {
        let a = build_event(13, 0, Size::Small);
        let b = build_event(14, 0, Size::Small);
        assert_ne!(
            a["exception"]["values"][0]["type"],
            b["exception"]["values"][0]["type"]
        );
        assert_ne!(
            a["exception"]["values"][0]["value"],
            b["exception"]["values"][0]["value"]
        );
    }
}
