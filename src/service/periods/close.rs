//! Closing and restating a month: one transaction each, which takes the
//! numbers lock exclusive before it reads anything and computes its
//! snapshot inside it, policies and memberships included (never from a
//! cache). The lock's clock is the snapshot's `taken_at`: every record
//! committed before the lock was granted is in the snapshot and stamped no
//! later than it; every record committed after waited for the close and is
//! stamped later, so the adjustment report counts it. A policy version or
//! team move racing the close takes the same lock and checks the closed
//! months after taking it: it is either in the snapshot or refused.

use chrono::Utc;

use super::{not_closed, request_id_reused, Answer, Periods};
use crate::{
    auth::Caller,
    domain::{
        audit::{AuditActor, AuditChange},
        closing::{ClosedPeriod, PayPeriod, SnapshotEntry, SubjectKind},
        idempotency::IdempotencyKey,
    },
    error::ServiceError,
    service::{
        engine::{AgentSet, Engine},
        snapshots::SnapshotEncoding,
    },
    storage::{
        audit, directory,
        idempotency::{remember, replay, Replay},
        lock_numbers,
        periods::{self, NewClosedPeriod},
        NumbersLock, StorageError, WriteTransaction,
    },
};

const CLOSE_PERIOD: &str = "/kpi.v1.PeriodService/ClosePeriod";
const RESTATE_PERIOD: &str = "/kpi.v1.PeriodService/RestatePeriod";
/// Most teams a snapshot holds (the directory has far fewer).
const MAX_TEAMS_IN_SNAPSHOT: u64 = 100_000;

/// What a close did.
#[derive(Debug, Clone, PartialEq)]
pub enum CloseOutcome {
    /// The month is closed now, at version 1.
    Closed(ClosedPeriod),
    /// It was closed already: nothing written.
    AlreadyClosed(ClosedPeriod),
}

/// A restatement: the month with its new current version.
#[derive(Debug, Clone, PartialEq)]
pub struct RestateOutcome(pub ClosedPeriod);

/// The snapshot of a month: every agent's and team's scorecard, encoded.
struct Snapshot {
    agents: Vec<SnapshotEntry>,
    teams: Vec<SnapshotEntry>,
}

impl Periods {
    /// Closes `month` (which must have ended in the reporting zone):
    /// snapshots every agent's and team's scorecard.
    pub async fn close(
        &self,
        caller: &Caller,
        month: &PayPeriod,
        key: Option<IdempotencyKey>,
    ) -> Result<Answer<CloseOutcome>, ServiceError> {
        if month.period.end > Utc::now() {
            return Err(ServiceError::FailedPrecondition {
                reason: "PERIOD_NOT_ENDED",
                message: format!(
                    "pay period {} has not ended yet in the reporting time zone; close it once it \
                     is over",
                    month.key
                ),
                month: month.key.clone(),
            });
        }
        if key.is_none() {
            // A closed month never reopens: no lock is needed to say so.
            if let Some(period) =
                periods::closed_period(self.database.connection(), &month.key).await?
            {
                return Ok(Answer::Fresh(CloseOutcome::AlreadyClosed(period)));
            }
        }
        let actor = caller.audit_actor(CLOSE_PERIOD);
        let (key, actor) = (&key, &actor);
        self.database
            .with_retries(|| async move {
                let transaction = self.database.begin_write().await?;
                let taken_at_us = lock_numbers(&transaction, NumbersLock::Exclusive).await?;
                if let Some(answer) = replayed(&transaction, key).await? {
                    return Ok(answer);
                }
                let outcome = match periods::closed_period(&transaction, &month.key).await? {
                    Some(period) => CloseOutcome::AlreadyClosed(period),
                    None => {
                        let snapshot = self.snapshot(&transaction, month).await?;
                        periods::insert_closed_period(
                            &transaction,
                            NewClosedPeriod {
                                key: &month.key,
                                days: month.days,
                                closed_at_us: taken_at_us,
                                closed_by: &actor.principal,
                                pay_period_kind: &self.calendar.recorded_name(),
                                time_zone: self.zone.name(),
                            },
                        )
                        .await?;
                        store(&transaction, month, 1, taken_at_us, actor, "", &snapshot).await?;
                        audit::append(
                            &transaction,
                            actor,
                            &AuditChange::PeriodClosed {
                                month: month.key.clone(),
                                version: 1,
                                agent_scorecards: count(&snapshot.agents),
                                team_scorecards: count(&snapshot.teams),
                            },
                        )
                        .await?;
                        CloseOutcome::Closed(reload(&transaction, &month.key).await?)
                    }
                };
                if let Some(key) = key {
                    remember(&transaction, key, self.responses.close_response(&outcome)).await?;
                }
                transaction.commit().await?;
                Ok(Answer::Fresh(outcome))
            })
            .await
    }

    /// Takes a new snapshot version of the closed `month` from today's
    /// data, with `reason`; earlier versions stay readable.
    pub async fn restate(
        &self,
        caller: &Caller,
        month: &PayPeriod,
        reason: &str,
        key: Option<IdempotencyKey>,
    ) -> Result<Answer<RestateOutcome>, ServiceError> {
        if periods::closed_period(self.database.connection(), &month.key)
            .await?
            .is_none()
        {
            return Err(not_closed(&month.key));
        }
        let actor = caller.audit_actor(RESTATE_PERIOD);
        let (key, actor) = (&key, &actor);
        self.database
            .with_retries(|| async move {
                let transaction = self.database.begin_write().await?;
                let taken_at_us = lock_numbers(&transaction, NumbersLock::Exclusive).await?;
                if let Some(answer) = replayed(&transaction, key).await? {
                    return Ok(answer);
                }
                let Some(period) = periods::closed_period(&transaction, &month.key).await? else {
                    return Err(not_closed(&month.key));
                };
                let version = period.current_version + 1;
                let snapshot = self.snapshot(&transaction, month).await?;
                periods::set_current_version(&transaction, &month.key, version).await?;
                store(
                    &transaction,
                    month,
                    version,
                    taken_at_us,
                    actor,
                    reason,
                    &snapshot,
                )
                .await?;
                audit::append(
                    &transaction,
                    actor,
                    &AuditChange::PeriodRestated {
                        month: month.key.clone(),
                        version,
                        reason: reason.to_owned(),
                    },
                )
                .await?;
                let outcome = RestateOutcome(reload(&transaction, &month.key).await?);
                if let Some(key) = key {
                    remember(&transaction, key, self.responses.restate_response(&outcome)).await?;
                }
                transaction.commit().await?;
                Ok(Answer::Fresh(outcome))
            })
            .await
    }

    /// Every agent's and team's scorecard of `month`, computed on the
    /// close's own transaction and encoded as the API answers them.
    async fn snapshot(
        &self,
        transaction: &WriteTransaction,
        month: &PayPeriod,
    ) -> Result<Snapshot, StorageError> {
        let engine = Engine::on(transaction, self.zone);
        let encoding: &dyn SnapshotEncoding = self.encoding.as_ref();
        let agents = directory::all_agents(transaction, None).await?;
        let agents = engine
            .agent_scorecards(&agents, AgentSet::Directory, &month.period)
            .await?
            .iter()
            .map(|(agent, scorecard)| SnapshotEntry {
                subject_id: agent.agent_id.clone(),
                team_id: scorecard.team_id.clone().unwrap_or_default(),
                payload: encoding.agent(agent, scorecard),
            })
            .collect();
        let mut teams = Vec::new();
        for team in directory::list_teams(transaction, None, MAX_TEAMS_IN_SNAPSHOT).await? {
            let (scorecard, members) = engine.team_scorecard(&team.team_id, &month.period).await?;
            teams.push(SnapshotEntry {
                payload: encoding.team(&team.team_id, &scorecard, &members),
                subject_id: team.team_id,
                team_id: String::new(),
            });
        }
        Ok(Snapshot { agents, teams })
    }
}

/// The first answer under the request id, if this is a retry; refuses an
/// id reused for another request.
async fn replayed<T>(
    transaction: &WriteTransaction,
    key: &Option<IdempotencyKey>,
) -> Result<Option<Answer<T>>, ServiceError> {
    let Some(key) = key else {
        return Ok(None);
    };
    match replay(transaction, key).await? {
        Replay::Same(response) => Ok(Some(Answer::Replayed(response))),
        Replay::Reused => Err(request_id_reused()),
        Replay::New => Ok(None),
    }
}

/// Stores snapshot version `version` of `month`.
async fn store(
    transaction: &WriteTransaction,
    month: &PayPeriod,
    version: i32,
    taken_at_us: i64,
    actor: &AuditActor,
    reason: &str,
    snapshot: &Snapshot,
) -> Result<(), StorageError> {
    periods::insert_snapshot_version(
        transaction,
        &month.key,
        version,
        taken_at_us,
        &actor.principal,
        reason,
    )
    .await?;
    periods::insert_entries(
        transaction,
        &month.key,
        version,
        SubjectKind::Agent,
        &snapshot.agents,
    )
    .await?;
    periods::insert_entries(
        transaction,
        &month.key,
        version,
        SubjectKind::Team,
        &snapshot.teams,
    )
    .await
}

async fn reload(transaction: &WriteTransaction, month: &str) -> Result<ClosedPeriod, StorageError> {
    periods::closed_period(transaction, month)
        .await?
        .ok_or_else(|| StorageError::Corrupt("a closed period vanished in its transaction".into()))
}

fn count(entries: &[SnapshotEntry]) -> u32 {
    u32::try_from(entries.len()).unwrap_or(u32::MAX)
}
