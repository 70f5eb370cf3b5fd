//! The use cases behind `ScorecardService`: choose the policy in force, read
//! the facts of a scope and period, compute every KPI and judge it. The
//! arithmetic lives in `domain`; the reading in `storage`; this module only
//! puts them together, so the gRPC adapter stays thin.

mod breaches;
mod trend;

pub use breaches::{collect_breaches, Breach, BreachFilter};
pub use trend::TrendBucket;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::{
    domain::{
        directory::Agent,
        kpi::{compute_all, KpiSums, KpiValue},
        period::{local_date, Period},
        policy::{evaluate, PolicyRules, Verdict},
    },
    storage::{
        facts::{DailyFacts, FactScope},
        policy::PolicyVersion,
        Database, StorageError,
    },
};

/// The policy a scorecard was judged by.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedPolicy {
    /// The stored version, or `None` for the catalogue defaults.
    pub version: Option<PolicyVersion>,
    pub rules: PolicyRules,
}

impl AppliedPolicy {
    fn from_version(version: Option<PolicyVersion>) -> Self {
        match version {
            Some(version) => Self {
                rules: version.rules.clone(),
                version: Some(version),
            },
            None => Self {
                version: None,
                rules: PolicyRules::catalogue_defaults(),
            },
        }
    }
}

/// Every KPI of one agent or team in one period, judged.
#[derive(Debug, Clone)]
pub struct Scorecard {
    pub period: Period,
    pub values: Vec<KpiValue>,
    pub verdict: Verdict,
    pub policy: AppliedPolicy,
    /// When the newest counted record was stored or corrected (µs).
    pub data_updated_us: Option<i64>,
    pub computed_at: DateTime<Utc>,
}

fn judge(
    sums: &KpiSums,
    policy: AppliedPolicy,
    period: Period,
    data_updated_us: Option<i64>,
) -> Scorecard {
    let values = compute_all(sums);
    let verdict = evaluate(&policy.rules, &values);
    Scorecard {
        period,
        values,
        verdict,
        policy,
        data_updated_us,
        computed_at: Utc::now(),
    }
}

/// Computes scorecards.
#[derive(Clone)]
pub struct ScorecardEngine {
    database: Database,
    zone: Tz,
}

impl ScorecardEngine {
    pub fn new(database: Database, zone: Tz) -> Self {
        Self { database, zone }
    }

    /// The reporting time zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The policy in force for `team_id` on the first day of `period`.
    pub async fn policy_for(
        &self,
        team_id: Option<&str>,
        period: &Period,
    ) -> Result<AppliedPolicy, StorageError> {
        let first_day = local_date(period.start, self.zone);
        let version = self.database.effective_policy(team_id, first_day).await?;
        Ok(AppliedPolicy::from_version(version))
    }

    async fn facts(
        &self,
        scope: FactScope<'_>,
        period: &Period,
    ) -> Result<DailyFacts, StorageError> {
        self.database
            .load_daily_facts(
                scope,
                period.start.timestamp_micros(),
                period.end.timestamp_micros(),
                self.zone,
            )
            .await
    }

    /// One agent's scorecard, judged by the policy of the agent's team.
    pub async fn agent_scorecard(
        &self,
        agent: &Agent,
        period: &Period,
    ) -> Result<Scorecard, StorageError> {
        let agents = [agent.agent_id.clone()];
        let facts = self.facts(FactScope::Agents(&agents), period).await?;
        let policy = self.policy_for(agent.team_id.as_deref(), period).await?;
        Ok(judge(
            &facts.total(),
            policy,
            *period,
            facts.latest_update_us,
        ))
    }

    /// A team's pooled scorecard and the agents whose records count in it.
    pub async fn team_scorecard(
        &self,
        team_id: &str,
        period: &Period,
    ) -> Result<(Scorecard, Vec<String>), StorageError> {
        let current_members: Vec<String> = self
            .database
            .all_agents(Some(team_id))
            .await?
            .into_iter()
            .map(|agent| agent.agent_id)
            .collect();
        let scope = FactScope::Team {
            team_id,
            members: &current_members,
        };
        let facts = self.facts(scope, period).await?;
        let mut members: BTreeSet<String> = current_members.iter().cloned().collect();
        members.extend(
            facts
                .by_agent_day
                .keys()
                .map(|(agent_id, _)| agent_id.clone()),
        );
        let policy = self.policy_for(Some(team_id), period).await?;
        let scorecard = judge(&facts.total(), policy, *period, facts.latest_update_us);
        Ok((scorecard, members.into_iter().collect()))
    }

    /// Scorecards of `agents` (all of the directory when `whole_directory`),
    /// reading the period's facts once. Returned in the order of `agents`.
    pub async fn agent_scorecards(
        &self,
        agents: &[Agent],
        whole_directory: bool,
        period: &Period,
    ) -> Result<Vec<(Agent, Scorecard)>, StorageError> {
        let ids: Vec<String> = agents.iter().map(|agent| agent.agent_id.clone()).collect();
        let scope = if whole_directory {
            FactScope::Organisation
        } else {
            FactScope::Agents(&ids)
        };
        let facts = self.facts(scope, period).await?;
        let mut per_agent: BTreeMap<String, KpiSums> = facts.per_agent();
        let mut policies: HashMap<Option<String>, AppliedPolicy> = HashMap::new();
        let mut scorecards = Vec::with_capacity(agents.len());
        for agent in agents {
            let policy = match policies.get(&agent.team_id) {
                Some(policy) => policy.clone(),
                None => {
                    let policy = self.policy_for(agent.team_id.as_deref(), period).await?;
                    policies.insert(agent.team_id.clone(), policy.clone());
                    policy
                }
            };
            let sums = per_agent.remove(&agent.agent_id).unwrap_or_default();
            let updated = facts.latest_update_by_agent.get(&agent.agent_id).copied();
            scorecards.push((agent.clone(), judge(&sums, policy, *period, updated)));
        }
        Ok(scorecards)
    }
}
