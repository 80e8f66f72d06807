//! Commands on a service hook.

/// A request to change a service hook. The id and the secret are decided by the
/// caller; whether the project belongs to the organization is checked by the caller
/// against the read models.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceHookCommand {
    /// Register the hook on a project.
    CreateServiceHook {
        /// 32 lowercase hex characters.
        hook_id: String,
        /// The project's organization.
        org_id: i64,
        /// The project.
        project_id: i64,
        /// Where it posts: an `http` or `https` URL.
        url: String,
        /// What it is sent on: names out of [`HOOK_EVENTS`](super::HOOK_EVENTS).
        events: Vec<String>,
        /// The signing secret: 64 lowercase hex characters.
        secret: String,
    },
    /// Change the URL and the events; unchanged values change nothing.
    UpdateServiceHook {
        /// The new URL.
        url: String,
        /// The new events.
        events: Vec<String>,
    },
    /// Remove the hook; it then refuses every command.
    DeleteServiceHook,
}
