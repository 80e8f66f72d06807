//! `faultline forget user`: erase one person from an organization's stored events
//! (`faultline_api::erasure`).

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};
use faultline_api::erasure::forget_user;
use faultline_commands::CommandBus;
use faultline_domain::erasure::Person;
use faultline_domain::metadata::EventMetadata;
use sqlx::PgPool;

/// `faultline forget ...`.
#[derive(Debug, Subcommand)]
pub enum ForgetCommand {
    /// Erase one person (an SDK's `user`) from an organization's stored events.
    User(ForgetUserArgs),
}

/// Who to forget, and where.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("person").required(true).multiple(false)))]
pub struct ForgetUserArgs {
    /// The organization's slug.
    #[arg(long)]
    pub org: String,
    /// The person's `user.email`.
    #[arg(long, group = "person")]
    pub email: Option<String>,
    /// The person's `user.id`.
    #[arg(long, group = "person")]
    pub id: Option<String>,
    /// The person's address (`user.ip_address` or the request's `REMOTE_ADDR`).
    #[arg(long, group = "person")]
    pub ip: Option<String>,
}

impl ForgetUserArgs {
    fn person(&self) -> Person {
        match (&self.email, &self.id, &self.ip) {
            (Some(email), _, _) => Person::Email(email.clone()),
            (_, Some(id), _) => Person::Id(id.clone()),
            (_, _, Some(ip)) => Person::Ip(ip.clone()),
            _ => unreachable!("clap requires one of them"),
        }
    }
}

/// Runs `faultline forget ...`.
pub async fn run(pool: &PgPool, command: ForgetCommand) -> anyhow::Result<()> {
    let ForgetCommand::User(args) = command;
    let org_id: i64 = sqlx::query_scalar("SELECT id FROM organizations WHERE slug = $1")
        .bind(&args.org)
        .fetch_optional(pool)
        .await?
        .with_context(|| format!("no organization {}", args.org))?;
    let bus = CommandBus::new(pool.clone());
    let metadata = EventMetadata::system("erasure", Utc::now());
    let erased = forget_user(pool, &bus, org_id, &args.person(), &metadata).await?;
    // On Citus a VACUUM reaches every worker: with one down it fails, and the erasure,
    // committed already, stands; autovacuum removes the old row versions later.
    if let Err(error) = faultline_api::erasure::vacuum_after_erasure(pool).await {
        eprintln!("warning: VACUUM after the erasure failed ({error}); autovacuum removes the old row versions later");
    }
    println!(
        "erased the person from {} stored event(s), counted under {} user key(s)",
        erased.events, erased.users
    );
    Ok(())
}
