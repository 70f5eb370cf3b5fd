//! The scorecard engine: computing scorecards on one connection: choose the policy in force, read
//! the sums of a scope and period (daily rollups for whole days, raw rows
//! only for the partial days of a custom range), compute every KPI and
//! judge it. The arithmetic lives in `domain`, the reading in `storage`.
//!
//! The engine runs on whatever connection it is given: the pool for live
//! reads, or a close's own transaction, so that a snapshot holds exactly
//! what was committed before the close took its lock. Where it reads
//! policies is part of that choice: live reads may use the process's policy
//! cache; a close reads the versions in its transaction, never a cache.

use std::{
    collections::{BTreeSet, HashMap},
    future::Future,
};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};

mod intraday;
mod peer_cache;
mod peers;
mod sums;
mod trend;

pub use peer_cache::PeerCache;
pub use peers::{PeerGroup, PeerValues};
pub use trend::TrendBucket;

use sums::{read_sums, total};

use crate::{
    domain::{
        calendar::{DayRange, LocalDay},
        directory::{Agent, MembershipHistory},
        period::{local_date, Period},
        policy::{goals_in_force, AgentGoal},
        scorecard::{judge, judge_agent, AppliedPolicy, Scorecard},
    },
    storage::{
        directory,
        facts::FactScope,
        goals, memberships, policy,
        rollups::read::{watermark, GroupKey, Grouping},
        Database, StorageError,
    },
};

/// Which agents a call to [`Engine::agent_scorecards`] covers; it decides
/// how the rollups are filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentSet {
    /// Just the agents given (a team's members, say): a list of ids.
    Listed,
    /// Part of the whole directory, in the order the database lists it (a
    /// page of it): the range from its first to its last id, one range of
    /// the rollups' key, which holds every agent given whatever the
    /// database's collation. Agents inside the range but not given are read
    /// and left out.
    DirectoryRun,
    /// The whole directory: no filter.
    Directory,
}

/// Where an engine reads policy versions.
#[derive(Clone, Copy)]
enum PolicySource<'a> {
    /// The process's policy cache (live reads).
    Cached(&'a Database),
    /// The engine's own connection: every version committed before it, and
    /// nothing remembered from earlier.
    Connection,
}

/// Computes scorecards on one connection.
pub struct Engine<'a, C> {
    connection: &'a C,
    zone: Tz,
    policies: PolicySource<'a>,
    /// Run independent reads side by side: on a PostgreSQL pool, where each
    /// waits for a round trip on a connection of its own. Not on SQLite (in
    /// process: a second connection saves no wait and adds its page cache)
    /// nor in a transaction (one connection).
    side_by_side: bool,
}

impl<'a> Engine<'a, DatabaseConnection> {
    /// An engine for live reads, on the primary's pool, with cached policies.
    pub fn live(database: &'a Database, zone: Tz) -> Self {
        Self::live_on(database, database.connection(), zone)
    }

    /// An engine for live reads on `connection`: the primary's pool or a
    /// standby's (`Database::reader`), with cached policies.
    pub fn live_on(database: &'a Database, connection: &'a DatabaseConnection, zone: Tz) -> Self {
        Self {
            connection,
            zone,
            policies: PolicySource::Cached(database),
            side_by_side: database.backend() == DatabaseBackend::Postgres,
        }
    }
}

impl<'a, C: ConnectionTrait> Engine<'a, C> {
    /// An engine inside a transaction: everything, policies included, is
    /// read on `connection`.
    pub fn on(connection: &'a C, zone: Tz) -> Self {
        Self {
            connection,
            zone,
            policies: PolicySource::Connection,
            side_by_side: false,
        }
    }

    /// The reporting time zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Runs two independent reads, side by side where that saves a wait.
    pub async fn join<A: Future, B: Future>(&self, a: A, b: B) -> (A::Output, B::Output) {
        if self.side_by_side {
            tokio::join!(a, b)
        } else {
            (a.await, b.await)
        }
    }

    /// The policy in force for `team_id` on the first day of `period`.
    pub async fn policy_for(
        &self,
        team_id: Option<&str>,
        period: &Period,
    ) -> Result<AppliedPolicy, StorageError> {
        let first_day = local_date(period.start, self.zone);
        let version = match self.policies {
            PolicySource::Cached(database) => {
                database
                    .policy_cache()
                    .effective(database.connection(), team_id, first_day)
                    .await?
            }
            PolicySource::Connection => {
                policy::effective_policy(self.connection, team_id, first_day).await?
            }
        };
        Ok(AppliedPolicy::from_version(version))
    }

    /// The goals effective by the first day of `period` of `agents` (all
    /// when `None`), read on the engine's connection (never cached: a
    /// close freezes exactly the goals committed before it).
    async fn goals_for(
        &self,
        agents: Option<&[String]>,
        period: &Period,
    ) -> Result<HashMap<String, Vec<AgentGoal>>, StorageError> {
        let first_day = local_date(period.start, self.zone);
        goals::goals_effective_by(self.connection, agents, first_day).await
    }

    /// One agent's goals in force on the first day of `period`.
    fn goals_of<'g>(
        &self,
        goals: &'g HashMap<String, Vec<AgentGoal>>,
        agent_id: &str,
        period: &Period,
    ) -> Vec<&'g AgentGoal> {
        let first_day = local_date(period.start, self.zone);
        goals
            .get(agent_id)
            .map(|goals| goals_in_force(goals, first_day))
            .unwrap_or_default()
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
    /// the period's start (`history`: the agent's team history, which the
    /// caller read beside the agent, `None` for an agent never in a team),
    /// counting only the records placed before `as_of` (all when `None`);
    /// judged as the whole period is.
    pub async fn agent_scorecard_as_of(
        &self,
        agent: &Agent,
        history: Option<&MembershipHistory>,
        period: &Period,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Scorecard, StorageError> {
        let agents = [agent.agent_id.clone()];
        let (sums, goals) = self
            .join(
                read_sums(
                    self.connection,
                    self.zone,
                    FactScope::Agents(&agents),
                    &counted(period, as_of),
                    Grouping::Agent,
                ),
                self.goals_for(Some(&agents), period),
            )
            .await;
        let (sums, goals) = (sums?, goals?);
        let total = total(sums.into_values());
        let team_id = self.judging_team(history, period);
        let policy = self.policy_for(team_id.as_deref(), period).await?;
        let mut scorecard = judge_agent(
            &total.sums,
            policy,
            &self.goals_of(&goals, &agent.agent_id, period),
            team_id,
            *period,
            total.updated_at_us,
        );
        scorecard.as_of = as_of;
        Ok(scorecard)
    }

    /// A team's pooled scorecard and the agents whose records count in it
    /// or who are its members now.
    pub async fn team_scorecard(
        &self,
        team_id: &str,
        period: &Period,
    ) -> Result<(Scorecard, Vec<String>), StorageError> {
        self.team_scorecard_as_of(team_id, period, None).await
    }

    /// [`Engine::team_scorecard`] counting only the records placed before
    /// `as_of` (all when `None`).
    pub async fn team_scorecard_as_of(
        &self,
        team_id: &str,
        period: &Period,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<(Scorecard, Vec<String>), StorageError> {
        let per_agent = read_sums(
            self.connection,
            self.zone,
            FactScope::Team(team_id),
            &counted(period, as_of),
            Grouping::Agent,
        )
        .await?;
        let mut members: BTreeSet<String> = directory::all_agents(self.connection, Some(team_id))
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
        let mut scorecard = judge(
            &total.sums,
            policy,
            Some(team_id.to_owned()),
            *period,
            total.updated_at_us,
        );
        scorecard.as_of = as_of;
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
        self.agent_scorecards_as_of(agents, set, period, None).await
    }

    /// [`Engine::agent_scorecards`] counting only the records placed
    /// before `as_of` (all when `None`).
    pub async fn agent_scorecards_as_of(
        &self,
        agents: &[Agent],
        set: AgentSet,
        period: &Period,
        as_of: Option<DateTime<Utc>>,
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
        let goals_of = (!whole_directory).then_some(ids.as_slice());
        let (per_agent, (histories, goals)) = self
            .join(
                read_sums(
                    self.connection,
                    self.zone,
                    scope,
                    &counted(period, as_of),
                    Grouping::Agent,
                ),
                self.join(
                    memberships::team_histories(self.connection, history_of),
                    self.goals_for(goals_of, period),
                ),
            )
            .await;
        let (mut per_agent, histories, goals) = (per_agent?, histories?, goals?);
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
            let mut scorecard = judge_agent(
                &sums.sums,
                policy,
                &self.goals_of(&goals, &agent.agent_id, period),
                team_id,
                *period,
                sums.updated_at_us,
            );
            scorecard.as_of = as_of;
            scorecards.push((agent.clone(), scorecard));
        }
        Ok(scorecards)
    }

    /// When the numbers of `period` last changed (see `rollups::read::watermark`).
    pub async fn data_watermark(&self, period: &Period) -> Result<Option<i64>, StorageError> {
        let days = DayRange::of_period(period, self.zone);
        watermark(self.connection, days.first, days.end).await
    }
}

/// What a read as of `as_of` counts: the period up to that instant (the
/// whole period when `None` or later than its end).
fn counted(period: &Period, as_of: Option<DateTime<Utc>>) -> Period {
    match as_of {
        Some(as_of) if as_of < period.end => Period {
            start: period.start,
            end: as_of.max(period.start),
        },
        _ => *period,
    }
}

/// The local day of an instant, for the engine's helpers.
fn day_of(instant: DateTime<Utc>, zone: Tz) -> LocalDay {
    LocalDay::of_instant(instant, zone)
}
