//! `faultline user create`, `faultline user set-password` and the first-start
//! bootstrap.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use anyhow::Context;
use faultline_commands::accounts::{bootstrap, create_user_with_token};
use faultline_commands::{passwords, sessions, CommandBus};
use faultline_domain::dsn::public_dsn;
use faultline_domain::log_position::LogPosition;
use faultline_domain::metadata::EventMetadata;
use faultline_domain::user::{User, UserCommand};
use faultline_projections::accounts::queries::auth::password_of;
use faultline_projections::registry;
use faultline_projections::runner::catch_up;
use sqlx::PgPool;

/// The partition of the log users are written to.
const USERS: i64 = faultline_commands::placement::NO_ORGANIZATION;
/// How long the CLI waits for a running server to project what it wrote.
const CATCH_UP: Duration = Duration::from_secs(10);

/// The shortest password the CLI accepts, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Creates a user with a token, and sets its password when one is given; prints only
/// the token on stdout.
pub async fn create_user(
    pool: &PgPool,
    email: &str,
    name: Option<&str>,
    superuser: bool,
    password: Option<&str>,
) -> anyhow::Result<()> {
    let bus = CommandBus::new(pool.clone());
    let metadata = EventMetadata::system("cli", chrono::Utc::now());
    let created =
        create_user_with_token(&bus, email, name.unwrap_or(email), superuser, &metadata).await?;
    let mut position = created.position;
    if let Some(password) = password {
        position = set_password_of(&bus, created.user_id, password, &metadata).await?;
    }
    if let Some(position) = position {
        users_projected(pool, position).await?;
    }
    println!("{}", created.token);
    Ok(())
}

/// Brings the read models of users up to `position` (a user's event), or waits for a
/// running server to; whether they got there in time.
async fn users_projected(pool: &PgPool, position: LogPosition) -> anyhow::Result<bool> {
    Ok(catch_up(
        pool,
        &registry::durable(),
        "user",
        USERS,
        position,
        CATCH_UP,
    )
    .await?)
}

/// Sets the password of the user with `email` and signs them out of every web UI
/// session, once the read model knows the new password (a sign-in with the old one
/// until then would start a session that outlives the change). Says on stderr how
/// many sessions ended.
pub async fn set_password(pool: &PgPool, email: &str, password: &str) -> anyhow::Result<()> {
    let Some((user_id, _)) = password_of(pool, email).await? else {
        anyhow::bail!("no user has the email address {email}");
    };
    let bus = CommandBus::new(pool.clone());
    let metadata = EventMetadata::system("cli", chrono::Utc::now());
    if let Some(position) = set_password_of(&bus, user_id, password, &metadata).await? {
        let projected = users_projected(pool, position).await?;
        if !projected {
            tracing::warn!("the users read model has not caught up: sessions are revoked anyway");
        }
    }
    let ended = sessions::revoke_all(pool, user_id).await?;
    eprintln!("password set for {email}; {ended} web UI session(s) signed out");
    Ok(())
}

/// Hashes `password` (Argon2id) and records it on user `user_id`.
async fn set_password_of(
    bus: &CommandBus,
    user_id: i64,
    password: &str,
    metadata: &EventMetadata,
) -> anyhow::Result<Option<LogPosition>> {
    let password = password.to_owned();
    let password_hash =
        tokio::task::spawn_blocking(move || passwords::hash_password(&password)).await??;
    let committed = bus
        .execute::<User>(
            &user_id.to_string(),
            UserCommand::SetPassword {
                password_hash,
                at: chrono::Utc::now(),
            },
            metadata,
        )
        .await?;
    Ok(committed.last_position)
}

/// Reads a password for `--password-stdin`: one line, without its line ending.
pub fn read_password_stdin() -> anyhow::Result<String> {
    read_password(std::io::stdin().lock())
}

fn read_password(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line
        .strip_suffix('\n')
        .map(|rest| rest.strip_suffix('\r').unwrap_or(rest))
        .unwrap_or(&line);
    if password.is_empty() {
        anyhow::bail!("--password-stdin: stdin holds no password (an empty first line)");
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        anyhow::bail!(
            "--password-stdin: the password is too short (at least {MIN_PASSWORD_CHARS} characters)"
        );
    }
    Ok(password.to_owned())
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
    for (aggregate_type, partition, position) in &created.positions {
        state
            .settle(aggregate_type, *partition, Some(*position))
            .await;
    }
    // The web UI needs a password: a generated one, shown once like the token.
    let password = format!(
        "{}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10],
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    );
    if let Some(position) = set_password_of(bus, created.user_id, &password, &metadata).await? {
        state.settle("user", USERS, Some(position)).await;
    }
    let dsn = public_dsn(public_url, &created.public_key, created.project_id);
    tracing::info!(
        project_id = created.project_id,
        "bootstrap created the admin user and the default project"
    );
    println!("Faultline is set up: user admin@localhost (superuser), organization, team and project \"default\".");
    println!("  API token (shown once): {}", created.token);
    println!("  DSN:                    {dsn}");
    println!("  Web UI:                 {public_url}/ (admin@localhost, password: {password})");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_the_first_line_without_its_ending() {
        let read = |input: &str| read_password(input.as_bytes()).map_err(|e| e.to_string());
        assert_eq!(read("hunter22hunter\n").unwrap(), "hunter22hunter");
        assert_eq!(read("hunter22hunter\r\nmore\n").unwrap(), "hunter22hunter");
        assert_eq!(read("hunter22hunter").unwrap(), "hunter22hunter");
        assert_eq!(read(" spaced out \n").unwrap(), " spaced out ");
    }

    #[test]
    fn an_empty_or_short_password_is_refused() {
        let read = |input: &str| read_password(input.as_bytes()).unwrap_err().to_string();
        assert!(read("").contains("no password"));
        assert!(read("\n").contains("no password"));
        assert!(read("hunter2\n").contains("too short"));
    }
}
