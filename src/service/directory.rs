//! The use cases behind `DirectoryService`: teams and agents, and the team
//! history of each agent. Each use case owns its transaction and the order
//! of its checks (access, arguments, existence, closed months).
//!
//! A team move rewrites what past numbers were attributed to, so it holds
//! the numbers lock exclusively (no ingest batch attributes by the history
//! it rewrites; no close runs meanwhile) and checks the closed months
//! inside its transaction, after the lock (`service::period_guard`).

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;

use super::{
    access::{authorize_agent_read, authorize_list, authorize_read},
    changes::{announce, ChangeScope, Recorded, Recorder},
    consistency::token_after_write,
    period_guard::{self, closed_month_altered_by, ClosedMonth, TEAM_MOVE},
};
use crate::{
    auth::{Caller, ReadSubject},
    domain::{
        audit::{AuditActor, AuditChange},
        calendar::LocalDay,
        changes::ChangeCause,
        directory::{Agent, AgentUpsert, Team, TeamUpsert},
    },
    error::ServiceError,
    storage::{
        audit, changes, directory, lock_numbers, memberships, periods::closed_through, team_moves,
        Database, NumbersLock, StorageError, WriteTransaction,
    },
};

const UPSERT_TEAM: &str = "/kpi.v1.DirectoryService/UpsertTeam";
const GET_TEAM: &str = "/kpi.v1.DirectoryService/GetTeam";
const LIST_TEAMS: &str = "/kpi.v1.DirectoryService/ListTeams";
const UPSERT_AGENT: &str = "/kpi.v1.DirectoryService/UpsertAgent";
const GET_AGENT: &str = "/kpi.v1.DirectoryService/GetAgent";
const LIST_AGENTS: &str = "/kpi.v1.DirectoryService/ListAgents";
/// The most recent days with records whose changes a team move records
/// (a bound on the work one move does inside its exclusive lock).
const MAX_MOVED_DAYS: u64 = 93;

/// Where a listing by id resumes, and how many items it returns at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Only ids after this one.
    pub after: Option<String>,
    pub limit: u64,
}

/// What an upsert stored, and whether it created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upserted<T> {
    pub stored: T,
    pub created: bool,
    /// What a later read passes to see this change wherever it runs (see
    /// `service::consistency`); empty on SQLite.
    pub consistency_token: String,
}

/// Why an agent upsert stopped before its commit (its transaction rolled
/// back).
enum AgentRefusal {
    UnknownTeam(String),
    Closed(ClosedMonth),
}

/// The directory: teams, agents, team histories.
#[derive(Clone)]
pub struct Directory {
    database: Database,
    /// The reporting zone: team histories are in its days.
    zone: Tz,
}

impl Directory {
    pub fn new(database: Database, zone: Tz) -> Self {
        Self { database, zone }
    }

    /// Today in the reporting zone: no team change may take effect later.
    pub fn today(&self) -> NaiveDate {
        LocalDay::of_instant(Utc::now(), self.zone).date()
    }

    /// Creates or renames a team, audited in the same transaction. Who may
    /// call it is settled by the scope table alone.
    pub async fn upsert_team(
        &self,
        caller: &Caller,
        upsert: TeamUpsert,
    ) -> Result<Upserted<Team>, ServiceError> {
        let actor = caller.audit_actor(UPSERT_TEAM);
        let upserted = self
            .database
            .with_retries(|| async {
                let transaction = self.database.begin_write().await?;
                let previous = directory::get_team(&transaction, &upsert.team_id).await?;
                let now_us = Utc::now().timestamp_micros();
                let stored = directory::upsert_team(&transaction, &upsert, now_us).await?;
                let change = AuditChange::TeamUpserted {
                    team_id: stored.team_id.clone(),
                    created: previous.is_none(),
                    previous_display_name: previous.as_ref().map(|team| team.display_name.clone()),
                    display_name: stored.display_name.clone(),
                };
                audit::append(&transaction, &actor, &change).await?;
                transaction.commit().await?;
                Ok::<_, StorageError>(Upserted {
                    stored,
                    created: previous.is_none(),
                    consistency_token: String::new(),
                })
            })
            .await?;
        Ok(Upserted {
            consistency_token: token_after_write(&self.database).await,
            ..upserted
        })
    }

    /// One team.
    pub async fn get_team(&self, caller: &Caller, team_id: String) -> Result<Team, ServiceError> {
        authorize_read(caller, GET_TEAM, ReadSubject::Team(&team_id))?;
        directory::get_team(self.database.connection(), &team_id)
            .await?
            .ok_or_else(|| ServiceError::team_not_found(team_id))
    }

    /// A page of teams by id. The page is checked after access (a bad page
    /// from a caller without access is PERMISSION_DENIED).
    pub async fn list_teams(
        &self,
        caller: &Caller,
        page: Result<PageRequest, ServiceError>,
    ) -> Result<Vec<Team>, ServiceError> {
        authorize_list(caller, LIST_TEAMS, None)?;
        let page = page?;
        let teams = directory::list_teams(
            self.database.connection(),
            page.after.as_deref(),
            page.limit,
        )
        .await?;
        Ok(teams)
    }

    /// Creates or changes an agent, audited in the same transaction. A team
    /// change rewrites the history from its effective day, and what was
    /// attributed by it; one effective inside a closed month is refused
    /// (FAILED_PRECONDITION, PERIOD_CLOSED) and the refusal audited.
    pub async fn upsert_agent(
        &self,
        caller: &Caller,
        upsert: AgentUpsert,
    ) -> Result<Upserted<Agent>, ServiceError> {
        let actor = caller.audit_actor(UPSERT_AGENT);
        let today = LocalDay::of_instant(Utc::now(), self.zone);
        let outcome = self
            .database
            .with_retries(|| self.try_upsert_agent(&upsert, &actor, today))
            .await?;
        match outcome {
            Ok((upserted, recorded)) => {
                announce(&self.database, recorded);
                Ok(Upserted {
                    consistency_token: token_after_write(&self.database).await,
                    ..upserted
                })
            }
            Err(AgentRefusal::UnknownTeam(team_id)) => Err(ServiceError::invalid_field(
                "agent.team_id",
                format!("team {team_id:?} is not in the directory; create it first"),
            )),
            Err(AgentRefusal::Closed(closed)) => Err(period_guard::refuse(
                &self.database,
                &actor,
                TEAM_MOVE,
                &upsert.agent_id,
                closed,
            )
            .await),
        }
    }

    /// One attempt of [`Directory::upsert_agent`], in one transaction.
    async fn try_upsert_agent(
        &self,
        upsert: &AgentUpsert,
        actor: &AuditActor,
        today: LocalDay,
    ) -> Result<Result<(Upserted<Agent>, Option<Recorded>), AgentRefusal>, StorageError> {
        let transaction = self.database.begin_write().await?;
        if let Some(team_id) = &upsert.team_id {
            if directory::get_team(&transaction, team_id).await?.is_none() {
                return Ok(Err(AgentRefusal::UnknownTeam(team_id.clone())));
            }
        }
        // Before the history is read: no ingest batch may attribute by the
        // history this change rewrites, and no close may run between the
        // closed-month check and the commit.
        let clock_us = lock_numbers(&transaction, NumbersLock::Exclusive).await?;
        let previous = directory::get_agent(&transaction, &upsert.agent_id).await?;
        directory::upsert_agent_row(&transaction, upsert, clock_us).await?;
        let (moved_from, recorded) = match self
            .rewrite_history(&transaction, upsert, today, clock_us)
            .await?
        {
            Ok(Some((day, recorded))) => (Some(day), recorded),
            Ok(None) => (None, None),
            Err(closed) => return Ok(Err(AgentRefusal::Closed(closed))),
        };
        let stored = directory::get_agent(&transaction, &upsert.agent_id)
            .await?
            .ok_or_else(|| StorageError::Corrupt("agent vanished after upsert".into()))?;
        let change = AuditChange::AgentUpserted {
            agent_id: stored.agent_id.clone(),
            created: previous.is_none(),
            previous_team_id: previous.as_ref().and_then(|agent| agent.team_id.clone()),
            team_id: stored.team_id.clone(),
            previous_display_name: previous.as_ref().map(|agent| agent.display_name.clone()),
            display_name: stored.display_name.clone(),
            team_effective_from: moved_from
                .filter(|day| *day != LocalDay::OPEN_START)
                .map(|day| day.to_string()),
        };
        audit::append(&transaction, actor, &change).await?;
        transaction.commit().await?;
        let upserted = Upserted {
            stored,
            created: previous.is_none(),
            consistency_token: String::new(),
        };
        Ok(Ok((upserted, recorded)))
    }

    /// Rewrites the agent's history (and what was attributed by it) when
    /// the upsert changes it; returns the change's effective day then, with
    /// the scorecard changes it recorded (the agent's and every team its
    /// records counted or now count for, on the agent's days with records
    /// from that day on), or the closed month it would alter.
    async fn rewrite_history(
        &self,
        transaction: &WriteTransaction,
        upsert: &AgentUpsert,
        today: LocalDay,
        clock_us: i64,
    ) -> Result<Result<Option<(LocalDay, Option<Recorded>)>, ClosedMonth>, StorageError> {
        let agent_id = upsert.agent_id.as_str();
        let team = upsert.team_id.as_deref();
        let history = memberships::load_histories(transaction, &[agent_id])
            .await?
            .remove(agent_id)
            .unwrap_or_default();
        let first_open_day = closed_through(transaction).await?;
        let from_day = history.change_day(upsert.team_effective_from, today, first_open_day);
        let changed = history.with_change(team, from_day);
        if changed == history {
            return Ok(Ok(None));
        }
        if let Some(closed) = closed_month_altered_by(transaction, from_day).await? {
            return Ok(Err(closed));
        }
        let mut scope = ChangeScope::default();
        scope.agents.insert(agent_id.to_owned());
        scope
            .teams
            .extend(changes::teams_of_agent_from(transaction, agent_id, from_day).await?);
        scope.teams.extend(team.map(str::to_owned));
        scope.days.extend(
            changes::days_with_data(transaction, from_day, Some(agent_id), MAX_MOVED_DAYS).await?,
        );
        let recorder = Recorder::new(self.zone);
        let before = recorder.before(transaction, scope).await?;
        memberships::store_history(transaction, agent_id, &changed).await?;
        team_moves::reattribute_from(transaction, agent_id, team, from_day, self.zone, clock_us)
            .await?;
        let cause = ChangeCause::TeamMove {
            agent_id: agent_id.to_owned(),
        };
        let recorded = recorder
            .after(transaction, before, &cause, clock_us, false)
            .await?;
        Ok(Ok(Some((from_day, recorded))))
    }

    /// One agent with its team history. Access is checked before existence:
    /// for a team-scoped caller an unknown agent is PERMISSION_DENIED.
    pub async fn get_agent(
        &self,
        caller: &Caller,
        agent_id: String,
    ) -> Result<Agent, ServiceError> {
        authorize_agent_read(&self.database, caller, GET_AGENT, &agent_id).await?;
        directory::get_agent(self.database.connection(), &agent_id)
            .await?
            .ok_or_else(|| ServiceError::agent_not_found(agent_id))
    }

    /// A page of agents by id, optionally the current members of one team
    /// (NOT_FOUND for an unknown team), with their histories.
    pub async fn list_agents(
        &self,
        caller: &Caller,
        team_id: Option<String>,
        page: Result<PageRequest, ServiceError>,
    ) -> Result<Vec<Agent>, ServiceError> {
        authorize_list(caller, LIST_AGENTS, team_id.as_deref())?;
        let page = page?;
        let connection = self.database.connection();
        if let Some(team_id) = &team_id {
            if directory::get_team(connection, team_id).await?.is_none() {
                return Err(ServiceError::team_not_found(team_id.clone()));
            }
        }
        let agents = directory::list_agents(
            connection,
            team_id.as_deref(),
            page.after.as_deref(),
            page.limit,
        )
        .await?;
        Ok(agents)
    }
}
