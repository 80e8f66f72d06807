//! Why a service hook command was refused.

/// A refusal of a [`ServiceHookCommand`](super::ServiceHookCommand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceHookError {
    /// `CreateServiceHook` on a hook that already exists.
    #[error("service hook already exists")]
    AlreadyExists,
    /// A command on a hook that was never created.
    #[error("service hook not found")]
    NotFound,
    /// A command on a removed hook.
    #[error("service hook has been removed")]
    HookDeleted,
    /// The id is not 32 lowercase hex characters.
    #[error("a service hook id is 32 lowercase hex characters")]
    InvalidId,
    /// The secret is not 64 lowercase hex characters.
    #[error("a service hook secret is 64 lowercase hex characters")]
    InvalidSecret,
    /// The URL is not an `http` or `https` URL with a host.
    #[error("Enter a valid URL.")]
    InvalidUrl,
    /// An event name outside [`HOOK_EVENTS`](super::HOOK_EVENTS).
    #[error("Invalid event name: {0}")]
    UnknownEvent(String),
}
