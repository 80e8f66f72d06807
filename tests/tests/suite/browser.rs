//! A real headless Chromium for the web UI tests, driven through WebDriver.
//!
//! [`Browser::start`] runs Debian's `chromedriver` on a free loopback port and opens a
//! session of `chromium` with a fresh profile; dropping the [`Browser`] ends the session,
//! stops chromedriver and removes the profile. The binaries are the ones
//! `FAULTLINE_TEST_CHROMEDRIVER` and `FAULTLINE_TEST_CHROMIUM` name (`scripts/test` sets
//! both; default `/usr/bin/chromedriver` and `/usr/bin/chromium`): without them the
//! tests fail and say what to install, they are never skipped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// What to install when the browser is missing.
const INSTALL: &str = "apt-get install -y chromium chromium-driver";

/// How long chromedriver may take to answer `/status`, and a page to load.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The name of the web UI's session cookie.
pub const SESSION_COOKIE: &str = "fl_session";

/// A headless Chromium session and the chromedriver that drives it.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    session_id: String,
    driver: Driver,
}

/// A running chromedriver and the scratch directory of its browser (profile, log).
struct Driver {
    child: Child,
    port: u16,
    scratch: PathBuf,
}

impl Driver {
    /// Waits until chromedriver answers `/status` with `ready`.
    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        let client = reqwest::Client::new();
        loop {
            let status = client
                .get(format!("http://127.0.0.1:{}/status", self.port))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if let Ok(response) = status {
                let body: Value = response.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    return;
                }
            }
            if let Some(exit) = self.child.try_wait().expect("poll chromedriver") {
                panic!("chromedriver exited with {exit}\n{}", self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer /status within {START_TIMEOUT:?}\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The end of chromedriver's log, for failure messages.
    fn log_tail(&self) -> String {
        let path = self.scratch.join("chromedriver.log");
        let log = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        format!(
            "chromedriver log ({}):\n{}",
            path.display(),
            lines[lines.len().saturating_sub(40)..].join("\n")
        )
    }

    /// Kills what is left of the browser: processes started with its profile.
    fn kill_leftovers(&self) {
        let marker = self.scratch.to_string_lossy().into_owned();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&marker) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.kill_leftovers();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// A path from an environment variable, else `default`; panics, saying what to
/// install, when there is no such file.
fn binary(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "the web UI tests drive a real headless Chromium: {} not found ({variable}); \
         install it with `{INSTALL}` (what .ci/run does), or point {variable} at it",
        path.display()
    );
    path
}

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free loopback port")
        .port()
}

/// The workspace's target directory: `CARGO_TARGET_DIR` (relative to the workspace)
/// or `target/` beside this crate.
pub fn target_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session.
    pub async fn start() -> Browser {
        let chromedriver = binary("FAULTLINE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = binary("FAULTLINE_TEST_CHROMIUM", "/usr/bin/chromium");
        let scratch = std::env::temp_dir().join(format!(
            "faultline-browser-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let profile = scratch.join("profile");
        std::fs::create_dir_all(&profile).expect("make the browser profile directory");
        let port = free_port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .arg(format!(
                "--log-path={}",
                scratch.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "start {}: {error}; install it with `{INSTALL}`",
                    chromedriver.display()
                )
            });
        let mut driver = Driver {
            child,
            port,
            scratch,
        };
        driver.wait_until_ready().await;
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        // Plain HTTP to chromedriver on loopback: no TLS.
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "chromedriver could not start {}: {error}\n{}",
                    chromium.display(),
                    driver.log_tail()
                )
            });
        let session_id = client
            .session_id()
            .await
            .expect("the session id")
            .expect("a session");
        Browser {
            client,
            session_id,
            driver,
        }
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|error| panic!("open {url}: {error}"));
    }

    /// Reloads the current page.
    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload");
    }

    /// The current URL's path.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current url")
            .path()
            .to_owned()
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current url")
            .to_string()
    }

    /// `document.title`.
    pub async fn title(&self) -> String {
        self.client.title().await.expect("title")
    }

    /// The first element matching `css`; panics with the page's URL and title when
    /// there is none.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(error) => panic!("{}", self.missing(css, &error.to_string()).await),
        }
    }

    /// Every element matching `css` (maybe none).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("find {css}: {error}"))
    }

    /// Whether some element matches `css`.
    pub async fn has(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// Why `css` was not found: where the browser is, and the start of the page.
    async fn missing(&self, css: &str, error: &str) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let source = self.client.source().await.unwrap_or_default();
        let excerpt: String = source.chars().take(3000).collect();
        format!("no element {css:?} on {url} ({error}); the page:\n{excerpt}")
    }

    /// The rendered text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|error| panic!("text of {css}: {error}"))
    }

    /// The rendered texts of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.find_all(css).await {
            texts.push(element.text().await.expect("element text"));
        }
        texts
    }

    /// Attribute `name` of the first element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(name)
            .await
            .unwrap_or_else(|error| panic!("attribute {name} of {css}: {error}"))
    }

    /// Clicks the first element matching `css` (no navigation expected: see
    /// [`Browser::click_and_wait`]).
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("click {css}: {error}"));
    }

    /// Clicks the first element matching `css` and waits until the page it leads to
    /// (a link followed, a form submitted) has loaded.
    pub async fn click_and_wait(&self, css: &str) {
        self.mark_page().await;
        self.click(css).await;
        self.wait_for_new_page(css).await;
    }

    /// Replaces the value of the field matching `css` with `value`.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|error| panic!("clear {css}: {error}"));
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|error| panic!("type into {css}: {error}"));
    }

    /// Presses Enter in the field matching `css` (submitting its form) and waits for
    /// the page it leads to.
    pub async fn press_enter_in(&self, css: &str) {
        self.mark_page().await;
        let enter: char = Key::Enter.into();
        self.find(css)
            .await
            .send_keys(&enter.to_string())
            .await
            .unwrap_or_else(|error| panic!("press Enter in {css}: {error}"));
        self.wait_for_new_page(css).await;
    }

    /// Presses `key` on whatever has the focus (a real key event: Tab moves the focus).
    pub async fn press(&self, key: Key) {
        let key: char = key.into();
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client
            .perform_actions(keys)
            .await
            .expect("press a key");
    }

    /// Presses Enter on the focused element and waits for the page it leads to.
    pub async fn press_enter_and_wait(&self) {
        self.mark_page().await;
        self.press(Key::Enter).await;
        self.wait_for_new_page("the focused element").await;
    }

    /// Presses Tab until the element with id `id` has the focus, at most `presses`
    /// times; returns how many it took, or panics with the ids the focus went through.
    pub async fn tab_to(&self, id: &str, presses: usize) -> usize {
        let mut visited = Vec::new();
        for press in 1..=presses {
            self.press(Key::Tab).await;
            let focused = self
                .execute(
                    "const e = document.activeElement; \
                     return e ? (e.id || e.tagName + (e.name ? '[name=' + e.name + ']' : '')) : '';",
                )
                .await;
            if focused == id {
                return press;
            }
            visited.push(focused.as_str().unwrap_or_default().to_owned());
        }
        panic!("#{id} never got the focus in {presses} presses of Tab; it went through {visited:?}")
    }

    /// Runs `script` (a function body: `return` a value) in the page.
    pub async fn execute(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|error| panic!("run script: {error}\n{script}"))
    }

    /// Marks the current document, so that [`Browser::wait_for_new_page`] can tell
    /// when another one has replaced it.
    async fn mark_page(&self) {
        self.execute("window.__faultlineOldPage = true; return null;")
            .await;
    }

    /// Waits until the marked document is gone and the new one has loaded.
    async fn wait_for_new_page(&self, after: &str) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let state = self
                .client
                .execute(
                    "return window.__faultlineOldPage ? 'old' : document.readyState;",
                    Vec::new(),
                )
                .await;
            // A script can fail while the navigation is under way: try again.
            if let Ok(Value::String(state)) = state {
                if state == "complete" {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no new page loaded within {START_TIMEOUT:?} after {after}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The value of cookie `name` as the browser holds it, if it holds it.
    pub async fn cookie(&self, name: &str) -> Option<fantoccini::cookies::Cookie<'static>> {
        let cookies = self
            .client
            .get_all_cookies()
            .await
            .expect("read the cookies");
        cookies.into_iter().find(|cookie| cookie.name() == name)
    }

    /// The value of the session cookie; panics when the browser has none.
    pub async fn session_cookie(&self) -> String {
        self.cookie(SESSION_COOKIE)
            .await
            .unwrap_or_else(|| panic!("the browser holds no {SESSION_COOKIE} cookie"))
            .value()
            .to_owned()
    }

    /// Saves a PNG of the window as `target/ui-screenshots/{name}.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("take a screenshot");
        let dir = target_dir().join("ui-screenshots");
        std::fs::create_dir_all(&dir).expect("make target/ui-screenshots");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("save the screenshot");
        path
    }

    /// Ends the session (Chromium quits) over a plain HTTP request to chromedriver: a
    /// `Drop` cannot await.
    fn end_session(&self) {
        if self.session_id.is_empty() {
            return;
        }
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.driver.port)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session_id, self.driver.port
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
        }
    }
}

impl Drop for Browser {
    /// Ends the session; then the [`Driver`] stops chromedriver and removes the
    /// profile.
    fn drop(&mut self) {
        self.end_session();
    }
}

/// A raw HTTP client carrying the browser's session: for what a browser would not
/// send (a POST without the CSRF field) and for status codes, which WebDriver does not
/// tell. Redirects are not followed.
pub struct SessionHttp {
    client: reqwest::Client,
    cookie: String,
}

impl SessionHttp {
    /// A client that sends `fl_session={session}` with every request.
    pub fn new(session: &str) -> SessionHttp {
        SessionHttp {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookie: format!("{SESSION_COOKIE}={session}"),
        }
    }

    /// `GET url`.
    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.client
            .get(url)
            .header(reqwest::header::COOKIE, &self.cookie)
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {url}: {error}"))
    }

    /// `POST url` with `fields` form-encoded.
    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let body: String = fields
            .iter()
            .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        self.client
            .post(url)
            .header(reqwest::header::COOKIE, &self.cookie)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .unwrap_or_else(|error| panic!("POST {url}: {error}"))
    }
}

/// `value` percent-encoded for a form body.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (byte as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
