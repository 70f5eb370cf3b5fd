//! The numbers an agent's peers are compared on: a team's pooled values
//! and its agents' own, and the organisation's pooled values and every
//! agent's own, each from one grouped read of the rollups (plus raw rows
//! for partial days), never scorecard by scorecard.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{
    counted,
    peer_cache::{PeerCache, PeerKey, PeerScope},
    sums::read_sums,
    sums::total,
    Engine,
};
use crate::{
    domain::{
        kpi::{compute_all, KpiValue},
        period::Period,
    },
    storage::{
        data_changes::data_version,
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
/// organisation's, each only when asked for (shared with the cache).
#[derive(Debug, Clone, Default)]
pub struct PeerValues {
    pub team: Option<Arc<PeerGroup>>,
    pub organisation: Option<Arc<PeerGroup>>,
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
    /// and with `organisation` the whole directory's. Each group is served
    /// from `cache` while the data's version is the one it was computed at
    /// (one read of the version per call), else computed and kept when no
    /// write committed meanwhile (see `peer_cache`). A team's agents' own
    /// values come from the organisation's group when it is asked for.
    pub async fn cached_peer_values(
        &self,
        cache: &PeerCache,
        team_id: Option<&str>,
        organisation: bool,
        period: &Period,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<PeerValues, StorageError> {
        let counted = counted(period, as_of);
        let key = |scope| PeerKey {
            start: counted.start,
            end: counted.end,
            zone: self.zone,
            scope,
        };
        let version = data_version(self.connection).await?;
        let mut computed = Vec::new();
        let everyone = if organisation {
            let key = key(PeerScope::Organisation);
            Some(match cache.get(&key, version) {
                Some(group) => group,
                None => {
                    let group = Arc::new(self.organisation_group(&counted).await?);
                    computed.push((key, group.clone()));
                    group
                }
            })
        } else {
            None
        };
        let team = match team_id {
            None => None,
            Some(team_id) => {
                let key = key(PeerScope::Team(team_id.to_owned()));
                Some(match cache.get(&key, version) {
                    Some(group) => group,
                    None => {
                        let group = self
                            .team_group(team_id, &counted, everyone.as_deref())
                            .await?;
                        let group = Arc::new(group);
                        computed.push((key, group.clone()));
                        group
                    }
                })
            }
        };
        // Kept only if every read above saw the data at `version`.
        if !computed.is_empty() && data_version(self.connection).await? == version {
            for (key, group) in computed {
                cache.put(key, version, group);
            }
        }
        Ok(PeerValues {
            team,
            organisation: everyone,
        })
    }

    /// The whole directory's group: one grouped read of every agent's sums
    /// beside the directory (agents without records rank with no data).
    async fn organisation_group(&self, counted: &Period) -> Result<PeerGroup, StorageError> {
        let (per_agent, agents) = self
            .join(
                read_sums(
                    self.connection,
                    self.zone,
                    FactScope::Organisation,
                    counted,
                    Grouping::Agent,
                ),
                directory::all_agents(self.connection, None),
            )
            .await;
        let (per_agent, agents) = (per_agent?, agents?);
        let mut ids: BTreeSet<String> = agents.into_iter().map(|agent| agent.agent_id).collect();
        ids.extend(agent_ids(&per_agent));
        let agents = values_of(&per_agent, ids);
        let pooled = compute_all(&total(per_agent.into_values()).sums);
        Ok(PeerGroup { pooled, agents })
    }

    /// A team's group: its pooled values (as its team scorecard counts
    /// them) and its agents' own values, taken from `everyone` (the
    /// organisation's group at the same data version) when given, else
    /// read for the team's agents only.
    async fn team_group(
        &self,
        team_id: &str,
        counted: &Period,
        everyone: Option<&PeerGroup>,
    ) -> Result<PeerGroup, StorageError> {
        let (per_agent, members) = self
            .join(
                read_sums(
                    self.connection,
                    self.zone,
                    FactScope::Team(team_id),
                    counted,
                    Grouping::Agent,
                ),
                directory::all_agents(self.connection, Some(team_id)),
            )
            .await;
        let (per_agent, members) = (per_agent?, members?);
        let mut ids: BTreeSet<String> = members.into_iter().map(|agent| agent.agent_id).collect();
        ids.extend(agent_ids(&per_agent));
        let pooled = compute_all(&total(per_agent.into_values()).sums);
        let agents = match everyone {
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
                    counted,
                    Grouping::Agent,
                )
                .await?;
                values_of(&per_agent, ids)
            }
        };
        Ok(PeerGroup { pooled, agents })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{configuration::Settings, storage::Database};

    /// Agents of two teams read at one data version: the organisation's
    /// values are computed for the first team's call and served to the
    /// second's, each team keeping an entry of its own.
    #[tokio::test]
    async fn teams_read_at_one_version_share_the_organisation_s_values() {
        let mut settings = Settings::defaults().unwrap().database;
        settings.url = "sqlite::memory:".into();
        settings.max_connections = 1;
        let database = Database::connect(&settings).await.unwrap();
        database.migrate().await.unwrap();
        let engine = Engine::live_on(&database, database.connection(), chrono_tz::UTC);
        let cache = PeerCache::default();
        let period = Period {
            start: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        };
        let read = |team_id| engine.cached_peer_values(&cache, Some(team_id), true, &period, None);
        let first = read("team-a").await.unwrap();
        let second = read("team-b").await.unwrap();
        let again = read("team-a").await.unwrap();
        assert_eq!(cache.len(), 3, "the organisation and each team");
        let organisation = |values: &PeerValues| values.organisation.clone().unwrap();
        assert!(Arc::ptr_eq(&organisation(&first), &organisation(&second)));
        assert!(Arc::ptr_eq(&organisation(&first), &organisation(&again)));
        let team = |values: &PeerValues| values.team.clone().unwrap();
        assert!(!Arc::ptr_eq(&team(&first), &team(&second)));
        assert!(Arc::ptr_eq(&team(&first), &team(&again)));
        // A team-scoped caller's read (no organisation) uses the team's entry.
        let scoped = engine
            .cached_peer_values(&cache, Some("team-b"), false, &period, None)
            .await
            .unwrap();
        assert!(scoped.organisation.is_none());
        assert!(Arc::ptr_eq(&team(&second), &team(&scoped)));
    }
}
