//! Spawning servers and databases for tests.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

/// The `faultline` binary built next to this test binary, or the one
/// `FAULTLINE_BIN` names: two checkouts that share a target dir overwrite each
/// other's `debug/faultline`, so each can test a copy of its own.
pub fn faultline_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("FAULTLINE_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let bin = dir.join("faultline");
    assert!(
        bin.is_file(),
        "build the binary first: cargo build --bin faultline"
    );
    bin
}

/// `relative` beside the repository (`<repo>/../relative`), where the workplace keeps
/// what is shared between projects (`shared/`). A clone made elsewhere (`git clone .
/// $(mktemp -d)`) looks beside the checkout it was cloned from.
pub fn beside_checkout(relative: &str) -> PathBuf {
    // CARGO_MANIFEST_DIR is <repo>/tests.
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let beside = |dir: &std::path::Path| dir.join("..").join(relative);
    if beside(&repo).exists() {
        return beside(&repo);
    }
    let origin = Command::new("git")
        .args(["config", "--get", "remote.origin.url"])
        .current_dir(&repo)
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|url| url.starts_with('/'));
    match origin {
        Some(origin) if beside(std::path::Path::new(&origin)).exists() => {
            beside(std::path::Path::new(&origin))
        }
        _ => beside(&repo),
    }
}

/// The admin connection options from `DATABASE_URL`.
fn admin_options() -> PgConnectOptions {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must be set: run the tests with scripts/test")
        .parse()
        .expect("DATABASE_URL parses")
}

/// A fresh, empty database; returns its URL and a pool on it.
pub async fn fresh_database() -> (String, PgPool) {
    let name = format!("faultline_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = admin_options()
        .connect()
        .await
        .expect("connect to DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let base = std::env::var("DATABASE_URL").unwrap();
    let url = with_database(&base, &name);
    let pool = PgPoolOptions::new()
        .max_connections(20)
        .connect_with(admin_options().database(&name))
        .await
        .expect("connect to the test database");
    (url, pool)
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = before_query
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| before_query[start..].find('/').map(|j| start + j))
        .unwrap_or(before_query.len());
    let mut out = format!("{}/{}", &before_query[..authority_end], name);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// How long a server may take to listen: `cargo run` may first have to build it.
const START_TIMEOUT: Duration = Duration::from_secs(300);

/// A running `faultline serve` process.
pub struct TestServer {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    child: Child,
    stdout: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl TestServer {
    /// Starts `faultline serve` on a free port with `env` added.
    pub fn spawn(env: &[(&str, &str)]) -> TestServer {
        let mut command = Command::new(faultline_bin());
        command.arg("serve");
        for (key, value) in env {
            command.env(key, value);
        }
        Self::spawn_command(command)
    }

    /// Starts `command`, which runs `faultline serve` (possibly through another
    /// program, e.g. `cargo run`), by default on a free port with JSON logs.
    pub fn spawn_command(mut command: Command) -> TestServer {
        let explicit: Vec<_> = command.get_envs().map(|(key, _)| key.to_owned()).collect();
        if !explicit.iter().any(|key| key == "DATABASE_URL") {
            command.env_remove("DATABASE_URL");
        }
        let defaults = [
            ("FAULTLINE_BIND", "127.0.0.1:0"),
            ("FAULTLINE_LOG_FORMAT", "json"),
            ("RUST_LOG", "info"),
        ];
        for (key, value) in defaults {
            if !explicit.iter().any(|k| k == key) {
                command.env(key, value);
            }
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn faultline");
        let stdout_lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = stdout_lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let stderr = child.stderr.take().unwrap();
        let stderr_lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log_sink = stderr_lines.clone();
        let (address_tx, address_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let show = std::env::var_os("TEST_LOG").is_some();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if show {
                    eprintln!("[server] {line}");
                }
                {
                    let mut lines = log_sink.lock().unwrap();
                    if lines.len() >= 200 {
                        lines.remove(0);
                    }
                    lines.push(line.clone());
                }
                if line.contains("faultline listening") {
                    let parsed: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                    if let Some(address) = parsed["address"].as_str() {
                        let _ = address_tx.send(address.to_owned());
                    }
                }
            }
        });
        let address = address_rx
            .recv_timeout(START_TIMEOUT)
            .expect("server did not start listening (run with TEST_LOG=1 to see its logs)");
        TestServer {
            url: format!("http://{address}"),
            child,
            stdout: stdout_lines,
            stderr: stderr_lines,
        }
    }

    /// Starts a server on the database at `database_url`.
    pub fn on_database(database_url: &str) -> TestServer {
        Self::spawn(&[("DATABASE_URL", database_url)])
    }

    /// The server's last log lines (stderr), for failure messages.
    pub fn logs(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// What the server printed on stdout so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// `self.url` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// Sends `signal` and waits (bounded) for the process to exit.
    pub fn stop_with(&mut self, signal: Signal) -> ExitStatus {
        kill(Pid::from_raw(self.child.id() as i32), signal).expect("signal the server");
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not exit within 15 s of {signal}");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_database_url_gets_its_name_replaced() {
    assert_eq!(
        with_database(
            "postgres://postgres@localhost:5432/faultline?host=/tmp/x",
            "t1"
        ),
        "postgres://postgres@localhost:5432/t1?host=/tmp/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db", "t2"),
        "postgres://u:p@h/t2"
    );
}

/// Creates a user with `faultline user create` on the database at `database_url`
/// and returns its token (the server must have migrated that database).
pub fn create_user(database_url: &str, email: &str, superuser: bool) -> String {
    let mut command = Command::new(faultline_bin());
    command
        .args(["user", "create", "--email", email])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    if superuser {
        command.arg("--superuser");
    }
    let output = command.output().expect("run faultline user create");
    assert!(
        output.status.success(),
        "user create failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Creates a user who can sign in to the web UI with `password`: `faultline user
/// create --password-stdin` on the database at `database_url`, the password on its
/// standard input. Returns the user's API token.
pub fn create_user_with_password(database_url: &str, email: &str, password: &str) -> String {
    use std::io::Write;

    let mut child = Command::new(faultline_bin())
        .args(["user", "create", "--email", email, "--password-stdin"])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run faultline user create");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{password}").expect("write the password");
    drop(stdin);
    let output = child
        .wait_with_output()
        .expect("wait for faultline user create");
    assert!(
        output.status.success(),
        "user create --password-stdin failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A client of the REST API acting with one token.
#[derive(Clone)]
pub struct Api {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Api {
    /// A client of `server` using `token`.
    pub fn new(server: &TestServer, token: &str) -> Api {
        Api {
            base: server.url.clone(),
            token: token.to_owned(),
            // The server closes a connection idle for its header timeout (the request
            // timeout, 30 s): a request sent on it just then fails as an incomplete
            // message. The client lets idle connections go first.
            client: reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(20))
                .build()
                .expect("build the HTTP client"),
        }
    }

    /// Sends `method path` with an optional JSON body; returns status and JSON body
    /// (`null` when the body is empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, json)
    }

    /// GET, asserting 200; returns the body.
    pub async fn get_ok(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.call("GET", path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Sends a request and asserts its status; returns the body.
    pub async fn expect(
        &self,
        status: u16,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let (got, body) = self.call(method, path, body).await;
        assert_eq!(got, status, "{method} {path}: {body}");
        body
    }
}

/// A project ready to receive events: its id, its client key and its DSN.
pub struct ProjectKey {
    /// The project's numeric id.
    pub project_id: i64,
    /// The public key.
    pub key: String,
    /// The public DSN.
    pub dsn: String,
}

/// Creates organization `org`, team `team` and project `project` through the API
/// and returns the project's default key.
pub async fn project_with_key(api: &Api, org: &str, project: &str) -> ProjectKey {
    api.expect(
        201,
        "POST",
        "/api/0/organizations/",
        Some(serde_json::json!({"name": org, "slug": org})),
    )
    .await;
    api.expect(
        201,
        "POST",
        &format!("/api/0/organizations/{org}/teams/"),
        Some(serde_json::json!({"slug": "team"})),
    )
    .await;
    let created = api
        .expect(
            201,
            "POST",
            &format!("/api/0/teams/{org}/team/projects/"),
            Some(serde_json::json!({"name": project, "slug": project, "platform": "python"})),
        )
        .await;
    let keys = api
        .get_ok(&format!("/api/0/projects/{org}/{project}/keys/"))
        .await;
    ProjectKey {
        project_id: created["id"].as_str().unwrap().parse().unwrap(),
        key: keys[0]["public"].as_str().unwrap().to_owned(),
        dsn: keys[0]["dsn"]["public"].as_str().unwrap().to_owned(),
    }
}

/// Runs `faultline ARGS` on the database at `url` with `env`; its stdout, asserting
/// success.
pub fn run_faultline(url: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(faultline_bin())
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("run faultline");
    assert!(
        output.status.success(),
        "faultline {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Sends `event` in an envelope with `project`'s key; asserts 200.
pub async fn send_event(server: &TestServer, project: &ProjectKey, event: &serde_json::Value) {
    assert_eq!(post_event(server, project, event).await, 200, "{event}");
}

/// Sends `event` in an envelope with `project`'s key; the response's status.
pub async fn post_event(
    server: &TestServer,
    project: &ProjectKey,
    event: &serde_json::Value,
) -> u16 {
    reqwest::Client::new()
        .post(server.at(&format!("/api/{}/envelope/", project.project_id)))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_key={}", project.key),
        )
        .body(event_envelope(event))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// How many events the log holds of each organization, by organization.
pub async fn ingested_per_organization(pool: &PgPool) -> Vec<(i64, i64)> {
    sqlx::query_as(
        "SELECT organization_id, count(*) FROM log_events
          WHERE event_type = 'EventIngested' GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Polls the project's issue list until the issues' counts add up to `events`.
pub async fn issues_once_counted(api: &Api, path: &str, events: u64) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let issues = api.get_ok(path).await;
        let counted: u64 = issues
            .as_array()
            .unwrap()
            .iter()
            .map(|issue| issue["count"].as_str().unwrap().parse::<u64>().unwrap())
            .sum();
        if counted >= events || std::time::Instant::now() > deadline {
            return issues;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An envelope with one event item.
pub fn event_envelope(event: &serde_json::Value) -> Vec<u8> {
    let event_id = event["event_id"].as_str().unwrap_or("");
    let payload = event.to_string();
    format!(
        "{{\"event_id\":\"{event_id}\"}}\n{{\"type\":\"event\",\"length\":{}}}\n{payload}\n",
        payload.len()
    )
    .into_bytes()
}

/// What the log and the issue read model hold of ingested events.
pub struct IngestTally {
    /// The event id of every `EventIngested` in the log, in log order.
    pub logged_ids: Vec<String>,
    /// `sum(times_seen)` over the issues.
    pub counted: i64,
    /// Rows of `issue_events`.
    pub projected: i64,
}

impl IngestTally {
    /// How many `EventIngested` the log holds.
    pub fn logged(&self) -> i64 {
        self.logged_ids.len() as i64
    }
}

/// Waits (up to `timeout`) until the issue read model counts every `EventIngested` of
/// the log, then tallies both; returns the last tally if it never does.
pub async fn ingest_tally(pool: &PgPool, timeout: Duration) -> IngestTally {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let counted: i64 =
            sqlx::query_scalar("SELECT coalesce(sum(times_seen), 0)::bigint FROM issues")
                .fetch_one(pool)
                .await
                .unwrap();
        let logged_ids: Vec<String> = sqlx::query_scalar(
            "SELECT payload->'EventIngested'->>'event_id' FROM ingested_events
              WHERE event_type = 'EventIngested' ORDER BY position",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        let projected: i64 = sqlx::query_scalar("SELECT count(*) FROM issue_events")
            .fetch_one(pool)
            .await
            .unwrap();
        let tally = IngestTally {
            logged_ids,
            counted,
            projected,
        };
        if tally.counted == tally.logged() || std::time::Instant::now() >= deadline {
            return tally;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Moves the log of a fresh database past its first partition of ingested events
/// (positions below 1,000,000) and makes the next one: later events land there.
pub async fn move_log_past_first_partition(pool: &PgPool) {
    sqlx::query("SELECT setval('events_position_seq', 1000050)")
        .execute(pool)
        .await
        .unwrap();
    // As the server attaches partitions: on Citus, one connection per worker.
    let mut tx = pool.begin().await.unwrap();
    faultline_projections::citus::one_connection_per_worker(&mut tx)
        .await
        .unwrap();
    sqlx::query("SELECT ensure_ingested_partitions(1000000)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Ages the first partition's rows by `days`, with the immutability triggers off: only
/// when they were stored changes (what retention looks at), never the facts.
pub async fn age_first_partition(pool: &PgPool, days: i32) {
    sqlx::raw_sql(&format!(
        "ALTER TABLE ingested_events_p1 DISABLE TRIGGER USER;
         UPDATE ingested_events_p1 SET recorded_at = recorded_at - interval '{days} days';
         ALTER TABLE ingested_events_p1 ENABLE TRIGGER USER;"
    ))
    .execute(pool)
    .await
    .unwrap();
}

/// A running server on a fresh database, its owner's API, and project `backend` of
/// organization `acme` with its key: the set-up most end-to-end tests start from.
pub struct AcmeBackend {
    pub url: String,
    pub pool: PgPool,
    pub server: TestServer,
    pub api: Api,
    pub project: ProjectKey,
}

/// See [`AcmeBackend`].
pub async fn acme_backend() -> AcmeBackend {
    let (url, pool) = fresh_database().await;
    let server = TestServer::spawn(&[("DATABASE_URL", &url)]);
    let token = create_user(&url, "owner@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "acme", "backend").await;
    AcmeBackend {
        url,
        pool,
        server,
        api,
        project,
    }
}

/// Another project of `org` (made by [`project_with_key`]) with its key.
pub async fn another_project(api: &Api, org: &str, slug: &str) -> ProjectKey {
    api.expect(
        201,
        "POST",
        &format!("/api/0/teams/{org}/team/projects/"),
        Some(serde_json::json!({"name": slug, "slug": slug})),
    )
    .await;
    let keys = api
        .get_ok(&format!("/api/0/projects/{org}/{slug}/keys/"))
        .await;
    ProjectKey {
        project_id: keys[0]["projectId"].as_i64().unwrap(),
        key: keys[0]["public"].as_str().unwrap().to_owned(),
        dsn: keys[0]["dsn"]["public"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

/// SHA-1 of `bytes` as 40 hex digits: how sentry-cli names chunks and bundles.
pub fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(bytes))
}

/// Asks organization `org` to assemble bundle `checksum` from `chunks` for its project
/// `web`, as sentry-cli does; asserts 200 and returns `{state, missingChunks, detail}`.
pub async fn assemble(
    api: &Api,
    org: &str,
    checksum: &str,
    chunks: &[String],
) -> serde_json::Value {
    api.expect(
        200,
        "POST",
        &format!("/api/0/organizations/{org}/artifactbundle/assemble/"),
        Some(serde_json::json!({"checksum": checksum, "chunks": chunks, "projects": ["web"]})),
    )
    .await
}
