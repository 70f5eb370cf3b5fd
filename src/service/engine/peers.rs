//! The numbers an agent's peers are compared on: a team's pooled values
//! and its agents' own, and the organisation's pooled values and every
//! agent's own, each from one grouped read of the rollups (plus raw rows
//! for partial days), never scorecard by scorecard.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{counted, sums::read_sums, sums::total, Engine};
use crate::{
    domain::{
        kpi::{compute_all, KpiValue},
        period::Period,
    },
    storage::{
        directory,
        facts::FactScope,
        rollups::read::{GroupKey, GroupSums, Grouping},
        StorageError,
    },
};

/// Pooled values and each agent's own, in catalogue order.
#[derive(Debug, Clone, Default)]
pub struct PeerGroup {
    pub pooled: Vec<KpiValue>,
    /// Every agent of the group (agents without records have the values
    /// of no data: counts of 0, no rates).
    pub agents: BTreeMap<String, Vec<KpiValue>>,
}

/// What an agent is compared with: the team's group and the
/// organisation's, each only when asked for.
#[derive(Debug, Clone, Default)]
pub struct PeerValues {
    pub team: Option<PeerGroup>,
    pub organisation: Option<PeerGroup>,
}

/// Each agent's values from a grouped read, for the agents named.
fn values_of(
    per_agent: &BTreeMap<GroupKey, GroupSums>,
    agent_ids: impl IntoIterator<Item = String>,
) -> BTreeMap<String, Vec<KpiValue>> {
    agent_ids
        .into_iter()
        .map(|agent_id| {
            let sums = per_agent
                .get(&GroupKey::Agent(agent_id.clone()))
                .map(|group| group.sums.clone())
                .unwrap_or_default();
            (agent_id, compute_all(&sums))
        })
        .collect()
}

fn agent_ids(per_agent: &BTreeMap<GroupKey, GroupSums>) -> impl Iterator<Item = String> + '_ {
    per_agent.keys().filter_map(|key| match key {
        GroupKey::Agent(agent_id) => Some(agent_id.clone()),
        GroupKey::Day(_) => None,
    })
}

impl<C: ConnectionTrait> Engine<'_, C> {
    /// The peers of an agent in `period` as of `as_of`: the group of
    /// `team_id` (its pooled values, as its team scorecard counts them, and
    /// its agents: current members and agents whose records count for it),
    /// and with `organisation` the whole directory's. The organisation's
    /// grouped read also serves the team's agents' own values.
    pub async fn peer_values(
        &self,
        team_id: Option<&str>,
        organisation: bool,
        period: &Period,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<PeerValues, StorageError> {
        let counted = counted(period, as_of);
        let everyone = async {
            if !organisation {
                return Ok(None);
            }
            let (per_agent, agents) = self
                .join(
                    read_sums(
                        self.connection,
                        self.zone,
                        FactScope::Organisation,
                        &counted,
                        Grouping::Agent,
                    ),
                    directory::all_agents(self.connection, None),
                )
                .await;
            let (per_agent, agents) = (per_agent?, agents?);
            let mut ids: BTreeSet<String> =
                agents.into_iter().map(|agent| agent.agent_id).collect();
            ids.extend(agent_ids(&per_agent));
            let agents = values_of(&per_agent, ids);
            let pooled = compute_all(&total(per_agent.into_values()).sums);
            Ok::<_, StorageError>(Some(PeerGroup { pooled, agents }))
        };
        let team = async {
            let Some(team_id) = team_id else {
                return Ok(None);
            };
            let (per_agent, members) = self
                .join(
                    read_sums(
                        self.connection,
                        self.zone,
                        FactScope::Team(team_id),
                        &counted,
                        Grouping::Agent,
                    ),
                    directory::all_agents(self.connection, Some(team_id)),
                )
                .await;
            let (per_agent, members) = (per_agent?, members?);
            let mut ids: BTreeSet<String> =
                members.into_iter().map(|agent| agent.agent_id).collect();
            ids.extend(agent_ids(&per_agent));
            let pooled = compute_all(&total(per_agent.into_values()).sums);
            Ok::<_, StorageError>(Some((pooled, ids)))
        };
        let (everyone, team) = self.join(everyone, team).await;
        let (organisation, team) = (everyone?, team?);
        let team = match team {
            None => None,
            Some((pooled, ids)) => {
                let agents = match &organisation {
                    // Every agent's own values are in the organisation's read.
                    Some(everyone) => ids
                        .into_iter()
                        .map(|id| {
                            let values = everyone
                                .agents
                                .get(&id)
                                .cloned()
                                .unwrap_or_else(|| compute_all(&Default::default()));
                            (id, values)
                        })
                        .collect(),
                    None => {
                        let ids: Vec<String> = ids.into_iter().collect();
                        let per_agent = read_sums(
                            self.connection,
                            self.zone,
                            FactScope::Agents(&ids),
                            &counted,
                            Grouping::Agent,
                        )
                        .await?;
                        values_of(&per_agent, ids)
                    }
                };
                Some(PeerGroup { pooled, agents })
            }
        };
        Ok(PeerValues { team, organisation })
    }
}
