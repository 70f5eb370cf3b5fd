//! One real streaming standby of the test PostgreSQL server for the whole
//! test binary, made by the project's own `scripts/pg-standby.sh` the
//! first time a test asks for it and removed by the script's watchdog when
//! the test binary exits. Tests that use it take turns (`Standby::lease`):
//! one of them pauses its replay.

use std::{net::TcpListener, path::PathBuf, process::Command, sync::OnceLock, time::Instant};

use tokio::sync::{Mutex, MutexGuard};

use crate::helpers::postgres_admin_url;

/// The standby: its port, and the turn its tests take.
pub struct Standby {
    pub port: u16,
}

/// Held by a test while it uses the standby; resumes a paused replay when
/// dropped, whatever the test did.
pub struct Lease {
    port: u16,
    _turn: MutexGuard<'static, ()>,
}

static STANDBY: OnceLock<Result<Standby, String>> = OnceLock::new();
static TURN: Mutex<()> = Mutex::const_new(());

/// Where the project's script is.
fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-standby.sh")
}

/// The primary's host and port, from the tests' admin URL.
fn primary_host_port() -> (String, String) {
    let url = postgres_admin_url();
    let authority = url
        .split_once("://")
        .map_or(url.as_str(), |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, rest)| rest);
    match host_port.rsplit_once(':') {
        Some((host, port)) => (host.to_owned(), port.to_owned()),
        None => (host_port.to_owned(), "5432".to_owned()),
    }
}

fn start() -> Result<Standby, String> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|error| error.to_string())?
        .port();
    let dir = std::env::temp_dir().join(format!("kpi-standby-{}", std::process::id()));
    let (host, primary_port) = primary_host_port();
    let started = Instant::now();
    let output = Command::new(script())
        .arg("start")
        .arg(port.to_string())
        .arg(&dir)
        .arg(std::process::id().to_string())
        .env("KPI_STANDBY_PRIMARY_HOST", host)
        .env("KPI_STANDBY_PRIMARY_PORT", primary_port)
        .output()
        .map_err(|error| format!("cannot run {}: {error}", script().display()))?;
    if !output.status.success() {
        return Err(format!(
            "scripts/pg-standby.sh failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    eprintln!(
        "{} in {:?}",
        String::from_utf8_lossy(&output.stdout).trim(),
        started.elapsed()
    );
    Ok(Standby { port })
}

impl Standby {
    /// The standby (started on first use), this test's turn on it, with
    /// replay running.
    pub async fn lease() -> Lease {
        let turn = TURN.lock().await;
        let standby = tokio::task::block_in_place(|| STANDBY.get_or_init(start).as_ref());
        let standby = standby.unwrap_or_else(|error| panic!("no standby: {error}"));
        let lease = Lease {
            port: standby.port,
            _turn: turn,
        };
        lease.sql("SELECT pg_wal_replay_resume()");
        lease
    }
}

impl Lease {
    /// The URL of database `name` on the standby.
    pub fn url_of(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs `sql` on the standby (psql; the test's runtime is not needed).
    pub fn sql(&self, sql: &str) -> String {
        let output = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-At",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-c")
            .arg(sql)
            .output()
            .expect("psql could not be run");
        assert!(
            output.status.success(),
            "{sql} on the standby failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Pauses replay: the standby keeps answering with what it has. (An
    /// idle standby reports "pause requested" until the next record
    /// arrives, which it then does not apply.)
    pub fn pause_replay(&self) {
        self.sql("SELECT pg_wal_replay_pause()");
    }

    pub fn resume_replay(&self) {
        self.sql("SELECT pg_wal_replay_resume()");
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-c", "SELECT pg_wal_replay_resume()"])
            .output();
    }
}
