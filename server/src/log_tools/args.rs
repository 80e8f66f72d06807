//! Arguments of the log tools.

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand, ValueEnum};

/// `faultline log ...`.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Print one aggregate's history: position, time, actor, event type, summary.
    Show {
        /// The aggregate type.
        aggregate: AggregateArg,
        /// Its id: organization id or slug; project id or ORG/PROJECT; issue id,
        /// short id (BACKEND-1A) or stream id; user id or email.
        id: String,
    },
    /// Write events with their metadata as NDJSON on stdout, in log order.
    Export(ExportArgs),
}

/// Options of `log export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only this organization's streams (slug or id): the organization, its
    /// projects, their issues (deleted ones too) and the users ever its members.
    #[arg(long)]
    pub org: Option<String>,
    /// Only events recorded at or after TIME (RFC 3339, or a date: its midnight UTC).
    #[arg(long, value_parser = parse_time)]
    pub since: Option<DateTime<Utc>>,
    /// Only events recorded at or before TIME (RFC 3339, or a date: its midnight UTC).
    #[arg(long, value_parser = parse_time)]
    pub until: Option<DateTime<Utc>>,
    /// Only these event types (IssueResolved) or aggregate types (issue), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub types: Vec<String>,
}

/// Options of `state`.
#[derive(Debug, Args)]
pub struct StateArgs {
    /// The aggregate type.
    pub aggregate: AggregateArg,
    /// Its id, as for `log show`.
    pub id: String,
    /// The state after the events recorded at or before TIME (RFC 3339, or a date:
    /// its midnight UTC) [default: now].
    #[arg(long, value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
}

/// The aggregate types with a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AggregateArg {
    /// An organization, its members and teams.
    #[value(alias = "org")]
    Organization,
    /// A project and its client keys.
    Project,
    /// An issue: its occurrences and workflow.
    Issue,
    /// A user account and its tokens.
    User,
    /// A release and its deploys (`org-slug/version`).
    Release,
    /// A source map bundle (`org-slug/bundle-id` or `org-slug/sha1-of-the-zip`).
    ArtifactBundle,
}

impl AggregateArg {
    /// The aggregate type as stored in the log.
    pub fn aggregate_type(self) -> &'static str {
        match self {
            AggregateArg::Organization => "organization",
            AggregateArg::Project => "project",
            AggregateArg::Issue => "issue",
            AggregateArg::User => "user",
            AggregateArg::Release => "release",
            AggregateArg::ArtifactBundle => "artifact_bundle",
        }
    }
}

/// An RFC 3339 time, or a date (`2026-01-10`) meaning its midnight UTC.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
        .ok_or_else(|| format!("expected an RFC 3339 time or a date (YYYY-MM-DD), got {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_rfc3339_or_a_date_at_midnight_utc() {
        assert_eq!(
            parse_time("2026-01-10T13:00:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-01-10T12:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-01-10").unwrap().to_rfc3339(),
            "2026-01-10T00:00:00+00:00"
        );
        assert!(parse_time("yesterday").is_err());
    }
}
