//! Judging a write's sums on both sides as scorecard reads judge them (the
//! judging team at the period's start, the policy in force then, an
//! agent's goals in force then), and storing one row per (subject, period)
//! whose KPIs moved, with what judged it, so that a reader judges the row
//! again to the same results (`reading`).

use std::collections::{BTreeMap, HashMap};

use sea_orm::ConnectionTrait;

use super::{
    scope::ScopedPeriod,
    sums::{ResultKey, SubjectSums},
    Recorded, Recorder,
};
use crate::{
    domain::{
        calendar::{DayRange, LocalDay},
        changes::{ChangeCause, ChangedSums, MovedKpis, PeriodKind, SubjectKind},
        kpi::KpiSums,
        policy::{goals_in_force, AgentGoal, PolicyVersion},
        scorecard::{judge_agent, AppliedPolicy, Scorecard},
    },
    storage::{
        changes::append,
        goals::goals_effective_by,
        policy_cache::{all_versions, in_force},
        StorageError,
    },
};

/// One subject's judged period.
pub(super) struct Judged {
    team_id: Option<String>,
    scorecard: Scorecard,
    sums: KpiSums,
    goal_ids: Vec<i64>,
}

/// The judged periods of a scope, by subject and period.
pub(super) struct Results {
    periods: Vec<ScopedPeriod>,
    judged: BTreeMap<ResultKey, Judged>,
}

/// Every stored policy version and the goals of the scope's agents, read
/// once in the transaction, and the policies chosen so far by (team,
/// first day).
#[derive(Default)]
pub(super) struct Policies {
    versions: Option<Vec<PolicyVersion>>,
    chosen: HashMap<(Option<String>, LocalDay), AppliedPolicy>,
    goals: Option<HashMap<String, Vec<AgentGoal>>>,
}

impl Recorder {
    /// Judges every subject's sums against the policy in force for its
    /// judging team at its period's start (and an agent's goals then).
    pub(super) async fn judge_all(
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
        if policies.goals.is_none() {
            let agents: Vec<String> = subjects
                .keys()
                .filter(|key| key.0 == SubjectKind::Agent)
                .map(|key| key.1.clone())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            self.prefetch(connection, policies, &agents, &periods)
                .await?;
        }
        let mut judged = BTreeMap::new();
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
            let goals = match key.0 {
                SubjectKind::Agent => policies
                    .goals
                    .as_ref()
                    .and_then(|goals| goals.get(&key.1))
                    .map(|goals| goals_in_force(goals, first_day.date()))
                    .unwrap_or_default(),
                SubjectKind::Team => Vec::new(),
            };
            let scorecard = judge_agent(
                &subject.sums,
                policy,
                &goals,
                subject.judging_team.clone(),
                scoped.period,
                subject.updated_at_us,
            );
            judged.insert(
                key.clone(),
                Judged {
                    team_id: subject.judging_team.clone(),
                    scorecard,
                    sums: subject.sums.clone(),
                    goal_ids: goals.iter().map(|goal| goal.id).collect(),
                },
            );
        }
        Ok(Results { periods, judged })
    }

    /// Reads the policy versions and the goals of `agents` for `periods`
    /// now (a write calls it before it locks rows, so that the reads do
    /// not lengthen the time other writers wait).
    pub(super) async fn prefetch(
        &self,
        connection: &impl ConnectionTrait,
        policies: &mut Policies,
        agents: &[String],
        periods: &[ScopedPeriod],
    ) -> Result<(), StorageError> {
        if policies.versions.is_none() {
            policies.versions = Some(all_versions(connection).await?);
        }
        let latest = periods
            .iter()
            .map(|scoped| DayRange::of_period(&scoped.period, self.zone).first)
            .max();
        policies.goals = Some(match latest {
            Some(day) if !agents.is_empty() => {
                goals_effective_by(connection, Some(agents), day.date()).await?
            }
            _ => HashMap::new(),
        });
        Ok(())
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

fn version_id(scorecard: &Scorecard) -> Option<i64> {
    scorecard.policy.version.as_ref().map(|version| version.id)
}

/// Stores one row for every (subject, period) whose KPIs moved between
/// `before` and `after`. The caller holds the change-ordering lock.
pub(super) async fn store(
    connection: &impl ConnectionTrait,
    before: &Results,
    after: &Results,
    cause: &ChangeCause,
    committed_at_us: i64,
) -> Result<Option<Recorded>, StorageError> {
    let mut rows = Vec::new();
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
    for (key, new) in &after.judged {
        let Some(old) = before.judged.get(key) else {
            continue;
        };
        let (subject_kind, subject_id, period_kind, start) = key;
        let Some(scoped) = periods.get(&(*period_kind, *start)) else {
            continue;
        };
        let moved = MovedKpis::of(&old.scorecard, &new.scorecard);
        if moved.is_empty() {
            continue;
        }
        rows.push(ChangedSums {
            subject_kind: *subject_kind,
            subject_id: subject_id.clone(),
            team_id: new.team_id.clone(),
            period_kind: *period_kind,
            period: scoped.period,
            month: scoped.month.clone(),
            before: old.sums.clone(),
            after: new.sums.clone(),
            policy_before_id: version_id(&old.scorecard),
            policy_version_id: version_id(&new.scorecard),
            goal_ids: new.goal_ids.clone(),
            moved,
        });
    }
    let last = append(connection, &rows, cause, committed_at_us).await?;
    Ok(last.map(|last_cursor| Recorded {
        count: rows.len(),
        last_cursor,
    }))
}
