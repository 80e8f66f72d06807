//! Signing in and out: `/auth/login/` (email and password, checked against the
//! Argon2id hash the user's `PasswordSet` event recorded) and `/auth/logout/`.
//!
//! The login form carries a double-submit CSRF token (a cookie and a hidden field
//! that must match), since there is no session yet; wrong email and wrong password
//! read the same; failures are rate limited per account and per address.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use faultline_commands::passwords::{hash_password, verify_password};
use faultline_commands::secrets::hash_token;
use faultline_commands::sessions;
use faultline_projections::accounts::queries::auth::password_of;
use maud::html;

use super::error::UiError;
use super::forms::{cookie, is_local_path, query_of, set_cookie, ClientAddress, FormData};
use super::layout::bare_page;
use super::session::{MaybeViewer, Viewer, SESSION_COOKIE, SESSION_DAYS};
use crate::state::AppState;

/// The login form's double-submit cookie.
const LOGIN_CSRF_COOKIE: &str = "fl_login_csrf";

/// Failed sign-ins allowed per account in [`WINDOW`].
const PER_ACCOUNT: usize = 5;
/// Failed sign-ins allowed per client address in [`WINDOW`].
const PER_ADDRESS: usize = 20;
/// The window failures are counted in.
const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Recent failed sign-ins by account and by address, in this process.
#[derive(Default)]
struct Failures {
    by_key: HashMap<String, Vec<Instant>>,
}

impl Failures {
    fn recent(&mut self, key: &str, now: Instant) -> usize {
        let Some(times) = self.by_key.get_mut(key) else {
            return 0;
        };
        times.retain(|t| now.duration_since(*t) < WINDOW);
        times.len()
    }

    fn forget(&mut self, key: &str) {
        self.by_key.remove(key);
    }

    fn record(&mut self, key: String, now: Instant) {
        if self.by_key.len() > 100_000 {
            self.by_key
                .retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        self.by_key.entry(key).or_default().push(now);
    }
}

static FAILURES: LazyLock<Mutex<Failures>> = LazyLock::new(Mutex::default);

/// Password checks running at once: Argon2id takes ~19 MiB and a core's worth of
/// time each, so a flood of sign-ins queues here instead of exhausting memory.
static VERIFYING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// A hash of a random password, verified when the email is unknown so an unknown
/// email takes as long as a wrong password.
static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&uuid::Uuid::new_v4().to_string()).unwrap_or_default());

/// The limiter's key of an account: the SHA-256 of the lowercased email, so a long
/// made-up email costs the map no more than a short one.
fn account_key(email: &str) -> String {
    format!("account:{}", hash_token(&email.to_lowercase()))
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
}

fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn secure(state: &AppState) -> bool {
    state.public_url.starts_with("https://")
}

/// The login page, with `error` shown above the form.
fn login_page(
    state: &AppState,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<&str>,
) -> Response {
    let csrf = random_token();
    let body = bare_page(
        "Sign in",
        html! {
            form.login id="login" method="post" action="/auth/login/" {
                h1 { "Sign in to Faultline" }
                @if let Some(error) = error {
                    p.error id="login-error" role="alert" { (error) }
                }
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label.block for="email" { "Email" }
                input id="email" name="email" type="email" autocomplete="username" required value=(email) autofocus;
                label.block for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                p { button.primary id="login-submit" type="submit" { "Sign in" } }
                p.muted { "Faultline " (crate::VERSION) " · " a href="/about/" { "About this server" } }
            }
        },
    );
    let mut response = (status, body).into_response();
    if let Ok(value) = set_cookie(LOGIN_CSRF_COOKIE, &csrf, "/auth/", 3_600, secure(state)).parse()
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /auth/login/`.
pub async fn show(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    parts: Parts,
) -> Response {
    if viewer.is_some() {
        return Redirect::to("/").into_response();
    }
    let query = query_of(&parts);
    let next = query
        .get("next")
        .filter(|n| is_local_path(n))
        .unwrap_or("/");
    login_page(&state, StatusCode::OK, next, "", None)
}

/// `POST /auth/login/`.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    form: FormData,
) -> Result<Response, UiError> {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE);
    if expected.is_none() || expected != form.get("csrf") {
        return Err(UiError::Csrf);
    }
    let next = form.get("next").filter(|n| is_local_path(n)).unwrap_or("/");
    let email = form.get("email").unwrap_or("");
    if email.len() > 254 {
        return Ok(login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            next,
            "",
            Some("Incorrect email or password."),
        ));
    }
    let password = form
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let address = address.unwrap_or_default();
    let now = Instant::now();
    // The attempt counts before the password is checked, so parallel guesses cannot
    // all pass the limit; a success takes the account's count back.
    let limited = {
        let mut failures = FAILURES.lock().unwrap_or_else(|e| e.into_inner());
        let limited = failures.recent(&account_key(email), now) >= PER_ACCOUNT
            || failures.recent(&address_key(&address), now) >= PER_ADDRESS;
        if !limited {
            failures.record(account_key(email), now);
            failures.record(address_key(&address), now);
        }
        limited
    };
    if limited {
        tracing::warn!(client.address = %address, "sign-in refused: too many failed attempts");
        return Ok(login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            email,
            Some("Too many attempts: wait a few minutes, then try again."),
        ));
    }
    let found = password_of(&state.pool, email).await?;
    // Verify against a decoy when there is no hash, so the answer takes as long.
    let (user_id, hash) = match &found {
        Some((user_id, Some(hash))) => (Some(*user_id), hash.clone()),
        _ => (None, DECOY_HASH.clone()),
    };
    let password_owned = password.to_owned();
    let verified = {
        let _permit = VERIFYING
            .acquire()
            .await
            .map_err(|_| UiError::BadRequest("The server is shutting down.".to_owned()))?;
        tokio::task::spawn_blocking(move || verify_password(&hash, &password_owned))
            .await
            .unwrap_or(false)
    };
    let Some(user_id) = user_id.filter(|_| verified) else {
        tracing::info!(client.address = %address, "sign-in failed");
        return Ok(login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            next,
            email,
            Some("Incorrect email or password."),
        ));
    };
    FAILURES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .forget(&account_key(email));
    // A sign-in over a live session ends that one: one browser, one session.
    if let Some(previous) = cookie(&headers, SESSION_COOKIE) {
        sessions::revoke(&state.pool, previous).await?;
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let session = sessions::start(
        &state.pool,
        user_id,
        Some(&address).filter(|a| !a.is_empty()).map(String::as_str),
        user_agent,
        chrono::Duration::days(SESSION_DAYS),
    )
    .await?;
    tracing::info!(user.id = user_id, "signed in");
    let mut response = Redirect::to(next).into_response();
    let cookies = [
        set_cookie(
            SESSION_COOKIE,
            &session.secret,
            "/",
            SESSION_DAYS * 86_400,
            secure(&state),
        ),
        set_cookie(LOGIN_CSRF_COOKIE, "", "/auth/", 0, secure(&state)),
    ];
    for value in cookies {
        if let Ok(value) = value.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// `POST /auth/logout/`: ends the session on the server, so its cookie no longer
/// works anywhere.
pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form)?;
    sessions::revoke(&state.pool, &viewer.secret).await?;
    tracing::info!(user.id = viewer.caller.user_id(), "signed out");
    let mut response = Redirect::to("/auth/login/").into_response();
    if let Ok(value) = set_cookie(SESSION_COOKIE, "", "/", 0, secure(&state)).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}
