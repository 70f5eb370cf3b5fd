//! Read replicas: PostgreSQL streaming standbys of the primary
//! (`database.read_replica_urls`), each with a pool of its own.
//!
//! A use case says per read what it needs ([`ReadPreference`]); this module
//! only answers which pool can give it. A standby is used while it is
//! known to hold everything the primary had committed
//! `database.max_replica_lag_ms` ago (its *freshness*, kept by the lag
//! watcher in `lag`), and for a read that carries a consistency token, only
//! once its replay position is at or past the token's. Otherwise the read
//! falls back to the primary. Reads allowed on standbys are spread over
//! them in turn.

mod lag;
mod token;

pub(super) use lag::primary_position;
pub use token::{ConsistencyToken, InvalidToken};

use std::{
    sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use sea_orm::{DatabaseConnection, DbErr};

use super::pool;
use crate::configuration::DatabaseSettings;

/// Where a read may run, as the use case decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadPreference {
    /// On the primary: the read must see every acknowledged write.
    Primary,
    /// On a standby within the lag bound: the read needs no read-your-writes.
    ReplicaOk,
    /// On a standby that has replayed past the token (else the primary).
    After(ConsistencyToken),
}

impl ReadPreference {
    /// The `preference` label of the reads metric.
    pub fn label(self) -> &'static str {
        match self {
            ReadPreference::Primary => "primary",
            ReadPreference::ReplicaOk => "replica_ok",
            ReadPreference::After(_) => "after_token",
        }
    }

    fn index(self) -> usize {
        match self {
            ReadPreference::Primary => 0,
            ReadPreference::ReplicaOk => 1,
            ReadPreference::After(_) => 2,
        }
    }
}

/// The three preferences, in the order of the read counters.
pub const PREFERENCES: [&str; 3] = ["primary", "replica_ok", "after_token"];

/// One standby and what the lag watcher last saw of it.
struct Replica {
    /// `host:port/database`, without credentials: for health and metrics.
    name: String,
    connection: DatabaseConnection,
    /// The last probe reached it and it is a standby in recovery.
    reachable: AtomicBool,
    /// Milliseconds since the set's epoch up to which the standby is known
    /// to hold every commit of the primary; 0 = not known yet.
    fresh_as_of_ms: AtomicU64,
    /// Its replay position at the last probe.
    replay_lsn: AtomicU64,
    /// Reads it served, by preference.
    reads: [AtomicU64; 3],
}

/// What health and metrics report of one standby.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaReport {
    pub name: String,
    /// The last probe reached it, and it is a standby.
    pub reachable: bool,
    /// How far behind the primary it is known to be now (`None` before its
    /// first successful probe).
    pub lag: Option<Duration>,
    /// Within the lag bound: reads go to it.
    pub serving: bool,
    /// Its replay position at the last probe.
    pub replay_lsn: u64,
    /// Reads it served: replica-ok, after a token.
    pub reads: [u64; 2],
}

/// The standbys, their state and where reads went.
pub struct ReplicaSet {
    replicas: Vec<Replica>,
    max_lag: Duration,
    epoch: Instant,
    /// Where the next replica-ok read starts looking (spreads reads).
    next: AtomicUsize,
    /// Reads the primary served, by preference (a replica-ok or token read
    /// here is a fallback).
    primary_reads: [AtomicU64; 3],
}

impl ReplicaSet {
    /// Pools (opened lazily) on every standby of `settings`.
    pub(super) fn open(settings: &DatabaseSettings) -> Result<Self, DbErr> {
        let replicas = settings
            .read_replica_urls
            .iter()
            .map(|url| {
                Ok(Replica {
                    name: display_name(url),
                    connection: pool::open_replica(url, settings)?,
                    reachable: AtomicBool::new(false),
                    fresh_as_of_ms: AtomicU64::new(0),
                    replay_lsn: AtomicU64::new(0),
                    reads: Default::default(),
                })
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        Ok(Self {
            replicas,
            max_lag: Duration::from_millis(settings.max_replica_lag_ms),
            epoch: Instant::now(),
            next: AtomicUsize::new(0),
            primary_reads: Default::default(),
        })
    }

    /// Whether any standby is configured.
    pub fn is_empty(&self) -> bool {
        self.replicas.is_empty()
    }

    /// Milliseconds since the set's epoch (never 0, which means "unknown").
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// How far behind the primary `replica` is known to be now.
    fn lag_of(&self, replica: &Replica) -> Option<Duration> {
        let fresh = replica.fresh_as_of_ms.load(Ordering::Acquire);
        (fresh != 0).then(|| Duration::from_millis(self.now_ms().saturating_sub(fresh)))
    }

    /// Whether `replica` may serve a read of `preference` now.
    fn can_serve(&self, replica: &Replica, preference: ReadPreference) -> bool {
        if !replica.reachable.load(Ordering::Acquire) {
            return false;
        }
        if self.lag_of(replica).is_none_or(|lag| lag > self.max_lag) {
            return false;
        }
        match preference {
            ReadPreference::Primary => false,
            ReadPreference::ReplicaOk => true,
            ReadPreference::After(token) => {
                replica.replay_lsn.load(Ordering::Acquire) >= token.lsn()
            }
        }
    }

    /// The standby pool for a read of `preference`, taking turns among
    /// those that may serve it; `None`: the primary's. Counts the read.
    pub(super) fn pick(&self, preference: ReadPreference) -> Option<&DatabaseConnection> {
        if preference != ReadPreference::Primary && !self.replicas.is_empty() {
            let start = self.next.fetch_add(1, Ordering::Relaxed);
            let count = self.replicas.len();
            for offset in 0..count {
                let replica = &self.replicas[(start + offset) % count];
                if self.can_serve(replica, preference) {
                    replica.reads[preference.index() - 1].fetch_add(1, Ordering::Relaxed);
                    return Some(&replica.connection);
                }
            }
        }
        self.primary_reads[preference.index()].fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Reads the primary served, by preference (see [`PREFERENCES`]).
    pub fn primary_reads(&self) -> [u64; 3] {
        self.primary_reads
            .each_ref()
            .map(|count| count.load(Ordering::Relaxed))
    }

    /// Every standby's state, for health and metrics.
    pub fn reports(&self) -> Vec<ReplicaReport> {
        self.replicas
            .iter()
            .map(|replica| {
                let reachable = replica.reachable.load(Ordering::Acquire);
                ReplicaReport {
                    name: replica.name.clone(),
                    reachable,
                    lag: self.lag_of(replica),
                    serving: self.can_serve(replica, ReadPreference::ReplicaOk),
                    replay_lsn: replica.replay_lsn.load(Ordering::Acquire),
                    reads: [
                        replica.reads[0].load(Ordering::Relaxed),
                        replica.reads[1].load(Ordering::Relaxed),
                    ],
                }
            })
            .collect()
    }

    /// Closes every standby pool.
    pub(super) async fn close(&self) {
        for replica in &self.replicas {
            if let Err(error) = replica.connection.close_by_ref().await {
                tracing::warn!(%error, replica = %replica.name, "closing replica connections failed");
            }
        }
    }
}

/// `host:port/database` of a `postgres://user:password@host:port/db?...`
/// URL: what may appear in logs, health and metric labels.
fn display_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    rest.split(['?', '#']).next().unwrap_or(rest).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A set of `count` standbys (no connections) with a 1 s bound, whose
    /// clock started 10 s ago.
    fn standbys(count: usize) -> ReplicaSet {
        ReplicaSet {
            replicas: (0..count)
                .map(|index| Replica {
                    name: format!("standby-{index}"),
                    connection: DatabaseConnection::Disconnected,
                    reachable: AtomicBool::new(false),
                    fresh_as_of_ms: AtomicU64::new(0),
                    replay_lsn: AtomicU64::new(0),
                    reads: Default::default(),
                })
                .collect(),
            max_lag: Duration::from_secs(1),
            epoch: Instant::now() - Duration::from_secs(10),
            next: AtomicUsize::new(0),
            primary_reads: Default::default(),
        }
    }

    /// Marks standby `index` reachable, replayed to `lsn`, fresh as of
    /// `ago` before now.
    fn seen(set: &ReplicaSet, index: usize, lsn: u64, ago: Duration) {
        let replica = &set.replicas[index];
        replica.reachable.store(true, Ordering::Release);
        replica.replay_lsn.store(lsn, Ordering::Release);
        let ago_ms = u64::try_from(ago.as_millis()).unwrap_or(u64::MAX);
        replica
            .fresh_as_of_ms
            .store(set.now_ms() - ago_ms, Ordering::Release);
    }

    /// Which standby a read went to (`None`: the primary).
    fn served_by(set: &ReplicaSet, preference: ReadPreference) -> Option<usize> {
        set.pick(preference).map(|picked| {
            set.replicas
                .iter()
                .position(|replica| std::ptr::eq(&replica.connection, picked))
                .unwrap_or(usize::MAX)
        })
    }

    #[test]
    fn a_standby_serves_only_within_the_bound_and_past_the_token() {
        let set = standbys(1);
        assert_eq!(
            served_by(&set, ReadPreference::ReplicaOk),
            None,
            "never seen"
        );
        seen(&set, 0, 100, Duration::from_millis(200));
        assert_eq!(served_by(&set, ReadPreference::ReplicaOk), Some(0));
        assert_eq!(served_by(&set, ReadPreference::Primary), None);
        let token = |lsn| ReadPreference::After(ConsistencyToken::at(lsn));
        assert_eq!(
            served_by(&set, token(100)),
            Some(0),
            "replayed to the token"
        );
        assert_eq!(served_by(&set, token(101)), None, "not yet past it");
        seen(&set, 0, 100, Duration::from_millis(1_500));
        assert_eq!(
            served_by(&set, ReadPreference::ReplicaOk),
            None,
            "past the bound"
        );
        assert_eq!(set.primary_reads(), [1, 2, 1]);
        assert_eq!(set.reports()[0].reads, [1, 1]);
    }

    #[test]
    fn reads_take_turns_among_the_standbys_that_may_serve_them() {
        let set = standbys(3);
        for index in 0..3 {
            seen(&set, index, 100, Duration::ZERO);
        }
        let turns: Vec<_> = (0..6)
            .map(|_| served_by(&set, ReadPreference::ReplicaOk))
            .collect();
        assert_eq!(turns, [0, 1, 2, 0, 1, 2].map(Some));
        set.replicas[1].reachable.store(false, Ordering::Release);
        let turns: Vec<_> = (0..4)
            .map(|_| served_by(&set, ReadPreference::ReplicaOk))
            .collect();
        assert!(turns.iter().all(|turn| *turn != Some(1)), "{turns:?}");
    }

    #[test]
    fn a_replica_is_named_without_its_credentials() {
        assert_eq!(
            display_name("postgres://kpi:s3cret@standby-a:5433/kpi?sslmode=require"),
            "standby-a:5433/kpi"
        );
        assert_eq!(display_name("postgres://standby-b/kpi"), "standby-b/kpi");
    }
}
