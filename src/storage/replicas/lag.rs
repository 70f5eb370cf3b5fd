//! The lag watcher: how fresh each standby is, measured against the
//! primary's own WAL position rather than against clocks.
//!
//! Every tick it notes the time and the primary's flushed WAL position
//! (`pg_current_wal_flush_lsn()`: every acknowledged commit lies before
//! it), then asks each standby how far it has replayed
//! (`pg_last_wal_replay_lsn()`). A standby that has replayed past the
//! position the primary had at instant `t` holds every commit acknowledged
//! before `t`: its freshness is the latest such `t` among the samples
//! kept. Its lag at any moment is the time since then, so it grows by
//! itself between ticks and while replay is paused or the standby is
//! unreachable, and a read is never sent to a standby staler than the
//! bound. (`pg_last_xact_replay_timestamp()` would not do: on an idle
//! primary it stays old while the standby is fully caught up.)

use std::{collections::VecDeque, sync::atomic::Ordering, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::{Replica, ReplicaSet};

/// Samples of the primary's position kept: enough to cover the lag bound
/// several times over at the tick rate.
const SAMPLES_KEPT: usize = 256;

impl ReplicaSet {
    /// How often the watcher looks: a quarter of the lag bound, between
    /// 20 ms and a second, so that a standby's freshness is never much
    /// older than what the bound allows.
    pub fn watch_interval(&self) -> Duration {
        (self.max_lag / 4).clamp(Duration::from_millis(20), Duration::from_secs(1))
    }

    /// Watches every standby until the returned future is dropped.
    pub(in crate::storage) async fn watch(&self, primary: &DatabaseConnection, timeout: Duration) {
        if self.replicas.is_empty() {
            return std::future::pending().await;
        }
        let mut samples: VecDeque<(u64, u64)> = VecDeque::with_capacity(SAMPLES_KEPT);
        let mut ticks = tokio::time::interval(self.watch_interval());
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let sampled_at = self.now_ms();
            match tokio::time::timeout(timeout, wal_position(primary, PRIMARY_POSITION)).await {
                Ok(Ok(Some(lsn))) => {
                    if samples.len() == SAMPLES_KEPT {
                        samples.pop_front();
                    }
                    samples.push_back((sampled_at, lsn));
                }
                Ok(Ok(None)) => {
                    tracing::warn!("database.url is not a primary (it is in recovery)");
                }
                Ok(Err(error)) => {
                    tracing::debug!(%error, "the primary's WAL position could not be read");
                }
                Err(_) => tracing::debug!("reading the primary's WAL position timed out"),
            }
            let probes = self
                .replicas
                .iter()
                .map(|replica| self.probe(replica, &samples, timeout));
            futures_util::future::join_all(probes).await;
        }
    }

    /// One standby's replay position, and the freshness it proves.
    async fn probe(&self, replica: &Replica, samples: &VecDeque<(u64, u64)>, timeout: Duration) {
        let replayed =
            tokio::time::timeout(timeout, wal_position(&replica.connection, REPLAY_POSITION)).await;
        let replay_lsn = match replayed {
            Ok(Ok(Some(lsn))) => lsn,
            outcome => {
                if replica.reachable.swap(false, Ordering::AcqRel) {
                    match outcome {
                        Ok(Ok(_)) => tracing::warn!(
                            replica = %replica.name,
                            "the replica is not a standby in recovery; reads go to the primary"
                        ),
                        Ok(Err(error)) => tracing::warn!(
                            replica = %replica.name, %error,
                            "the replica cannot be reached; reads go to the primary"
                        ),
                        Err(_) => tracing::warn!(
                            replica = %replica.name,
                            "the replica did not answer in time; reads go to the primary"
                        ),
                    }
                }
                return;
            }
        };
        replica.replay_lsn.store(replay_lsn, Ordering::Release);
        if let Some(fresh_as_of) = freshness(samples, replay_lsn) {
            replica
                .fresh_as_of_ms
                .fetch_max(fresh_as_of, Ordering::AcqRel);
        }
        if !replica.reachable.swap(true, Ordering::AcqRel) {
            tracing::info!(replica = %replica.name, replay_lsn, "the replica answers");
        }
    }
}

/// The latest sample instant whose primary position the standby has
/// replayed past; `None` when it is behind every sample kept.
fn freshness(samples: &VecDeque<(u64, u64)>, replay_lsn: u64) -> Option<u64> {
    samples
        .iter()
        .rev()
        .find(|(_, primary_lsn)| *primary_lsn <= replay_lsn)
        .map(|(sampled_at, _)| *sampled_at)
}

/// The primary's flushed WAL position; NULL on a standby.
const PRIMARY_POSITION: &str = "SELECT CASE WHEN pg_is_in_recovery() THEN NULL \
     ELSE (pg_current_wal_flush_lsn() - '0/0'::pg_lsn)::bigint END AS lsn";
/// A standby's replay position; NULL on a primary.
const REPLAY_POSITION: &str = "SELECT CASE WHEN pg_is_in_recovery() \
     THEN (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint END AS lsn";

/// Runs one of the position queries above.
async fn wal_position(
    connection: &DatabaseConnection,
    sql: &'static str,
) -> Result<Option<u64>, sea_orm::DbErr> {
    let row = connection
        .query_one(Statement::from_string(DbBackend::Postgres, sql))
        .await?;
    let lsn: Option<i64> = match row {
        Some(row) => row.try_get("", "lsn")?,
        None => None,
    };
    Ok(lsn.and_then(|lsn| u64::try_from(lsn).ok()))
}

/// The primary's flushed WAL position now: every commit acknowledged
/// before this call lies before it (the consistency token of a write).
pub(in crate::storage) async fn primary_position(
    primary: &DatabaseConnection,
) -> Result<Option<u64>, sea_orm::DbErr> {
    wal_position(primary, PRIMARY_POSITION).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standby_is_as_fresh_as_the_latest_primary_position_it_has_replayed() {
        let samples: VecDeque<(u64, u64)> = [(100, 10), (200, 20), (300, 30)].into();
        assert_eq!(freshness(&samples, 9), None, "behind every sample");
        assert_eq!(freshness(&samples, 10), Some(100));
        assert_eq!(freshness(&samples, 29), Some(200));
        assert_eq!(freshness(&samples, 30), Some(300), "caught up");
        assert_eq!(freshness(&samples, 99), Some(300));
    }
}
