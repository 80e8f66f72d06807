//! Command line and environment configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use faultline_domain::project::RateLimit;

/// Faultline: a Sentry-compatible error tracker.
#[derive(Debug, Parser)]
#[command(name = "faultline", version, about)]
pub struct Cli {
    /// Settings every subcommand shares.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Commands,
}

/// Settings shared by every subcommand: they all use the same database.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// PostgreSQL to use. Without it, Faultline runs its own cluster in the data dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where Faultline keeps its own PostgreSQL cluster (when DATABASE_URL is unset).
    #[arg(
        long,
        env = "FAULTLINE_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Log format on stderr (the filter comes from RUST_LOG).
    #[arg(
        long,
        env = "FAULTLINE_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run the HTTP server, the projections and the background jobs.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Rebuild read models from the start of the log into fresh tables while the
    /// server keeps serving the old ones, then swap them in (resumes an interrupted run).
    Replay(ReplayArgs),
    /// Rebuild read models into shadow tables and compare them row by row with the live
    /// ones: exit 0 when identical, 1 (printing the differing rows) when not.
    Verify(VerifyArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage a standalone PostgreSQL cluster (used by the test script).
    #[command(subcommand)]
    Postgres(PostgresCommand),
    /// Read the event log: one aggregate's history, or an NDJSON export.
    #[command(subcommand)]
    Log(crate::log_tools::LogCommand),
    /// Print an aggregate's state as pretty JSON, now or as it was at a time.
    State(crate::log_tools::StateArgs),
    /// Erase a person's data from an organization's stored events.
    #[command(subcommand)]
    Forget(crate::erasure::ForgetCommand),
    /// What the log stores against each project's retention.
    #[command(subcommand)]
    Retention(crate::retention::RetentionCommand),
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FAULTLINE_BIND", default_value = "127.0.0.1:9000")]
    pub bind: SocketAddr,
    /// URL users reach Faultline at, used in DSNs and permalinks
    /// [default: http://<bind address>].
    #[arg(long, env = "FAULTLINE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Create an admin, a default organization, project and DSN on the first start
    /// [default: when stdin and stdout are a terminal].
    #[arg(long, env = "FAULTLINE_BOOTSTRAP")]
    pub bootstrap: Option<BoolFlag>,
    /// Longest time one HTTP request may take, body upload included, in seconds
    /// (`30`, `1.5`, `30s`): a body still arriving then gets 408, slow work 503.
    #[arg(long, env = "FAULTLINE_REQUEST_TIMEOUT", default_value = "30", value_parser = seconds)]
    pub request_timeout: Duration,
    /// At most COUNT events per project in each window of SECONDS, across every
    /// process on this database (`<count>/<seconds>`, e.g. `1000/60`); 429 beyond
    /// [default: no limit].
    #[arg(long, env = "FAULTLINE_PROJECT_RATE_LIMIT", value_parser = rate_limit)]
    pub project_rate_limit: Option<RateLimit>,
    /// Memory for parsed source maps, in MiB (least recently used maps leave first).
    #[arg(long, env = "FAULTLINE_SOURCEMAP_CACHE_MB", default_value = "256")]
    pub sourcemap_cache_mb: u64,
    /// Largest source map artifact bundle, in MiB: assembled, and unpacked.
    #[arg(long, env = "FAULTLINE_MAX_BUNDLE_MB", default_value = "256")]
    pub max_bundle_mb: u64,
    /// Serve Prometheus metrics (`GET /metrics`) on this address instead of on the
    /// main one [default: `/metrics` on the main address, without authentication].
    #[arg(long, env = "FAULTLINE_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Notification delivery: SMTP, webhooks, timeouts and retries.
    #[command(flatten)]
    pub notifications: NotificationArgs,
    /// How long ingested events are kept.
    #[command(flatten)]
    pub retention: RetentionArgs,
    /// Seconds between retention passes (one process at a time runs them).
    #[arg(long, env = "FAULTLINE_RETENTION_INTERVAL", default_value = "3600", value_parser = seconds)]
    pub retention_interval: Duration,
}

/// The server-wide retention, shared by `serve` and `retention`.
#[derive(Debug, Clone, Args)]
pub struct RetentionArgs {
    /// Days ingested events are kept in projects that set no retention of their own
    /// (a project's `eventRetentionDays`), 1 to 3650.
    #[arg(long, env = "FAULTLINE_EVENT_RETENTION_DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub event_retention_days: u32,
}

/// How `serve` delivers notifications (docs/alerts.md).
#[derive(Debug, Clone, Args)]
pub struct NotificationArgs {
    /// SMTP server for alert emails: `smtp://user:pass@host:port` (plain, for a relay
    /// on this machine), `smtp://...?tls=starttls` (STARTTLS required) or
    /// `smtps://...` (TLS) [default: none; emails wait and are retried].
    #[arg(long, env = "FAULTLINE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of alert emails (`alerts@example.com` or `Faultline <alerts@example.com>`).
    #[arg(
        long,
        env = "FAULTLINE_EMAIL_FROM",
        default_value = "faultline@localhost"
    )]
    pub email_from: String,
    /// Most alert emails one address gets per hour; the rest are dropped.
    #[arg(long, env = "FAULTLINE_EMAIL_HOURLY_CAP", default_value_t = 20)]
    pub email_hourly_cap: u32,
    /// Let webhooks (and Slack, Discord, service hooks) go to loopback, private,
    /// link-local and other non-public addresses.
    #[arg(long, env = "FAULTLINE_ALLOW_PRIVATE_WEBHOOKS", value_parser = BoolishValueParser::new())]
    pub allow_private_webhooks: bool,
    /// Longest time one notification attempt may take, in seconds (`10`, `2.5s`).
    #[arg(long, env = "FAULTLINE_NOTIFICATION_TIMEOUT", default_value = "10", value_parser = seconds)]
    pub notification_timeout: Duration,
    /// How long after its creation a notification is retried before it is given up,
    /// in seconds (`86400`, `3600s`).
    #[arg(long, env = "FAULTLINE_NOTIFICATION_RETRY_HORIZON", default_value = "86400", value_parser = seconds)]
    pub notification_retry_horizon: Duration,
}

impl NotificationArgs {
    /// The delivery worker's configuration.
    pub fn config(&self) -> faultline_notify::Config {
        faultline_notify::Config {
            smtp_url: self.smtp_url.clone(),
            email_from: self.email_from.clone(),
            email_hourly_cap: self.email_hourly_cap,
            allow_private: self.allow_private_webhooks,
            timeout: self.notification_timeout,
            retry_horizon: self.notification_retry_horizon,
        }
    }
}

/// `<count>/<seconds>`, both above zero.
fn rate_limit(value: &str) -> Result<RateLimit, String> {
    let parsed = value.split_once('/').and_then(|(count, window)| {
        Some(RateLimit {
            count: count.trim().parse().ok().filter(|c| *c > 0)?,
            window: window.trim().parse().ok().filter(|w| *w > 0)?,
        })
    });
    parsed.ok_or_else(|| format!("expected <count>/<seconds>, e.g. 1000/60, got {value:?}"))
}

/// A positive number of seconds, optionally suffixed with `s`.
fn seconds(value: &str) -> Result<Duration, String> {
    let number = value.trim().trim_end_matches('s');
    number
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("expected a positive number of seconds, got {value:?}"))
}

impl ServeArgs {
    /// The public URL, without a trailing slash.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }
}

/// `faultline postgres ...`.
#[derive(Debug, Subcommand)]
pub enum PostgresCommand {
    /// Start (or reuse) a cluster in DIR and print its DATABASE_URL on stdout.
    Start {
        /// Cluster directory (the cluster lives in DIR/postgres).
        #[arg(long)]
        dir: PathBuf,
        /// Throwaway settings for tests (fsync off).
        #[arg(long)]
        throwaway: bool,
    },
    /// Stop the cluster in DIR.
    Stop {
        /// Cluster directory.
        #[arg(long)]
        dir: PathBuf,
    },
}

/// `faultline user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print one new auth token (and nothing else) on stdout.
    Create {
        /// The user's email address.
        #[arg(long)]
        email: String,
        /// The user's display name [default: the email address].
        #[arg(long)]
        name: Option<String>,
        /// Make the user a superuser (sees and administers every organization).
        #[arg(long)]
        superuser: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_may_be_fractional_and_carry_an_s() {
        assert_eq!(seconds("30"), Ok(Duration::from_secs(30)));
        assert_eq!(seconds("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(seconds("0").is_err());
        assert!(seconds("-1").is_err());
        assert!(seconds("soon").is_err());
    }

    fn serve_args(args: &[&str]) -> ServeArgs {
        let cli = Cli::try_parse_from([&["faultline", "serve"], args].concat()).unwrap();
        match cli.command {
            Commands::Serve(serve) => serve,
            other => panic!("parsed {other:?}"),
        }
    }

    #[test]
    fn notification_settings_have_defaults_and_flags() {
        let defaults = serve_args(&[]).notifications.config();
        let set = serve_args(&[
            "--allow-private-webhooks",
            "--notification-timeout",
            "2.5",
            "--notification-retry-horizon",
            "60s",
            "--email-hourly-cap",
            "3",
        ])
        .notifications
        .config();

        assert!(!defaults.allow_private);
        assert_eq!(defaults.timeout, Duration::from_secs(10));
        assert_eq!(defaults.retry_horizon, Duration::from_secs(86_400));
        assert_eq!(defaults.email_hourly_cap, 20);
        assert!(set.allow_private);
        assert_eq!(set.timeout, Duration::from_millis(2500));
        assert_eq!(set.retry_horizon, Duration::from_secs(60));
        assert_eq!(set.email_hourly_cap, 3);
    }

    #[test]
    fn a_rate_limit_is_count_slash_seconds() {
        assert_eq!(
            rate_limit("1000/60"),
            Ok(RateLimit {
                count: 1000,
                window: 60
            })
        );
        assert!(rate_limit("0/60").is_err());
        assert!(rate_limit("10/0").is_err());
        assert!(rate_limit("10").is_err());
    }
}

/// A boolean given as `1/0`, `true/false`, `yes/no`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoolFlag(pub bool);

impl std::str::FromStr for BoolFlag {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(BoolFlag(true)),
            "0" | "false" | "no" | "off" | "" => Ok(BoolFlag(false)),
            other => Err(format!("expected 1 or 0, got {other:?}")),
        }
    }
}

/// Which read models a replay or verify works on.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ProjectionSelection {
    /// A read model by name (repeatable): users, organizations, projects, issues, ...
    #[arg(long = "projection", value_name = "NAME")]
    pub names: Vec<String>,
    /// Every read model.
    #[arg(long)]
    pub all: bool,
}

/// Options of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// What to rebuild.
    #[command(flatten)]
    pub selection: ProjectionSelection,
    /// Events per transaction of the rebuild: larger batches fold more events of one
    /// issue into one row change (up to ~8 KB of memory per event of a batch).
    #[arg(long, default_value_t = 50_000)]
    pub batch_size: i64,
    /// Start over instead of resuming an interrupted rebuild.
    #[arg(long)]
    pub fresh: bool,
    /// Stop (as if interrupted) once this many events were applied in this run,
    /// leaving the rebuild to be resumed: for testing resumption.
    #[arg(long, hide = true)]
    pub stop_after: Option<i64>,
}

/// Options of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// What to verify.
    #[command(flatten)]
    pub selection: ProjectionSelection,
    /// Events per transaction of the rebuild: larger batches fold more events of one
    /// issue into one row change (up to ~8 KB of memory per event of a batch).
    #[arg(long, default_value_t = 50_000)]
    pub batch_size: i64,
    /// Differing rows to print per table and side.
    #[arg(long, default_value_t = 20)]
    pub max_rows: i64,
}
