//! Why a monitor command was refused.

/// A refusal of a [`MonitorCommand`](super::MonitorCommand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonitorError {
    /// The monitor does not exist (or was deleted) and the command cannot create it.
    #[error("monitor not found")]
    NotFound,
    /// A create for a slug that already has a live monitor.
    #[error("A monitor with this slug already exists.")]
    SlugTaken,
    /// A check-in for a monitor of another project of the organization.
    #[error("The monitor belongs to another project.")]
    OtherProject,
    /// The schedule cannot be read.
    #[error("Invalid schedule: {0}")]
    InvalidSchedule(String),
    /// A margin, runtime, threshold or time zone out of bounds.
    #[error("Invalid monitor config: {0}")]
    InvalidConfig(String),
    /// An empty or too long name.
    #[error("A monitor name is 1 to 128 characters.")]
    InvalidName,
    /// An environment name Sentry refuses.
    #[error("Enter a valid environment name.")]
    InvalidEnvironment,
    /// A check-in for a disabled monitor: dropped, as Sentry does.
    #[error("The monitor is disabled.")]
    Disabled,
    /// A check-in a client sent that cannot be read.
    #[error("Invalid check-in: {0}")]
    InvalidCheckIn(String),
}
