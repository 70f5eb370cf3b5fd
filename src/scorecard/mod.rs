//! The use cases behind `ScorecardService`: choose the policy in force, read
//! the sums of a scope and period (daily rollups for whole days, raw rows
//! only for the partial days of a custom range), compute every KPI and
//! judge it. The
//! arithmetic lives in `domain`; the reading in `storage`; this module only
//! puts them together, so the gRPC adapter stays thin.

mod breaches;
mod sums;
mod trend;

pub use breaches::{collect_breaches, Breach, BreachFilter};
pub use trend::TrendBucket;

use sums::total;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::{
    domain::{
        calendar::{DayRange, LocalDay},
        directory::{Agent, MembershipHistory},
        kpi::{compute_all, KpiSums, KpiValue},
        period::{local_date, Period},
        policy::{evaluate, PolicyRules, PolicyVersion, Verdict},
    },
    storage::{
        facts::FactScope,
        rollups::read::{watermark, GroupKey, Grouping},
        Database, StorageError,
    },
};

/// Which agents a call to [`ScorecardEngine::agent_scorecards`] covers;
/// it decides how the rollups are filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentSet {
    /// Just the agents given (a team's members, say): a list of ids.
    Listed,
    /// Part of the whole directory, in the order the database lists it
    /// (`Database::all_agents`; a page of it): the range from its first to
    /// its last id, one range of the rollups' key, which holds every agent
    /// given whatever the database's collation. Agents inside the range but
    /// not given are read and left out.
    DirectoryRun,
    /// The whole directory: no filter.
    Directory,
}

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
    /// The team whose policy judged it: a team's own; for an agent, the
    /// team the agent belonged to at the period's start (or the first one
    /// joined within it), `None` for no team.
    pub team_id: Option<String>,
    /// When the newest counted record was stored or corrected (µs).
    pub data_updated_us: Option<i64>,
    pub computed_at: DateTime<Utc>,
}

fn judge(
    sums: &KpiSums,
    policy: AppliedPolicy,
    team_id: Option<String>,
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
        team_id,
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
        let version = self
            .database
            .effective_policy_cached(team_id, first_day)
            .await?;
        Ok(AppliedPolicy::from_version(version))
    }

    /// The team whose policy judges an agent's period (catalogue, Team
    /// membership): the team at the period's start, else the first team
    /// joined within it.
    fn judging_team(&self, history: Option<&MembershipHistory>, period: &Period) -> Option<String> {
        let days = DayRange::of_period(period, self.zone);
        history
            .and_then(|history| history.team_for_period(days))
            .map(str::to_owned)
    }

    /// One agent's scorecard, judged by the policy of the agent's team at
    /// the period's start.
    pub async fn agent_scorecard(
        &self,
        agent: &Agent,
        period: &Period,
    ) -> Result<Scorecard, StorageError> {
        let agents = [agent.agent_id.clone()];
        let history_of = [agent.agent_id.as_str()];
        let (sums, histories) = self
            .database
            .join_reads(
                self.sums(FactScope::Agents(&agents), period, Grouping::Agent),
                crate::storage::memberships::team_histories(
                    self.database.connection(),
                    Some(&history_of),
                ),
            )
            .await;
        let (sums, histories) = (sums?, histories?);
        let total = total(sums.into_values());
        let team_id = self.judging_team(histories.get(&agent.agent_id), period);
        let policy = self.policy_for(team_id.as_deref(), period).await?;
        Ok(judge(
            &total.sums,
            policy,
            team_id,
            *period,
            total.updated_at_us,
        ))
    }

    /// A team's pooled scorecard and the agents whose records count in it
    /// or who are its members now.
    pub async fn team_scorecard(
        &self,
        team_id: &str,
        period: &Period,
    ) -> Result<(Scorecard, Vec<String>), StorageError> {
        let per_agent = self
            .sums(FactScope::Team(team_id), period, Grouping::Agent)
            .await?;
        let mut members: BTreeSet<String> =
            crate::storage::directory::all_agents(self.database.connection(), Some(team_id))
                .await?
                .into_iter()
                .map(|agent| agent.agent_id)
                .collect();
        members.extend(per_agent.keys().filter_map(|key| match key {
            GroupKey::Agent(agent_id) => Some(agent_id.clone()),
            GroupKey::Day(_) => None,
        }));
        let total = total(per_agent.into_values());
        let policy = self.policy_for(Some(team_id), period).await?;
        let scorecard = judge(
            &total.sums,
            policy,
            Some(team_id.to_owned()),
            *period,
            total.updated_at_us,
        );
        Ok((scorecard, members.into_iter().collect()))
    }

    /// Scorecards of `agents`, read from the rollups in one grouped query
    /// filtered as `set` allows. Returned in the order of `agents`.
    pub async fn agent_scorecards(
        &self,
        agents: &[Agent],
        set: AgentSet,
        period: &Period,
    ) -> Result<Vec<(Agent, Scorecard)>, StorageError> {
        let ids: Vec<String> = agents.iter().map(|agent| agent.agent_id.clone()).collect();
        let whole_directory = set == AgentSet::Directory;
        let scope = match (set, ids.first(), ids.last()) {
            (AgentSet::Directory, _, _) => FactScope::Organisation,
            (AgentSet::DirectoryRun, Some(first), Some(last)) => {
                FactScope::AgentRange { first, last }
            }
            _ => FactScope::Agents(&ids),
        };
        let history_of: Vec<&str> = ids.iter().map(String::as_str).collect();
        let history_of = (!whole_directory).then_some(history_of.as_slice());
        let (per_agent, histories) = self
            .database
            .join_reads(
                self.sums(scope, period, Grouping::Agent),
                crate::storage::memberships::team_histories(self.database.connection(), history_of),
            )
            .await;
        let (mut per_agent, histories) = (per_agent?, histories?);
        let mut policies: HashMap<Option<String>, AppliedPolicy> = HashMap::new();
        let mut scorecards = Vec::with_capacity(agents.len());
        for agent in agents {
            let team_id = self.judging_team(histories.get(&agent.agent_id), period);
            let policy = match policies.get(&team_id) {
                Some(policy) => policy.clone(),
                None => {
                    let policy = self.policy_for(team_id.as_deref(), period).await?;
                    policies.insert(team_id.clone(), policy.clone());
                    policy
                }
            };
            let sums = per_agent
                .remove(&GroupKey::Agent(agent.agent_id.clone()))
                .unwrap_or_default();
            scorecards.push((
                agent.clone(),
                judge(&sums.sums, policy, team_id, *period, sums.updated_at_us),
            ));
        }
        Ok(scorecards)
    }

    /// When the numbers of `period` last changed (see `rollups::read::watermark`).
    pub async fn data_watermark(&self, period: &Period) -> Result<Option<i64>, StorageError> {
        let first = LocalDay::of_instant(period.start, self.zone);
        let last = LocalDay::of_instant(period.end - chrono::Duration::microseconds(1), self.zone);
        watermark(self.database.connection(), first, last.next()).await
    }
}
