use std::process::ExitCode;

// The ingest path builds and drops JSON trees of ~10 KB per event; glibc's malloc
// showed as a third of the server's CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use faultline::config::{Cli, Commands, PostgresCommand, UserCommand};
use faultline::database::Database;
use faultline::postgres::{Durability, ManagedPostgres, DATABASE};

fn main() -> ExitCode {
    let cli = Cli::parse();
    faultline::telemetry::init(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("faultline: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("faultline: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Commands::Serve(args) => {
            let db = Database::open(&cli.global, true).await?;
            faultline::serve::run(args, db).await
        }
        Commands::Migrate => {
            let db = Database::open(&cli.global, false).await?;
            db.migrate().await?;
            tracing::info!("migrations applied");
            db.close().await
        }
        Commands::Replay(args) => {
            let db = Database::open(&cli.global, false).await?;
            db.migrate().await?;
            let result = faultline::replay::replay(&db.pool, &args).await;
            db.close().await?;
            result
        }
        Commands::Verify(args) => {
            let db = Database::open(&cli.global, false).await?;
            db.migrate().await?;
            let result = faultline::replay::verify(&db.pool, &args).await;
            db.close().await?;
            if !result? {
                anyhow::bail!("the rebuilt read models differ from the live ones");
            }
            Ok(())
        }
        Commands::User(UserCommand::Create {
            email,
            name,
            superuser,
            password_stdin,
        }) => {
            // Read before anything is written: a refused password creates no user.
            let password = password_stdin
                .then(faultline::accounts::read_password_stdin)
                .transpose()?;
            let db = Database::open(&cli.global, false).await?;
            db.migrate().await?;
            let result = faultline::accounts::create_user(
                &db.pool,
                &email,
                name.as_deref(),
                superuser,
                password.as_deref(),
            )
            .await;
            db.close().await?;
            result
        }
        Commands::User(UserCommand::SetPassword {
            email,
            password_stdin: _,
        }) => {
            let password = faultline::accounts::read_password_stdin()?;
            let db = Database::open(&cli.global, false).await?;
            db.migrate().await?;
            let result = faultline::accounts::set_password(&db.pool, &email, &password).await;
            db.close().await?;
            result
        }
        Commands::Log(command) => {
            let db = Database::open(&cli.global, false).await?;
            let result = faultline::log_tools::run_log(&db.pool, command).await;
            db.close().await?;
            result
        }
        Commands::Forget(command) => {
            let db = Database::open(&cli.global, false).await?;
            db.migrate().await?;
            let result = faultline::erasure::run(&db.pool, command).await;
            db.close().await?;
            result
        }
        Commands::Retention(command) => {
            let db = Database::open(&cli.global, false).await?;
            db.migrate().await?;
            let result = faultline::retention::run(&db.pool, command).await;
            db.close().await?;
            result
        }
        Commands::State(args) => {
            let db = Database::open(&cli.global, false).await?;
            let result = faultline::log_tools::run_state(&db.pool, args).await;
            db.close().await?;
            result
        }
        Commands::Postgres(PostgresCommand::Start { dir, throwaway }) => {
            let durability = if throwaway {
                Durability::Throwaway
            } else {
                Durability::Durable
            };
            let cluster =
                tokio::task::spawn_blocking(move || ManagedPostgres::start(&dir, durability))
                    .await??;
            cluster.ensure_database(DATABASE).await?;
            println!("{}", cluster.url(DATABASE));
            Ok(())
        }
        Commands::Postgres(PostgresCommand::Stop { dir }) => {
            tokio::task::spawn_blocking(move || {
                let mut cluster = ManagedPostgres::start(&dir, Durability::Throwaway)?;
                cluster.adopt();
                cluster.stop()
            })
            .await??;
            Ok(())
        }
    }
}
