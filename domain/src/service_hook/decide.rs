//! The service hook's rules: which events a command causes, if any.

use super::{ServiceHook, ServiceHookCommand, ServiceHookError, ServiceHookEvent, HOOK_EVENTS};
use crate::alert::definition::is_http_url;

type Decision = Result<Vec<ServiceHookEvent>, ServiceHookError>;

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The URL and the events if they are valid, the events sorted without repeats.
fn checked(
    url: String,
    mut events: Vec<String>,
) -> Result<(String, Vec<String>), ServiceHookError> {
    if !is_http_url(&url) {
        return Err(ServiceHookError::InvalidUrl);
    }
    if let Some(unknown) = events.iter().find(|e| !HOOK_EVENTS.contains(&e.as_str())) {
        return Err(ServiceHookError::UnknownEvent(unknown.clone()));
    }
    events.sort();
    events.dedup();
    Ok((url, events))
}

impl ServiceHook {
    /// Decides which events a command causes, without changing the hook.
    pub fn decide(&self, cmd: ServiceHookCommand) -> Decision {
        use ServiceHookCommand::*;
        if self.deleted {
            return Err(ServiceHookError::HookDeleted);
        }
        match (&self.hook_id, cmd) {
            (Some(_), CreateServiceHook { .. }) => Err(ServiceHookError::AlreadyExists),
            (None, create @ CreateServiceHook { .. }) => created(create),
            (None, _) => Err(ServiceHookError::NotFound),
            (Some(hook_id), UpdateServiceHook { url, events }) => {
                let (url, events) = checked(url, events)?;
                if url == self.url && events == self.events {
                    return Ok(vec![]);
                }
                Ok(vec![ServiceHookEvent::ServiceHookUpdated {
                    hook_id: hook_id.clone(),
                    org_id: self.org_id,
                    project_id: self.project_id,
                    url,
                    events,
                }])
            }
            (Some(hook_id), DeleteServiceHook) => Ok(vec![ServiceHookEvent::ServiceHookDeleted {
                hook_id: hook_id.clone(),
                org_id: self.org_id,
                project_id: self.project_id,
            }]),
        }
    }
}

fn created(create: ServiceHookCommand) -> Decision {
    let ServiceHookCommand::CreateServiceHook {
        hook_id,
        org_id,
        project_id,
        url,
        events,
        secret,
    } = create
    else {
        return Err(ServiceHookError::NotFound);
    };
    if !is_lower_hex(&hook_id, 32) {
        return Err(ServiceHookError::InvalidId);
    }
    if !is_lower_hex(&secret, 64) {
        return Err(ServiceHookError::InvalidSecret);
    }
    let (url, events) = checked(url, events)?;
    Ok(vec![ServiceHookEvent::ServiceHookCreated {
        hook_id,
        org_id,
        project_id,
        url,
        events,
        secret,
    }])
}
