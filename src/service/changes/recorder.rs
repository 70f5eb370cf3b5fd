//! Recording changes inside a write's transaction. A use case names the
//! subjects and local days its write touches ([`ChangeScope`]), and:
//!
//! - **Ingest** (many concurrent writers) upserts its rollup deltas first,
//!   without the change-ordering lock, then calls [`Recorder::after_deltas`]:
//!   it takes the lock, reads the touched keys' sums once per period (the
//!   results after), derives the results before as those sums minus the
//!   batch's own deltas (`derive`), stores the differences as changes with
//!   the next cursors, and the caller commits. The lock covers one grouped
//!   read, the insert and the commit, not the write.
//! - **Policy versions and team moves** (which hold the numbers lock
//!   exclusively, so nothing else writes meanwhile) take [`Recorder::before`]
//!   (the lock, then one read), write, and call [`Recorder::after`] (the
//!   read again, the differences stored).
//!
//! After the commit the use case calls [`announce`] so that readers here
//! look at once.
//!
//! **Why a change's `before` is the previous change's `after` of its key.**
//! Change-writers take the lock before their read and keep it until they
//! commit, so they read and commit one after the other. Under READ
//! COMMITTED each statement sees every transaction committed before it
//! starts: the ingest's read sees the previous change-writer's commit,
//! its own uncommitted deltas, and nothing of writers not yet committed
//! (a writer upserting a row this batch also upserts waits for its
//! commit; one upserting other rows is not seen, and its own read, later,
//! sees this batch's commit). So the read minus the batch's own deltas is
//! exactly what the previous change-writer's read showed after its write:
//! to the last bit for every count and total (integers) and for worked
//! days (`derive`); QA points are floating-point sums, equal up to the
//! rounding of the subtraction when QA evaluations were both before and
//! after. On SQLite writers are serialised anyway.
//!
//! The periods are the local day and the month of every touched day. The
//! reads mirror the scorecard reads exactly (the same grouped rollup sums,
//! the judging team at the period's start, the policy in force then), so a
//! change's `after` is what a read right after the commit returns.

use std::collections::{BTreeMap, HashMap};

use chrono_tz::Tz;
use sea_orm::ConnectionTrait;

use super::{
    derive::before_deltas,
    scope::{ChangeScope, ScopedPeriod},
    sums::{ResultKey, ScopeSums, SubjectSums},
};
use crate::{
    domain::{
        calendar::{DayRange, LocalDay},
        changes::{diff, ChangeCause, NewChange, PeriodKind, SubjectKind},
        policy::PolicyVersion,
        scorecard::{judge, AppliedPolicy, Scorecard},
    },
    storage::{
        changes::{append, lock_change_order, pooled, team_agent_sums},
        memberships,
        policy_cache::{all_versions, in_force},
        rollups::{
            columns::SumColumns,
            read::{grouped_sums, FactScope, GroupKey, Grouping},
            RollupKey,
        },
        Database, StorageError,
    },
};

/// The scorecards of a scope, by subject and period.
struct Results {
    periods: Vec<ScopedPeriod>,
    scorecards: BTreeMap<ResultKey, (Option<String>, Scorecard)>,
}

/// What the transaction looked like before its write.
pub struct Before {
    scope: ChangeScope,
    results: Results,
    /// Policies read for the first evaluation: kept for the second when
    /// the write cannot change them (ingest).
    policies: Policies,
}

/// Every stored policy version, read once in the transaction, and the
/// ones chosen so far by (team, first day).
#[derive(Default)]
struct Policies {
    versions: Option<Vec<PolicyVersion>>,
    chosen: HashMap<(Option<String>, LocalDay), AppliedPolicy>,
}

/// What [`Recorder::after`] stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub count: usize,
    pub last_cursor: i64,
}

/// Records a write's changes in its transaction.
#[derive(Debug, Clone, Copy)]
pub struct Recorder {
    zone: Tz,
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

    /// Records the changes of an ingest whose rollup `deltas` were just
    /// upserted in this transaction (see the module notes): takes the
    /// change-ordering lock, reads the touched keys' sums once (the
    /// results after), derives the sums before as those minus the deltas,
    /// and stores the differences.
    pub async fn after_deltas(
        &self,
        connection: &impl ConnectionTrait,
        deltas: &[(RollupKey, SumColumns)],
        cause: &ChangeCause,
        committed_at_us: i64,
    ) -> Result<Option<Recorded>, StorageError> {
        let scope = ChangeScope::of_rollup_keys(deltas.iter().map(|(key, _)| key));
        if scope.is_empty() {
            return Ok(None);
        }
        lock_change_order(connection).await?;
        let read = self.read(connection, &scope).await?;
        let before_sums = before_deltas(&read, deltas, self.zone)?;
        let mut policies = Policies::default();
        let before = self
            .judge_all(
                connection,
                read.periods.clone(),
                &before_sums,
                &mut policies,
            )
            .await?;
        let after = self
            .judge_all(connection, read.periods, &read.subjects, &mut policies)
            .await?;
        store(connection, &before, &after, cause, committed_at_us).await
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
            agent_day_contacts: HashMap::new(),
            row_contacts: HashMap::new(),
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
            let one_day = scoped.kind == PeriodKind::Day;
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
                    if one_day {
                        read.agent_day_contacts
                            .insert((agent_id.clone(), days.first), sums.sums.contacts);
                    }
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
                if one_day {
                    for (agent_id, sums) in per_agent.into_iter().flatten() {
                        read.row_contacts.insert(
                            (team_id.clone(), agent_id.clone(), days.first),
                            sums.contacts,
                        );
                    }
                }
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

    /// Judges every subject's sums against the policy in force for its
    /// judging team at its period's start.
    async fn judge_all(
        &self,
        connection: &impl ConnectionTrait,
        periods: Vec<ScopedPeriod>,
        subjects: &BTreeMap<ResultKey, SubjectSums>,
        policies: &mut Policies,
    ) -> Result<Results, StorageError> {
        let by_start: HashMap<(PeriodKind, i64), &ScopedPeriod> = periods
            .iter()
            .map(|scoped| {
                (
                    (scoped.kind, scoped.period.start.timestamp_micros()),
                    scoped,
                )
            })
            .collect();
        let mut scorecards = BTreeMap::new();
        for (key, subject) in subjects {
            let Some(scoped) = by_start.get(&(key.2, key.3)) else {
                continue;
            };
            let first_day = DayRange::of_period(&scoped.period, self.zone).first;
            let policy = self
                .policy(
                    connection,
                    policies,
                    subject.judging_team.clone(),
                    first_day,
                )
                .await?;
            let scorecard = judge(
                &subject.sums,
                policy,
                subject.judging_team.clone(),
                scoped.period,
                subject.updated_at_us,
            );
            scorecards.insert(key.clone(), (subject.judging_team.clone(), scorecard));
        }
        Ok(Results {
            periods,
            scorecards,
        })
    }

    /// The policy in force for `team_id` on `first_day`, among the
    /// versions read in the transaction (never from a cache) once.
    async fn policy(
        &self,
        connection: &impl ConnectionTrait,
        policies: &mut Policies,
        team_id: Option<String>,
        first_day: LocalDay,
    ) -> Result<AppliedPolicy, StorageError> {
        let key = (team_id, first_day);
        if let Some(policy) = policies.chosen.get(&key) {
            return Ok(policy.clone());
        }
        if policies.versions.is_none() {
            policies.versions = Some(all_versions(connection).await?);
        }
        let versions = policies.versions.as_deref().unwrap_or_default();
        let policy =
            AppliedPolicy::from_version(in_force(versions, key.0.as_deref(), first_day.date()));
        policies.chosen.insert(key, policy.clone());
        Ok(policy)
    }
}

/// Stores every KPI result that moved between `before` and `after`.
async fn store(
    connection: &impl ConnectionTrait,
    before: &Results,
    after: &Results,
    cause: &ChangeCause,
    committed_at_us: i64,
) -> Result<Option<Recorded>, StorageError> {
    let mut changes = Vec::new();
    let periods: HashMap<(PeriodKind, i64), &ScopedPeriod> = after
        .periods
        .iter()
        .map(|scoped| {
            (
                (scoped.kind, scoped.period.start.timestamp_micros()),
                scoped,
            )
        })
        .collect();
    for (key, (team_id, new)) in &after.scorecards {
        let Some((_, old)) = before.scorecards.get(key) else {
            continue;
        };
        let (subject_kind, subject_id, period_kind, start) = key;
        let Some(scoped) = periods.get(&(*period_kind, *start)) else {
            continue;
        };
        for (kpi, old_result, new_result) in diff(old, new) {
            changes.push(NewChange {
                subject_kind: *subject_kind,
                subject_id: subject_id.clone(),
                team_id: team_id.clone(),
                period_kind: *period_kind,
                period: scoped.period,
                month: scoped.month.clone(),
                kpi,
                before: old_result,
                after: new_result,
            });
        }
    }
    let last = append(connection, &changes, cause, committed_at_us).await?;
    Ok(last.map(|last_cursor| Recorded {
        count: changes.len(),
        last_cursor,
    }))
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
