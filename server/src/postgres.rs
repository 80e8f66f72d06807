//! A PostgreSQL cluster that Faultline runs itself, from the installed binaries.
//!
//! With no `DATABASE_URL`, `serve` keeps its database in `<data dir>/postgres`,
//! listening only on a Unix socket there (no TCP port). The same launcher gives tests
//! a throwaway cluster (`fsync=off`). initdb and postgres refuse to run as root, so
//! as root every Postgres program runs as the `postgres` system user.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nix::unistd::{chown, Gid, Uid, User};
use sqlx::postgres::PgConnectOptions;

/// The database Faultline keeps its data in, inside a managed cluster.
pub const DATABASE: &str = "faultline";
/// Unix sockets paths are limited to 107 bytes; beyond this the socket moves to /tmp.
const MAX_SOCKET_DIR: usize = 90;
const PORT: u16 = 5432;

/// Why the cluster could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LauncherError {
    /// No PostgreSQL server binaries on this machine.
    #[error(
        "no PostgreSQL server binaries found (looked on PATH, in `pg_config --bindir` and under \
         /usr/lib/postgresql/*/bin): install the PostgreSQL server package (e.g. `apt-get install \
         postgresql`) or set DATABASE_URL to an existing database"
    )]
    NoBinaries,
    /// Running as root, but there is no unprivileged user to run Postgres as.
    #[error("running as root and no `postgres` system user exists to run PostgreSQL as: create one or set DATABASE_URL")]
    NoPostgresUser,
    /// A Postgres program failed.
    #[error("`{program}` failed: {detail}")]
    Program {
        /// The program.
        program: String,
        /// Its output.
        detail: String,
    },
    /// A file system step failed.
    #[error("{what}: {source}")]
    Io {
        /// The step.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// How much the cluster cares about surviving a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Production settings (and shared buffers sized to the machine).
    Durable,
    /// Tests: `fsync=off`, no synchronous commit.
    Throwaway,
}

/// A running cluster under a data directory.
#[derive(Debug)]
pub struct ManagedPostgres {
    pgdata: PathBuf,
    socket_dir: PathBuf,
    bindir: PathBuf,
    run_as: Option<(Uid, Gid)>,
    /// Whether this process started it (and so should stop it).
    started_here: bool,
}

impl ManagedPostgres {
    /// Starts (initialising on first use) the cluster in `<data_dir>/postgres`, or
    /// attaches to it when it is already running.
    pub fn start(data_dir: &Path, durability: Durability) -> Result<Self, LauncherError> {
        let bindir = find_bindir().ok_or(LauncherError::NoBinaries)?;
        let run_as = unprivileged_user()?;
        std::fs::create_dir_all(data_dir).map_err(io("creating the data directory"))?;
        let data_dir = data_dir
            .canonicalize()
            .map_err(io("resolving the data directory"))?;
        let pgdata = data_dir.join("postgres");
        let socket_dir = socket_dir_for(&pgdata);
        let mut cluster = Self {
            pgdata,
            socket_dir,
            bindir,
            run_as,
            started_here: false,
        };
        cluster.prepare_dirs()?;
        if !cluster.pgdata.join("PG_VERSION").exists() {
            tracing::info!(pgdata = %cluster.pgdata.display(), "initialising postgres cluster");
            cluster.initdb()?;
        }
        if cluster.is_running() {
            tracing::info!(pgdata = %cluster.pgdata.display(), "using the running postgres cluster");
        } else {
            cluster.pg_ctl_start(durability)?;
            cluster.started_here = true;
            tracing::info!(pgdata = %cluster.pgdata.display(), "postgres cluster started");
        }
        Ok(cluster)
    }

    /// Whether a cluster is running in `<data_dir>/postgres`.
    pub fn running_in(data_dir: &Path) -> bool {
        let Ok(data_dir) = data_dir.canonicalize() else {
            return false;
        };
        let pgdata = data_dir.join("postgres");
        let Some(bindir) = find_bindir() else {
            return false;
        };
        let Ok(run_as) = unprivileged_user() else {
            return false;
        };
        let socket_dir = socket_dir_for(&pgdata);
        Self {
            pgdata,
            socket_dir,
            bindir,
            run_as,
            started_here: false,
        }
        .is_running()
    }

    /// Whether this process started the cluster.
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// Makes this handle stop the cluster on [`ManagedPostgres::stop`] even though
    /// another process started it (a `serve` that adopts a cluster left running).
    pub fn adopt(&mut self) {
        self.started_here = true;
    }

    /// Connection options for `database` over the cluster's socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username("postgres")
            .database(database)
    }

    /// A `DATABASE_URL` for `database` (used by the test script).
    pub fn url(&self, database: &str) -> String {
        let host = self.socket_dir.display().to_string().replace(' ', "%20");
        format!("postgres://postgres@localhost:{PORT}/{database}?host={host}")
    }

    /// Creates `database` when missing.
    pub async fn ensure_database(&self, database: &str) -> Result<(), sqlx::Error> {
        use sqlx::ConnectOptions;
        let mut conn = self.connect_options("postgres").connect().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(database)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            let create = format!(
                "CREATE DATABASE {}",
                faultline_projections::sql::identifier(database)
            );
            match sqlx::query(&create).execute(&mut conn).await {
                Ok(_) => {}
                // Another process created it at the same moment.
                Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Stops the cluster if this process started or adopted it (fast shutdown:
    /// sessions are ended, everything committed is kept).
    pub fn stop(&self) -> Result<(), LauncherError> {
        if !self.started_here || !self.is_running() {
            return Ok(());
        }
        let stopped = self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-D".as_ref(),
                self.pgdata.as_os_str(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-w".as_ref(),
            ],
        );
        match stopped {
            Ok(_) => {}
            // It may have been stopping already (a signal to the whole process group):
            // what matters is that it is down.
            Err(error) if !self.is_running() => {
                tracing::debug!(%error, "pg_ctl stop failed, but the cluster is down");
            }
            Err(error) => return Err(error),
        }
        tracing::info!("postgres cluster stopped");
        Ok(())
    }

    fn is_running(&self) -> bool {
        self.pgdata.join("postmaster.pid").exists()
            && self
                .command("pg_ctl")
                .arg("status")
                .arg("-D")
                .arg(&self.pgdata)
                .output()
                .is_ok_and(|out| out.status.success())
    }

    fn prepare_dirs(&self) -> Result<(), LauncherError> {
        for dir in [&self.pgdata, &self.socket_dir] {
            std::fs::create_dir_all(dir).map_err(io("creating the cluster directory"))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io("setting the cluster directory's mode"))?;
            if let Some((uid, gid)) = self.run_as {
                chown(dir.as_path(), Some(uid), Some(gid)).map_err(|e| LauncherError::Io {
                    what: format!("handing {} to the postgres user", dir.display()),
                    source: e.into(),
                })?;
                let parent = dir.parent().unwrap_or(Path::new("/"));
                let runs_as_other = uid != Uid::current();
                if runs_as_other {
                    open_path_for_traversal(parent)?;
                }
            }
        }
        Ok(())
    }

    fn initdb(&self) -> Result<(), LauncherError> {
        self.run(
            "initdb",
            &[
                "-D".as_ref(),
                self.pgdata.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-instructions".as_ref(),
            ],
        )
        .map(|_| ())
    }

    fn pg_ctl_start(&self, durability: Durability) -> Result<(), LauncherError> {
        let mut options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -p {PORT} -c max_connections=200",
            self.socket_dir.display()
        );
        match durability {
            Durability::Throwaway => {
                options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            }
            Durability::Durable => {
                if let Some(mib) = std::fs::read_to_string("/proc/meminfo")
                    .ok()
                    .and_then(|meminfo| shared_buffers_mib(&meminfo))
                {
                    options.push_str(&format!(" -c shared_buffers={mib}MB"));
                }
                options.push_str(&format!(" -c max_wal_size={MAX_WAL_SIZE}"));
            }
        }
        let log = self.pgdata.join("postgres.log");
        self.run(
            "pg_ctl",
            &[
                "start".as_ref(),
                "-D".as_ref(),
                self.pgdata.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "120".as_ref(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
            ],
        )
        .map(|_| ())
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bindir.join(program));
        // The unprivileged user may not be able to enter our working directory.
        command.current_dir("/");
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<Output, LauncherError> {
        let output = self
            .command(program)
            .args(args)
            .output()
            .map_err(io(&format!("running {program}")))?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(LauncherError::Program {
                program: program.to_owned(),
                detail: format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout).trim(),
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            })
        }
    }
}

/// WAL kept between checkpoints on a durable cluster (PostgreSQL's default is 1 GB).
/// Ingesting ~4,000 realistic events/s writes ~25 MB of WAL a second: at 1 GB a
/// checkpoint started every 20 s ("checkpoints are occurring too frequently"), each
/// flushing 0.5-1 GB, and after each one every page touched again went into the WAL
/// whole (full-page writes). At 8 GB the time limit (`checkpoint_timeout`, 5 min)
/// spaces them instead. A soft limit: the WAL only grows that large under sustained
/// writes, and is recycled down to `min_wal_size`.
const MAX_WAL_SIZE: &str = "8GB";

/// Shared buffers for a durable cluster: a quarter of the machine's memory, as
/// PostgreSQL's documentation advises for a dedicated server, between its default
/// (128 MB) and 2 GiB. At the default, a rebuild of a million events evicted the
/// `issue_events` index it was inserting into on every batch and read each log page
/// into shared buffers again (replay of 1.11 M events 41.7 s at 128 MB, 32-37 s at
/// 2 GiB on the same database). `None` when `/proc/meminfo` names no total.
fn shared_buffers_mib(meminfo: &str) -> Option<u64> {
    let kib: u64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kib / 1024 / 4).clamp(128, 2048))
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> LauncherError + '_ {
    move |source| LauncherError::Io {
        what: what.to_owned(),
        source,
    }
}

/// The socket directory: the data directory itself, unless its path is too long for
/// a Unix socket name.
fn socket_dir_for(pgdata: &Path) -> PathBuf {
    if pgdata.as_os_str().len() <= MAX_SOCKET_DIR {
        return pgdata.to_path_buf();
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in pgdata.as_os_str().as_encoded_bytes() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x100_0000_01b3);
    }
    std::env::temp_dir().join(format!("faultline-pg-{hash:016x}"))
}

/// Lets the unprivileged user walk down to the cluster: adds the search (x) bit for
/// others on each ancestor that lacks it (e.g. a `mktemp -d` directory, mode 0700).
fn open_path_for_traversal(dir: &Path) -> Result<(), LauncherError> {
    for ancestor in dir.ancestors() {
        let Ok(meta) = std::fs::metadata(ancestor) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            tracing::warn!(path = %ancestor.display(), "adding o+x so the postgres user can reach its data");
            std::fs::set_permissions(ancestor, std::fs::Permissions::from_mode(mode | 0o001))
                .map_err(io("opening a directory for the postgres user"))?;
        }
    }
    Ok(())
}

/// As root, the `postgres` user to run Postgres as; otherwise none (run as ourselves).
fn unprivileged_user() -> Result<Option<(Uid, Gid)>, LauncherError> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    match User::from_name("postgres") {
        Ok(Some(user)) => Ok(Some((user.uid, user.gid))),
        _ => Err(LauncherError::NoPostgresUser),
    }
}

/// Finds the directory holding `initdb`, `pg_ctl` and `postgres`.
pub fn find_bindir() -> Option<PathBuf> {
    let complete = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|p| dir.join(p).is_file())
    };
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if complete(&dir) {
                // Resolve symlinks so that initdb finds its share files.
                let real = dir.join("initdb").canonicalize().ok()?;
                return real.parent().map(Path::to_path_buf);
            }
        }
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && complete(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| complete(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

#[cfg(test)]
mod tests {
    use super::shared_buffers_mib;

    #[test]
    fn shared_buffers_are_a_quarter_of_memory() {
        let meminfo = "MemTotal:        4096000 kB\nMemFree:         1000 kB\n";
        assert_eq!(shared_buffers_mib(meminfo), Some(1000));
    }

    #[test]
    fn shared_buffers_stay_between_the_default_and_two_gib() {
        assert_eq!(
            shared_buffers_mib("MemTotal:       24576000 kB\n"),
            Some(2048)
        );
        assert_eq!(
            shared_buffers_mib("MemTotal:         262144 kB\n"),
            Some(128)
        );
    }

    #[test]
    fn shared_buffers_are_left_alone_without_a_total() {
        assert_eq!(shared_buffers_mib("MemFree: 1000 kB\n"), None);
    }
}
