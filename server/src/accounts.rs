//! `faultline user create` and the first-start bootstrap.

use std::io::IsTerminal;
use std::time::Duration;

use faultline_commands::accounts::{bootstrap, create_user_with_token};
use faultline_commands::CommandBus;
use faultline_domain::dsn::public_dsn;
use faultline_domain::metadata::EventMetadata;
use faultline_projections::registry;
use faultline_projections::runner::catch_up;
use sqlx::PgPool;

/// How long the CLI waits for a running server to project what it wrote.
const CATCH_UP: Duration = Duration::from_secs(10);

/// Creates a user with a token; prints only the token on stdout.
pub async fn create_user(
    pool: &PgPool,
    email: &str,
    name: Option<&str>,
    superuser: bool,
) -> anyhow::Result<()> {
    let bus = CommandBus::new(pool.clone());
    let metadata = EventMetadata::system("cli", chrono::Utc::now());
    let created =
        create_user_with_token(&bus, email, name.unwrap_or(email), superuser, &metadata).await?;
    if let Some(position) = created.position {
        catch_up(pool, &registry::durable(), "user", position, CATCH_UP).await?;
    }
    println!("{}", created.token);
    Ok(())
}

/// Whether this start should bootstrap: asked for, or run from a terminal.
pub fn wanted(flag: Option<bool>) -> bool {
    flag.unwrap_or_else(|| std::io::stdin().is_terminal() && std::io::stdout().is_terminal())
}

/// On an empty database, creates the admin, the default organization, team,
/// project and key, and prints the token and DSN once.
pub async fn bootstrap_if_empty(state: &faultline_api::AppState) -> anyhow::Result<()> {
    let pool = &state.pool;
    let bus = &state.bus;
    let public_url = &*state.public_url;
    let has_users: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM events WHERE aggregate_type = 'user')")
            .fetch_one(pool)
            .await?;
    if has_users {
        return Ok(());
    }
    let metadata = EventMetadata::system("bootstrap", chrono::Utc::now());
    let Some(created) = bootstrap(bus, &metadata).await? else {
        return Ok(());
    };
    // Answer nothing about the new objects until the read models show them.
    for (aggregate_type, position) in &created.positions {
        state.settle(aggregate_type, Some(*position)).await;
    }
    let dsn = public_dsn(public_url, &created.public_key, created.project_id);
    tracing::info!(
        project_id = created.project_id,
        "bootstrap created the admin user and the default project"
    );
    println!("Faultline is set up: user admin@localhost (superuser), organization, team and project \"default\".");
    println!("  API token (shown once): {}", created.token);
    println!("  DSN:                    {dsn}");
    Ok(())
}
