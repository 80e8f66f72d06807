//! The system under test: a Postgres cluster, a fresh database, a `faultline serve`
//! process and the organization/project the load goes to.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

/// A managed cluster started for this run (stopped and removed on drop), or none
/// when `DATABASE_URL` was given.
pub struct Cluster {
    pub admin_url: String,
    managed: Option<(PathBuf, PathBuf)>,
    /// `--database-url`: the one database to run on.
    given: Option<String>,
}

impl Cluster {
    /// `DATABASE_URL` if set, otherwise `faultline postgres start --dir <tmp>` (durable
    /// settings: fsync and synchronous commit on, so the figures are honest).
    pub fn open(faultline: &Path, given: Option<&str>) -> anyhow::Result<Cluster> {
        if let Some(url) = given {
            return Ok(Cluster {
                admin_url: url.to_owned(),
                managed: None,
                given: Some(url.to_owned()),
            });
        }
        if let Ok(url) = std::env::var("DATABASE_URL") {
            return Ok(Cluster {
                admin_url: url,
                managed: None,
                given: None,
            });
        }
        let dir = std::env::temp_dir().join(format!("faultline-bench-pg-{}", std::process::id()));
        let output = Command::new(faultline)
            .args(["postgres", "start", "--dir"])
            .arg(&dir)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .context("run faultline postgres start")?;
        if !output.status.success() {
            bail!(
                "faultline postgres start failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let url = String::from_utf8(output.stdout)?.trim().to_owned();
        Ok(Cluster {
            admin_url: url,
            managed: Some((faultline.to_owned(), dir)),
            given: None,
        })
    }

    pub fn describe(&self) -> String {
        match (&self.managed, &self.given) {
            (Some((_, dir)), _) => {
                format!("managed cluster in {} (durable settings)", dir.display())
            }
            (None, Some(_)) => "--database-url".to_owned(),
            (None, None) => "DATABASE_URL".to_owned(),
        }
    }

    /// Creates `bench_<uuid>`, or takes the `--database-url` database; returns its URL.
    pub async fn fresh_database(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.given {
            return Ok(url.clone());
        }
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let options: PgConnectOptions = self.admin_url.parse()?;
        let mut admin = options.connect().await.context("connect to Postgres")?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await?;
        Ok(with_database(&self.admin_url, &name))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some((faultline, dir)) = self.managed.take() {
            let _ = Command::new(faultline)
                .args(["postgres", "stop", "--dir"])
                .arg(&dir)
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .status();
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
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

pub async fn pool(url: &str, connections: u32) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = url.parse()?;
    Ok(PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(options)
        .await?)
}

/// A running `faultline serve`.
pub struct Server {
    pub url: String,
    child: Child,
}

impl Server {
    pub fn spawn(faultline: &Path, database_url: &str) -> anyhow::Result<Server> {
        let mut child = Command::new(faultline)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("FAULTLINE_BIND", "127.0.0.1:0")
            .env("FAULTLINE_LOG_FORMAT", "json")
            .env("RUST_LOG", "warn,faultline=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("spawn {}", faultline.display()))?;
        let stderr = child.stderr.take().expect("piped stderr");
        let (address_tx, address_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let show = std::env::var_os("BENCH_SERVER_LOG").is_some();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if show {
                    eprintln!("[server] {line}");
                }
                if line.contains("faultline listening") {
                    let parsed: Value = serde_json::from_str(&line).unwrap_or_default();
                    if let Some(address) = parsed["address"].as_str() {
                        let _ = address_tx.send(address.to_owned());
                    }
                } else if line.contains("\"ERROR\"") || line.contains("\"WARN\"") {
                    eprintln!("[server] {line}");
                }
            }
        });
        let address = match address_rx.recv_timeout(Duration::from_secs(120)) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                bail!(
                    "faultline serve did not start listening (BENCH_SERVER_LOG=1 shows its logs)"
                );
            }
        };
        Ok(Server {
            url: format!("http://{address}"),
            child,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(&mut self) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        for _ in 0..200 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The bench user's email.
pub const BENCH_EMAIL: &str = "bench@localhost";

/// The bench user's password, for signing in to the web UI like a browser. A throwaway
/// database: no secret to keep.
pub const BENCH_PASSWORD: &str = "faultline-bench-throwaway-password";

/// `faultline user create --superuser --password-stdin` on the bench database (the
/// password, [`BENCH_PASSWORD`], written to its stdin); returns the token it prints.
/// A build without `--password-stdin` (older than the web UI) gets the user without a
/// password: the run goes on and the UI rows say the sign-in failed.
pub fn create_user(faultline: &Path, database_url: &str) -> anyhow::Result<String> {
    let output = user_create(faultline, database_url, true)?;
    let output = if !output.status.success()
        && String::from_utf8_lossy(&output.stderr).contains("--password-stdin")
    {
        crate::progress::log("this faultline has no `user create --password-stdin`: the bench user gets no password, the UI rows no figures");
        user_create(faultline, database_url, false)?
    } else {
        output
    };
    if !output.status.success() {
        bail!(
            "user create failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

fn user_create(
    faultline: &Path,
    database_url: &str,
    password: bool,
) -> anyhow::Result<std::process::Output> {
    let mut command = Command::new(faultline);
    command
        .args(["user", "create", "--email", BENCH_EMAIL, "--superuser"])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if password {
        command.arg("--password-stdin").stdin(Stdio::piped());
    } else {
        command.stdin(Stdio::null());
    }
    let mut child = command.spawn().context("run faultline user create")?;
    if let Some(mut stdin) = child.stdin.take() {
        // A build that exits before reading (a bad argument) closes the pipe: its
        // status and stderr say why.
        let _ = writeln!(stdin, "{BENCH_PASSWORD}");
    }
    child
        .wait_with_output()
        .context("wait for faultline user create")
}

/// A project the load goes to.
#[derive(Clone, Debug)]
pub struct Project {
    pub slug: String,
    pub id: i64,
    pub public_key: String,
}

/// The REST API, acting as the bench superuser.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    token: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Api {
        Api {
            base: base.to_owned(),
            token: token.to_owned(),
            client: reqwest::Client::builder()
                .tcp_nodelay(true)
                .build()
                .expect("http client"),
        }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
    }

    /// A request to `url` (absolute, or a path on the server) as the bench superuser.
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let url = if url.contains("://") {
            url.to_owned()
        } else {
            format!("{}{}", self.base, url)
        };
        self.client.request(method, url).bearer_auth(&self.token)
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .client
            .post(format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("POST {path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, path: &str) -> anyhow::Result<Value> {
        let response = self.get(path).send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("GET {path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// Organization `bench` and team `bench`.
    pub async fn create_org(&self) -> anyhow::Result<()> {
        self.post(
            "/api/0/organizations/",
            json!({"name": "bench", "slug": "bench"}),
        )
        .await?;
        self.post(
            "/api/0/organizations/bench/teams/",
            json!({"slug": "bench"}),
        )
        .await?;
        Ok(())
    }

    /// A python project in team `bench` and its default key.
    pub async fn create_project(&self, slug: &str) -> anyhow::Result<Project> {
        self.create_project_on(slug, "python").await
    }

    /// A project of `platform` in team `bench` and its default key.
    pub async fn create_project_on(&self, slug: &str, platform: &str) -> anyhow::Result<Project> {
        let created = self
            .post(
                "/api/0/teams/bench/bench/projects/",
                json!({"name": slug, "slug": slug, "platform": platform}),
            )
            .await?;
        let id = match &created["id"] {
            Value::String(s) => s.parse()?,
            Value::Number(n) => n.as_i64().context("project id")?,
            other => bail!("project id missing: {other}"),
        };
        let keys = self
            .get_json(&format!("/api/0/projects/bench/{slug}/keys/"))
            .await?;
        let public_key = keys[0]["public"]
            .as_str()
            .context("the project has no key")?
            .to_owned();
        Ok(Project {
            slug: slug.to_owned(),
            id,
            public_key,
        })
    }
}

/// The web UI, as a browser signed in as the bench user: its session cookie on every
/// request, redirects not followed (a redirect to the sign-in page is a failure, not
/// the sign-in page's 200).
pub struct Browser {
    pub base: String,
    session: String,
    client: reqwest::Client,
}

impl Browser {
    /// Signs in like a browser: `GET /auth/login/` for the login CSRF cookie and the
    /// form's hidden `csrf`, then `POST /auth/login/` with the form; a 303 sets
    /// `fl_session`.
    pub async fn sign_in(base: &str, email: &str, password: &str) -> anyhow::Result<Browser> {
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let url = format!("{base}/auth/login/");
        let page = client.get(&url).send().await.context("GET /auth/login/")?;
        let status = page.status();
        let login_csrf = cookie(&page, "fl_login_csrf");
        let html = page.text().await?;
        if status != reqwest::StatusCode::OK {
            bail!("GET /auth/login/ answered {}", status.as_u16());
        }
        let login_csrf = login_csrf.context("GET /auth/login/ set no fl_login_csrf cookie")?;
        let csrf = hidden_input(&html, "csrf").context("the login form has no hidden csrf")?;
        let body = [
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/"),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
        let answer = client
            .post(&url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(
                reqwest::header::COOKIE,
                format!("fl_login_csrf={login_csrf}"),
            )
            .body(body)
            .send()
            .await
            .context("POST /auth/login/")?;
        let status = answer.status();
        let session = cookie(&answer, "fl_session");
        let _ = answer.bytes().await;
        if status != reqwest::StatusCode::SEE_OTHER {
            bail!("POST /auth/login/ answered {}", status.as_u16());
        }
        let session = session
            .filter(|s| !s.is_empty())
            .context("POST /auth/login/ set no fl_session cookie")?;
        Ok(Browser {
            base: base.to_owned(),
            session,
            client,
        })
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{}", self.base, path)).header(
            reqwest::header::COOKIE,
            format!("fl_session={}", self.session),
        )
    }
}

/// The value of cookie `name` among a response's `Set-Cookie` headers.
fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let pair = v.split(';').next()?.trim();
            let (n, value) = pair.split_once('=')?;
            (n == name).then(|| value.trim_matches('"').to_owned())
        })
}

/// The `value` of the `<input ... name="{name}" ... value="...">` in `html`.
fn hidden_input(html: &str, name: &str) -> Option<String> {
    let wanted = format!("name=\"{name}\"");
    html.split("<input").skip(1).find_map(|rest| {
        let tag = &rest[..rest.find('>')?];
        if !tag.contains(&wanted) {
            return None;
        }
        let start = tag.find("value=\"")? + "value=\"".len();
        let end = start + tag[start..].find('"')?;
        Some(tag[start..end].replace("&amp;", "&"))
    })
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Peak and current resident set of a process, in KiB (`VmHWM`, `VmRSS`).
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// Resets the process's peak RSS to its current RSS (Linux ≥ 4.0), so that each phase
/// reports its own peak. False if the kernel refused.
pub fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// User + system CPU seconds a process has used so far (`/proc/<pid>/stat`, in
/// USER_HZ = 100 ticks per second on Linux).
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14, 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::{form_encode, hidden_input};

    #[test]
    fn finds_the_hidden_csrf_input() {
        let html = r#"<form id="login" method="post" action="/auth/login/">
            <input id="email" name="email" type="email">
            <input type="hidden" name="csrf" value="a1B2-c3_d4">
            <button id="login-submit" type="submit">Sign in</button></form>"#;
        assert_eq!(hidden_input(html, "csrf").as_deref(), Some("a1B2-c3_d4"));
        assert_eq!(hidden_input(html, "next"), None);
    }

    #[test]
    fn encodes_form_values() {
        assert_eq!(form_encode("a b+c/=&é"), "a+b%2Bc%2F%3D%26%C3%A9");
    }
}
