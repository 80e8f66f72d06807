//! What a page answers when it cannot show what was asked: an HTML page with the
//! right status (404 for anything the viewer may not see, as the API answers), and for
//! a failure the request id a person can quote to whoever runs the server.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::layout::bare_page;
use crate::error::ApiError;

tokio::task_local! {
    /// The request id of the page being rendered, for the error page.
    pub static REQUEST_ID: Option<String>;
}

/// Why a page is not shown.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// Not signed in: go to the login page, then come back to `next`.
    #[error("sign in first")]
    SignIn {
        /// The path and query to return to.
        next: String,
    },
    /// 404: unknown, or not the viewer's to see.
    #[error("not found")]
    NotFound,
    /// 403: the viewer's role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// 403: a form came without the session's CSRF token.
    #[error("CSRF check failed")]
    Csrf,
    /// 400: the request names something invalid.
    #[error("{0}")]
    BadRequest(String),
    /// 500 (or 503): logged with its cause, shown with the request id.
    #[error("{0}")]
    Failed(ApiError),
}

impl From<ApiError> for UiError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::NotFound => UiError::NotFound,
            ApiError::Forbidden => UiError::Forbidden("Your role does not allow this.".to_owned()),
            ApiError::ForbiddenBecause(reason) => UiError::Forbidden(reason),
            ApiError::BadRequest(detail) => UiError::BadRequest(detail),
            ApiError::Conflict(detail) => UiError::BadRequest(detail),
            ApiError::Fields(fields) => UiError::BadRequest(field_errors(&fields)),
            other => UiError::Failed(other),
        }
    }
}

impl From<sqlx::Error> for UiError {
    fn from(error: sqlx::Error) -> Self {
        UiError::Failed(ApiError::from(error))
    }
}

/// DRF-style field errors (`{"field": ["message"]}`) as one sentence.
fn field_errors(fields: &serde_json::Value) -> String {
    let Some(map) = fields.as_object() else {
        return fields.to_string();
    };
    map.iter()
        .map(|(field, messages)| {
            let text = messages
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(|| messages.to_string());
            format!("{field}: {text}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            UiError::SignIn { next } => {
                let target = format!("/auth/login/?next={}", super::forms::encode(&next));
                return Redirect::to(&target).into_response();
            }
            UiError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it is not yours to see.".to_owned(),
            ),
            UiError::Forbidden(reason) => (StatusCode::FORBIDDEN, "Forbidden", reason),
            UiError::Csrf => (
                StatusCode::FORBIDDEN,
                "Forbidden",
                "CSRF check failed: reload the page and try again.".to_owned(),
            ),
            UiError::BadRequest(detail) => (StatusCode::BAD_REQUEST, "Bad request", detail),
            UiError::Failed(error) => {
                // The API error logs the cause once, with the request's span.
                let status = error.into_response().status();
                (
                    status,
                    "Something went wrong",
                    "The server could not show this page.".to_owned(),
                )
            }
        };
        let request_id = REQUEST_ID.try_with(Clone::clone).ok().flatten();
        let body = bare_page(
            title,
            html! {
                h1 { (title) }
                p { (message) }
                @if let Some(id) = request_id {
                    p { "Request id: " code id="request-id" { (id) } }
                }
                p { a href="/" { "Back to Faultline" } }
            },
        );
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
