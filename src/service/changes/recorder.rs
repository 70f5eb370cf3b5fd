//! Recording changes inside a write's transaction. A use case names the
//! subjects and local days its write touches ([`ChangeScope`]), and:
//!
//! - **Ingest** (many concurrent writers) hands its rollup rows to
//!   [`Recorder::ingest_batch`] (`batch`): the rows and the period sums are
//!   upserted, the sums before and after come back from those statements,
//!   and the change-ordering lock is taken only for drawing cursors,
//!   storing the changes and the commit.
//! - **Policy versions and team moves** (which hold the numbers lock
//!   exclusively, so nothing else writes meanwhile) take [`Recorder::before`]
//!   (the lock, then one grouped read of the rollups per period), write,
//!   and call [`Recorder::after`] (the read again, the differences stored).
//!   The change-ordering lock, held from before the read to the commit,
//!   makes each change's `before` the previous change's `after`.
//!
//! After the commit the use case calls [`announce`] so that readers here
//! look at once.
//!
//! The periods are the local day and the month of every touched day. The
//! judging mirrors the scorecard reads exactly (the judging team at the
//! period's start, the policy in force then), so a change's `after` is
//! what a read right after the commit returns.

use std::collections::{BTreeMap, HashMap};

use chrono_tz::Tz;
use sea_orm::ConnectionTrait;

use super::{
    judging::{store, Policies, Results},
    scope::ChangeScope,
    sums::{ScopeSums, SubjectSums},
};
use crate::{
    domain::{
        calendar::DayRange,
        changes::{ChangeCause, SubjectKind},
    },
    storage::{
        changes::{lock_change_order, pooled, team_agent_sums},
        memberships,
        rollups::read::{grouped_sums, FactScope, GroupKey, Grouping},
        Database, StorageError,
    },
};

/// What the transaction looked like before its write.
pub struct Before {
    scope: ChangeScope,
    results: Results,
    /// Policies read for the first evaluation: kept for the second when
    /// the write cannot change them (ingest).
    policies: Policies,
}

/// What a recording stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// Rows stored (one per subject and period whose KPIs moved).
    pub count: usize,
    /// The last position handed out.
    pub last_cursor: i64,
}

/// Records a write's changes in its transaction.
#[derive(Debug, Clone, Copy)]
pub struct Recorder {
    pub(super) zone: Tz,
}

impl Recorder {
    pub fn new(zone: Tz) -> Self {
        Self { zone }
    }

    /// Takes the change-ordering lock and reads the scope's results.
    pub async fn before(
        &self,
        connection: &impl ConnectionTrait,
        scope: ChangeScope,
    ) -> Result<Before, StorageError> {
        lock_change_order(connection).await?;
        let mut policies = Policies::default();
        let sums = self.read(connection, &scope).await?;
        let results = self
            .judge_all(connection, sums.periods, &sums.subjects, &mut policies)
            .await?;
        Ok(Before {
            scope,
            results,
            policies,
        })
    }

    /// Reads the scope's results again and stores every moved KPI result
    /// as a change caused by `cause`, stamped `committed_at_us`.
    /// `policies_unchanged`: the write cannot have changed a policy or a
    /// team history (ingest), so the policies read before are reused.
    pub async fn after(
        &self,
        connection: &impl ConnectionTrait,
        before: Before,
        cause: &ChangeCause,
        committed_at_us: i64,
        policies_unchanged: bool,
    ) -> Result<Option<Recorded>, StorageError> {
        let mut policies = if policies_unchanged {
            before.policies
        } else {
            Policies::default()
        };
        let sums = self.read(connection, &before.scope).await?;
        let after = self
            .judge_all(connection, sums.periods, &sums.subjects, &mut policies)
            .await?;
        store(connection, &before.results, &after, cause, committed_at_us).await
    }

    /// The sums of every subject of `scope` in each of its periods: per
    /// period one grouped read of the agents, one of the teams, and the
    /// agents' team histories once.
    async fn read(
        &self,
        connection: &impl ConnectionTrait,
        scope: &ChangeScope,
    ) -> Result<ScopeSums, StorageError> {
        let mut read = ScopeSums {
            periods: scope.periods(self.zone)?,
            subjects: BTreeMap::new(),
        };
        if scope.is_empty() {
            return Ok(read);
        }
        let agents: Vec<String> = scope.agents.iter().cloned().collect();
        let teams: Vec<String> = scope.teams.iter().cloned().collect();
        let history_of: Vec<&str> = agents.iter().map(String::as_str).collect();
        let histories = if agents.is_empty() {
            HashMap::new()
        } else {
            memberships::team_histories(connection, Some(&history_of)).await?
        };
        for scoped in &read.periods {
            let days = DayRange::of_period(&scoped.period, self.zone);
            let start = scoped.period.start.timestamp_micros();
            if !agents.is_empty() {
                let mut per_agent = grouped_sums(
                    connection,
                    FactScope::Agents(&agents),
                    days.first,
                    days.end,
                    Grouping::Agent,
                )
                .await?;
                for agent_id in &agents {
                    let judging_team = histories
                        .get(agent_id)
                        .and_then(|history| history.team_for_period(days))
                        .map(str::to_owned);
                    let sums = per_agent
                        .remove(&GroupKey::Agent(agent_id.clone()))
                        .unwrap_or_default();
                    read.subjects.insert(
                        (SubjectKind::Agent, agent_id.clone(), scoped.kind, start),
                        SubjectSums {
                            judging_team,
                            sums: sums.sums,
                            updated_at_us: sums.updated_at_us,
                        },
                    );
                }
            }
            let per_team = team_agent_sums(connection, &teams, days.first, days.end).await?;
            for team_id in &teams {
                let per_agent = per_team.get(team_id);
                read.subjects.insert(
                    (SubjectKind::Team, team_id.clone(), scoped.kind, start),
                    SubjectSums {
                        judging_team: Some(team_id.clone()),
                        sums: per_agent.map(pooled).unwrap_or_default(),
                        updated_at_us: None,
                    },
                );
            }
        }
        Ok(read)
    }
}

/// After the commit: wakes this process's readers and counts the changes.
pub fn announce(database: &Database, recorded: Option<Recorded>) {
    if let Some(recorded) = recorded {
        let signal = database.change_signal();
        signal
            .stats()
            .changes_written(recorded.count, recorded.last_cursor);
        signal.wake();
    }
}
