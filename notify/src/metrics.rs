//! The delivery metrics, recorded through the `metrics` facade (the server installs
//! the Prometheus recorder). Labels take values from fixed sets: the channel names
//! and the four outcomes.

use std::time::Duration;

use crate::channels::Channel;

/// Notification attempts by channel and outcome (`delivered`, `retrying`, `failed`,
/// `dropped`).
pub const NOTIFICATIONS: &str = "faultline_notifications_total";
/// How long one attempt took, from sending to the answer, by channel.
pub const DELIVERY_SECONDS: &str = "faultline_notification_delivery_seconds";

/// What became of a notification after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Sent and taken.
    Delivered,
    /// Failed, another attempt is scheduled.
    Retrying,
    /// Given up.
    Failed,
    /// Not sent on purpose (the hourly email cap).
    Dropped,
}

impl Outcome {
    /// Its label value.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Retrying => "retrying",
            Outcome::Failed => "failed",
            Outcome::Dropped => "dropped",
        }
    }
}

/// Describes the metrics to the installed recorder.
pub fn describe() {
    metrics::describe_counter!(
        NOTIFICATIONS,
        "Notification attempts by channel and outcome: delivered, retrying (another attempt is scheduled), failed (given up), dropped (over the hourly email cap)"
    );
    metrics::describe_histogram!(
        DELIVERY_SECONDS,
        metrics::Unit::Seconds,
        "How long one notification attempt took, from sending to the receiver's answer, by channel"
    );
}

/// Counts one attempt's outcome, and its duration when something was sent.
pub fn record(channel: Channel, outcome: Outcome, took: Option<Duration>) {
    metrics::counter!(NOTIFICATIONS, "channel" => channel.name(), "outcome" => outcome.label())
        .increment(1);
    if let Some(took) = took {
        metrics::histogram!(DELIVERY_SECONDS, "channel" => channel.name())
            .record(took.as_secs_f64());
    }
}
