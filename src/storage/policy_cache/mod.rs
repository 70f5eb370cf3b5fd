//! Policy versions are insert-only and few, so the scorecard read path
//! reads them from memory: every version is loaded at once and kept until
//! a version is created anywhere.
//!
//! Coherence across replicas: on PostgreSQL the transaction that stores a
//! version announces it (`NOTIFY`, delivered when it commits: see
//! `storage::policy::insert_policy_version`), and each process keeps one
//! `LISTEN` connection (`listener`) that forgets the loaded versions when
//! an announcement arrives, so a replica judges by a version created on
//! another one a few milliseconds after its commit (not at once: a call
//! that reaches this replica while the announcement is still on its way,
//! which takes up to tens of milliseconds on a loaded machine, is judged
//! by the previous version; being exact would cost every read a round
//! trip to the database). While that connection
//! is down (at start-up, after a database restart, until it reconnects)
//! announcements can be missed, so the cache is not trusted: every read
//! goes to the database. On SQLite (one process) the use case that created
//! the version calls [`PolicyCache::invalidate`] once it committed; it does
//! so on PostgreSQL as well, so the creating replica never waits for its
//! own announcement. A load that raced an invalidation is not kept
//! (generations), and nothing is trusted for longer than [`MAX_AGE`] in
//! case a connection died without the listener noticing.
//!
//! **A write that freezes numbers never reads this cache.** A close or a
//! restatement reads the policy in force with
//! `storage::policy::effective_policy` on its own transaction, after it
//! took the numbers lock: the cache may lag a commit by the notification's
//! flight, and what it loaded was read outside the close's transaction, so
//! it could miss a version that committed just before the close took the
//! lock (the close would freeze the previous one) or hold one the close's
//! snapshot cannot see.

mod listener;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, OnceLock,
    },
    time::{Duration, Instant},
};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait};
use tokio::{sync::Mutex, task::AbortHandle};

use super::{
    entities::policy_version,
    policy::{effective_policy, from_row},
    Database, StorageError,
};
use crate::domain::policy::PolicyVersion;

/// The longest loaded versions are trusted, even with no announcement:
/// a bound on staleness should the listening connection die unnoticed.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Every stored policy version, as loaded, and whether it can be trusted.
#[derive(Default)]
pub struct PolicyCache {
    state: Arc<CacheState>,
    /// The `LISTEN` task (PostgreSQL), started by the first read.
    listener: OnceLock<AbortHandle>,
    /// Set by [`PolicyCache::stop`]: nothing is trusted any more.
    stopped: AtomicBool,
}

/// What the cache and its listener share.
#[derive(Default)]
struct CacheState {
    /// Bumped by every invalidation: a load is used only while no
    /// invalidation happened since it began.
    generation: AtomicU64,
    /// PostgreSQL: true while the `LISTEN` connection is up, the only time
    /// no announcement can be missed.
    listening: AtomicBool,
    loaded: Mutex<Option<Loaded>>,
}

struct Loaded {
    generation: u64,
    at: Instant,
    versions: Arc<Vec<PolicyVersion>>,
}

impl CacheState {
    fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

impl PolicyCache {
    /// Forgets what was loaded: call it once a transaction that stored a
    /// version has committed (other processes hear of it by `NOTIFY`).
    pub fn invalidate(&self) {
        self.state.invalidate();
    }

    /// The version in force on `date` for `team_id` (the team's latest
    /// effective on or before the date, else the organisation's; `None`
    /// means the catalogue defaults), for reads that serve the current
    /// state: from memory when the cache can be trusted, else from the
    /// database. It takes the pool, never a transaction: see the module's
    /// note on writes that freeze numbers.
    pub async fn effective(
        &self,
        connection: &DatabaseConnection,
        team_id: Option<&str>,
        date: NaiveDate,
    ) -> Result<Option<PolicyVersion>, StorageError> {
        if connection.get_database_backend() == DatabaseBackend::Postgres {
            self.listen(connection);
            let trusted = self.state.listening.load(Ordering::Acquire)
                && !self.stopped.load(Ordering::Acquire);
            if !trusted {
                return effective_policy(connection, team_id, date).await;
            }
        }
        let versions = self.versions(connection).await?;
        Ok(in_force(&versions, team_id, date))
    }

    /// Stops the `LISTEN` task (at shutdown; it also ends by itself once
    /// the cache is dropped). Reads go to the database from then on.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        if let Some(task) = self.listener.get() {
            task.abort();
        }
    }

    /// Starts the `LISTEN` task once per cache.
    fn listen(&self, connection: &DatabaseConnection) {
        self.listener.get_or_init(|| {
            let options = connection.get_postgres_connection_pool().connect_options();
            listener::spawn((*options).clone(), Arc::downgrade(&self.state))
        });
    }

    /// Every version, loaded again unless the last load is still valid.
    async fn versions(
        &self,
        connection: &impl ConnectionTrait,
    ) -> Result<Arc<Vec<PolicyVersion>>, StorageError> {
        let mut loaded = self.state.loaded.lock().await;
        // Read before the load begins: an invalidation during the load
        // leaves it stale, and the next read loads again.
        let generation = self.state.generation.load(Ordering::Acquire);
        if let Some(current) = loaded.as_ref() {
            if current.generation == generation && current.at.elapsed() < MAX_AGE {
                return Ok(current.versions.clone());
            }
        }
        let versions: Vec<PolicyVersion> = policy_version::Entity::find()
            .all(connection)
            .await?
            .into_iter()
            .map(from_row)
            .collect::<Result<_, _>>()?;
        let versions = Arc::new(versions);
        *loaded = Some(Loaded {
            generation,
            at: Instant::now(),
            versions: versions.clone(),
        });
        Ok(versions)
    }
}

impl Drop for PolicyCache {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every stored version, read on `connection` (a write's transaction, for
/// the change recorder: never the cache).
pub async fn all_versions(
    connection: &impl ConnectionTrait,
) -> Result<Vec<PolicyVersion>, StorageError> {
    policy_version::Entity::find()
        .all(connection)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The version in force on `date` for `team_id` among `versions` (the
/// same choice as `storage::policy::effective_policy`).
pub fn in_force(
    versions: &[PolicyVersion],
    team_id: Option<&str>,
    date: NaiveDate,
) -> Option<PolicyVersion> {
    let latest = |team: Option<&str>| {
        versions
            .iter()
            .filter(|version| version.team_id.as_deref() == team)
            .filter(|version| version.effective_from <= date)
            .max_by_key(|version| (version.effective_from, version.id))
            .cloned()
    };
    team_id
        .and_then(|team| latest(Some(team)))
        .or_else(|| latest(None))
}

impl Database {
    /// The policy cache of the scorecard read path.
    pub fn policy_cache(&self) -> &PolicyCache {
        &self.policy_cache
    }
}
