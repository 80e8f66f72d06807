//! The one mapping from failures to HTTP responses.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Everything a handler can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with `{"detail": ...}`.
    #[error("{0}")]
    BadRequest(String),
    /// 400 with DRF-style field errors, e.g. `{"slug": ["..."]}`.
    #[error("invalid fields")]
    Fields(Value),
    /// 401: no or bad credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated, but lacking the scope.
    #[error("You do not have permission to perform this action.")]
    Forbidden,
    /// 403 with a specific reason (a rule, not a scope, forbids it).
    #[error("{0}")]
    ForbiddenBecause(String),
    /// 404: unknown, or not the caller's to see.
    #[error("The requested resource does not exist")]
    NotFound,
    /// 405: the path exists, the method does not (the method as sent).
    #[error("Method \"{0}\" not allowed.")]
    MethodNotAllowed(String),
    /// 409: a uniqueness rule or a concurrent change.
    #[error("{0}")]
    Conflict(String),
    /// 413: a body or an item over its size limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 429: a rate limit or quota; `limits` is the `X-Sentry-Rate-Limits` value.
    #[error("event submission rejected: rate limited")]
    RateLimited {
        /// Seconds until the limit resets.
        retry_after: u64,
        /// `retry_after:categories:scope:reason_code`.
        limits: String,
    },
    /// 503: the database is unreachable; retry.
    #[error("service unavailable, retry later")]
    Unavailable,
    /// The request outlived the request timeout: 408 while its body was still
    /// arriving (the client is slow), 503 once it had arrived (we are).
    #[error("{}", timed_out_message(*body_received, *after))]
    TimedOut {
        /// Whether the whole request body had been received.
        body_received: bool,
        /// The timeout.
        after: std::time::Duration,
    },
    /// 500: a bug or a store failure; logged, never echoed.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// An internal failure from any error.
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Box::new(error))
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::Fields(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::ForbiddenBecause(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TimedOut {
                body_received: false,
                ..
            } => StatusCode::REQUEST_TIMEOUT,
            ApiError::TimedOut { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if database_unavailable(&error) {
            tracing::debug!(%error, "database unavailable");
            ApiError::Unavailable
        } else {
            ApiError::internal(error)
        }
    }
}

/// Whether `error` means the database is (for now) out of reach rather than that the
/// query is wrong: the same classification as the projection runner's transient errors.
fn database_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutting down,
        // crashed, starting up: what a stopping or restarting server answers), and
        // class 53 (insufficient resources: disk full, out of memory, too many
        // connections), which pass once the operator or the load frees them.
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| {
                code.starts_with("08")
                    || code.starts_with("53")
                    || matches!(&*code, "57P01" | "57P02" | "57P03")
            }) || faultline_projections::error::citus_worker_lost(db.as_ref())
        }
        _ => false,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(error) = &self {
            let mut chain = String::new();
            let mut source = error.source();
            while let Some(cause) = source {
                chain.push_str(&cause.to_string());
                chain.push_str("; ");
                source = cause.source();
            }
            tracing::error!(error.message = %error, error.cause_chain = %chain, "request failed");
        }
        let rate_limit = match &self {
            ApiError::RateLimited {
                retry_after,
                limits,
            } => Some((retry_after.to_string(), limits.clone())),
            _ => None,
        };
        let body = match self {
            ApiError::Fields(fields) => fields,
            other => json!({ "detail": other.to_string() }),
        };
        let mut response = (status, Json(body)).into_response();
        if let Some((retry_after, limits)) = rate_limit {
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(&retry_after) {
                headers.insert(header::RETRY_AFTER, value);
            }
            if let Ok(value) = HeaderValue::from_str(&limits) {
                headers.insert("x-sentry-rate-limits", value);
            }
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

fn timed_out_message(body_received: bool, after: std::time::Duration) -> String {
    let seconds = after.as_secs_f64();
    if body_received {
        format!("request took longer than {seconds} s, retry later")
    } else {
        format!("request body not received within {seconds} s")
    }
}

/// How a domain refusal reads over HTTP.
pub trait Refusal: std::error::Error + Send + Sync + 'static {
    /// The response for this refusal.
    fn to_api_error(&self) -> ApiError;
}

impl Refusal for faultline_domain::organization::OrganizationError {
    fn to_api_error(&self) -> ApiError {
        use faultline_domain::organization::OrganizationError::*;
        match self {
            NotFound | OrganizationDeleted | MemberNotFound(_) | TeamNotFound(_) => {
                ApiError::NotFound
            }
            AlreadyExists | TeamAlreadyExists(_) => ApiError::Conflict(self.to_string()),
            TeamSlugTaken(_) => ApiError::Conflict("A team with this slug already exists.".into()),
            MemberAlreadyExists => {
                ApiError::Conflict("This user is already a member of the organization.".into())
            }
            AlreadyTeamMember | NotTeamMember | EmptyName => ApiError::BadRequest(self.to_string()),
            LastOwner => ApiError::ForbiddenBecause(
                "You cannot remove the only remaining owner of the organization.".into(),
            ),
        }
    }
}

impl Refusal for faultline_domain::project::ProjectError {
    fn to_api_error(&self) -> ApiError {
        use faultline_domain::project::ProjectError::*;
        match self {
            NotFound | ProjectDeleted | ClientKeyNotFound | ClientKeyRevoked => ApiError::NotFound,
            AlreadyExists | ClientKeyAlreadyExists => ApiError::Conflict(self.to_string()),
            TeamAlreadyAdded(_) | TeamNotAdded(_) | EmptyName | InvalidKey | InvalidRateLimit => {
                ApiError::BadRequest(self.to_string())
            }
            InvalidRetentionDays => {
                crate::fields::field_error("eventRetentionDays", &self.to_string())
            }
            InvalidMaxEvents => crate::fields::field_error("maxStoredEvents", &self.to_string()),
            InvalidGroupingRules { field, message } => crate::fields::field_error(field, message),
        }
    }
}

impl Refusal for faultline_domain::issue::IssueError {
    fn to_api_error(&self) -> ApiError {
        use faultline_domain::issue::IssueError::*;
        match self {
            NotCreated | NotFound | Deleted | Merged { .. } | CommentNotFound => ApiError::NotFound,
            NotCommentAuthor => ApiError::ForbiddenBecause(self.to_string()),
            EmptyComment | InvalidIgnore | MergeIntoSelf => ApiError::BadRequest(self.to_string()),
            CommentExists | NotExpired => ApiError::Conflict(self.to_string()),
        }
    }
}

impl Refusal for faultline_domain::user::UserError {
    fn to_api_error(&self) -> ApiError {
        use faultline_domain::user::UserError::*;
        match self {
            NotFound | TokenNotFound(_) | TokenAlreadyRevoked(_) => ApiError::NotFound,
            AlreadyExists | TokenAlreadyExists(_) => ApiError::Conflict(self.to_string()),
            EmptyScopes | InvalidTokenHash => ApiError::BadRequest(self.to_string()),
            // The server hashes every password itself: a bug if the hash is malformed.
            InvalidPasswordHash => ApiError::internal(self.clone()),
        }
    }
}

impl Refusal for faultline_domain::alert::WorkflowError {
    fn to_api_error(&self) -> ApiError {
        use faultline_domain::alert::WorkflowError::*;
        match self {
            NotFound | WorkflowDeleted => ApiError::NotFound,
            AlreadyExists => ApiError::Conflict(self.to_string()),
            Invalid(error) => crate::fields::field_error(error.field, &error.message),
            // The API passes a fresh secret for every webhook action: a bug if not.
            MissingSecret => ApiError::internal(self.clone()),
        }
    }
}

impl Refusal for faultline_domain::service_hook::ServiceHookError {
    fn to_api_error(&self) -> ApiError {
        use faultline_domain::service_hook::ServiceHookError::*;
        match self {
            NotFound | HookDeleted => ApiError::NotFound,
            AlreadyExists => ApiError::Conflict(self.to_string()),
            InvalidUrl => crate::fields::field_error("url", &self.to_string()),
            UnknownEvent(_) => crate::fields::field_error("events", &self.to_string()),
            // The API makes the id and the secret: a bug if they are malformed.
            InvalidId | InvalidSecret => ApiError::internal(self.clone()),
        }
    }
}

impl Refusal for faultline_domain::release::ReleaseError {
    fn to_api_error(&self) -> ApiError {
        use faultline_domain::release::ReleaseError::*;
        match self {
            NotFound => ApiError::NotFound,
            InvalidVersion(_) => crate::fields::field_error("version", &self.to_string()),
            NoProjects => crate::fields::field_error("projects", &self.to_string()),
            InvalidEnvironment => crate::fields::field_error("environment", &self.to_string()),
            ProjectNotInRelease(_) => crate::fields::field_error("projects", &self.to_string()),
            InvalidCommit => crate::fields::field_error("commits", &self.to_string()),
        }
    }
}

impl Refusal for faultline_domain::artifact_bundle::ArtifactBundleError {
    fn to_api_error(&self) -> ApiError {
        use faultline_domain::artifact_bundle::ArtifactBundleError::*;
        match self {
            NotFound => ApiError::NotFound,
            NoProjects | Empty => ApiError::BadRequest(self.to_string()),
        }
    }
}

impl Refusal for faultline_domain::monitor::MonitorError {
    fn to_api_error(&self) -> ApiError {
        use faultline_domain::monitor::MonitorError::*;
        match self {
            NotFound => ApiError::NotFound,
            SlugTaken => crate::fields::field_error("slug", &self.to_string()),
            InvalidSchedule(_) | InvalidConfig(_) => {
                crate::fields::field_error("config", &self.to_string())
            }
            InvalidName => crate::fields::field_error("name", &self.to_string()),
            InvalidEnvironment => crate::fields::field_error("environment", &self.to_string()),
            OtherProject | Disabled | InvalidCheckIn(_) => ApiError::BadRequest(self.to_string()),
        }
    }
}

impl<E: Refusal> From<faultline_commands::CommandError<E>> for ApiError {
    fn from(error: faultline_commands::CommandError<E>) -> Self {
        use faultline_commands::CommandError;
        match error {
            CommandError::Refused(refusal) => refusal.to_api_error(),
            CommandError::Conflict => ApiError::Unavailable,
            CommandError::Taken { scope, .. } => ApiError::Conflict(taken_message(&scope)),
            CommandError::Store(faultline_commands::StoreError::Database(db)) => db.into(),
            CommandError::Store(other) => ApiError::internal(other),
        }
    }
}

fn taken_message(scope: &str) -> String {
    if scope == faultline_commands::unique::ORG_SLUG {
        "An organization with this slug already exists.".into()
    } else if scope.starts_with("project-slug") {
        "A project with this slug already exists.".into()
    } else if scope == faultline_commands::unique::USER_EMAIL {
        "A user with this email already exists.".into()
    } else {
        "This value is already taken.".into()
    }
}

impl From<faultline_commands::StoreError> for ApiError {
    fn from(error: faultline_commands::StoreError) -> Self {
        match error {
            faultline_commands::StoreError::Database(db) => db.into(),
            other => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_is_unavailable_and_a_bad_query_is_internal() {
        let lost = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        let bad = sqlx::Error::ColumnNotFound("x".into());
        assert!(matches!(ApiError::from(lost), ApiError::Unavailable));
        assert!(matches!(
            ApiError::from(sqlx::Error::PoolTimedOut),
            ApiError::Unavailable
        ));
        assert!(matches!(ApiError::from(bad), ApiError::Internal(_)));
    }
}
