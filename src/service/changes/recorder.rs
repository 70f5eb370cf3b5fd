//! Recording changes inside a write's transaction. A use case names the
//! subjects and local days its write touches ([`ChangeScope`]: for ingest,
//! the rollup keys of the deltas it computed), takes [`Recorder::before`]
//! (the change-ordering lock, then one grouped read of the touched keys per
//! period), writes, and calls [`Recorder::after`] (the same reads again,
//! the differences stored as changes with the next cursors). After its
//! commit it calls [`announce`] so that readers here look at once.
//!
//! The periods are the local day and the month of every touched day. The
//! reads mirror the scorecard reads exactly (the same grouped rollup sums,
//! the judging team at the period's start, the policy in force then), so a
//! change's `after` is what a read right after the commit returns.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Datelike;
use chrono_tz::Tz;
use sea_orm::ConnectionTrait;

use crate::{
    domain::{
        calendar::{DayRange, LocalDay},
        changes::{diff, ChangeCause, NewChange, PeriodKind, SubjectKind},
        kpi::KpiSums,
        period::{resolve, Period, PeriodSpec},
        policy::PolicyVersion,
        scorecard::{judge, AppliedPolicy, Scorecard},
    },
    storage::{
        changes::{append, lock_change_order, team_sums},
        memberships,
        policy_cache::{all_versions, in_force},
        rollups::{
            read::{grouped_sums, FactScope, GroupKey, Grouping},
            RollupKey,
        },
        Database, StorageError,
    },
};

/// Longest period the recorder resolves (a month).
const MAX_PERIOD_DAYS: u32 = 31;

/// Whose numbers on which days a write may change.
#[derive(Debug, Clone, Default)]
pub struct ChangeScope {
    pub agents: BTreeSet<String>,
    pub teams: BTreeSet<String>,
    pub days: BTreeSet<LocalDay>,
}

impl ChangeScope {
    /// The agents, teams and days of rollup keys a write changes.
    pub fn of_rollup_keys<'a>(keys: impl IntoIterator<Item = &'a RollupKey>) -> Self {
        let mut scope = Self::default();
        for key in keys {
            scope.agents.insert(key.agent_id.clone());
            if !key.team_id.is_empty() {
                scope.teams.insert(key.team_id.clone());
            }
            scope.days.insert(key.day);
        }
        scope
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty() || (self.agents.is_empty() && self.teams.is_empty())
    }

    /// Every day and month period of the touched days, with its month.
    fn periods(&self, zone: Tz) -> Result<Vec<ScopedPeriod>, StorageError> {
        let mut periods = BTreeMap::new();
        for day in &self.days {
            let date = day.date();
            for (kind, spec) in [
                (PeriodKind::Day, PeriodSpec::Day(date)),
                (PeriodKind::Month, PeriodSpec::Month(date)),
            ] {
                let period = resolve(spec, zone, MAX_PERIOD_DAYS)
                    .map_err(|error| StorageError::Corrupt(error.to_string()))?;
                periods.entry((kind, period.start)).or_insert(ScopedPeriod {
                    kind,
                    period,
                    month: format!("{:04}-{:02}", date.year(), date.month()),
                });
            }
        }
        Ok(periods.into_values().collect())
    }
}

#[derive(Debug, Clone)]
struct ScopedPeriod {
    kind: PeriodKind,
    period: Period,
    month: String,
}

type ResultKey = (SubjectKind, String, PeriodKind, i64);

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
        let results = self.evaluate(connection, &scope, &mut policies).await?;
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
        let after = self
            .evaluate(connection, &before.scope, &mut policies)
            .await?;
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
            let Some((_, old)) = before.results.scorecards.get(key) else {
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

    /// The scorecards of every subject of `scope` in each of its periods:
    /// per period one grouped read of the agents, one of the teams, and
    /// the agents' team histories once.
    async fn evaluate(
        &self,
        connection: &impl ConnectionTrait,
        scope: &ChangeScope,
        policies: &mut Policies,
    ) -> Result<Results, StorageError> {
        let periods = scope.periods(self.zone)?;
        let mut scorecards = BTreeMap::new();
        if scope.is_empty() {
            return Ok(Results {
                periods,
                scorecards,
            });
        }
        let agents: Vec<String> = scope.agents.iter().cloned().collect();
        let teams: Vec<String> = scope.teams.iter().cloned().collect();
        let history_of: Vec<&str> = agents.iter().map(String::as_str).collect();
        let histories = if agents.is_empty() {
            HashMap::new()
        } else {
            memberships::team_histories(connection, Some(&history_of)).await?
        };
        for scoped in &periods {
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
                    let policy = self
                        .policy(connection, policies, judging_team.clone(), days.first)
                        .await?;
                    let sums = per_agent
                        .remove(&GroupKey::Agent(agent_id.clone()))
                        .unwrap_or_default();
                    let scorecard = judge(
                        &sums.sums,
                        policy,
                        judging_team.clone(),
                        scoped.period,
                        sums.updated_at_us,
                    );
                    scorecards.insert(
                        (SubjectKind::Agent, agent_id.clone(), scoped.kind, start),
                        (judging_team, scorecard),
                    );
                }
            }
            let mut pooled = team_sums(connection, &teams, days.first, days.end).await?;
            for team_id in &teams {
                let policy = self
                    .policy(connection, policies, Some(team_id.clone()), days.first)
                    .await?;
                let sums: KpiSums = pooled.remove(team_id).unwrap_or_default();
                let scorecard = judge(&sums, policy, Some(team_id.clone()), scoped.period, None);
                scorecards.insert(
                    (SubjectKind::Team, team_id.clone(), scoped.kind, start),
                    (Some(team_id.clone()), scorecard),
                );
            }
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
