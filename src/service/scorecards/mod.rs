//! The use cases behind `ScorecardService`: one agent's or team's
//! scorecard (here), listings and breaches (`lists`), trends (`trend`) and
//! the interactions behind an agent's numbers (`drill_down`). A read of a
//! closed calendar month answers from its snapshot (`service::periods`)
//! unless the caller asks for live numbers; anything else is computed by
//! the scorecard engine (`service::engine`) on the pool.

mod as_of;
mod breaches;
mod cursor;
mod drill_down;
mod lists;
mod peers;
mod records;
mod trend;

pub use as_of::AsOfField;

pub use breaches::{BreachItem, BreachesPage, BreachesQuery};
pub use drill_down::{InteractionsPage, InteractionsQuery};
pub use lists::{ListOrder, ListedScorecard, ScorecardsPage, ScorecardsQuery};
pub use records::{RecordsPage, RecordsQuery};
pub use trend::{TrendQuery, TrendSubject};

use std::sync::Arc;

use chrono::Utc;
use chrono_tz::Tz;

use crate::{
    auth::{Caller, ReadSubject},
    domain::{
        closing::SubjectKind,
        directory::{Agent, MembershipHistory},
        pay_period::PayCalendar,
        peers::KpiPeers,
        period::{resolve, Period, PeriodSpec},
        scorecard::Scorecard,
    },
    error::ServiceError,
    service::{
        access::{authorize_read, authorize_read_of_agent},
        consistency::{read_preference, ReadNeed},
        engine::{Engine, PeerCache},
        snapshots::{pay_period_of, snapshot_for, ClosedReading, FromSnapshot, SnapshotEncoding},
    },
    storage::{directory, memberships, Database, ReadPreference},
};

const GET_AGENT_SCORECARD: &str = "/kpi.v1.ScorecardService/GetAgentScorecard";
const GET_TEAM_SCORECARD: &str = "/kpi.v1.ScorecardService/GetTeamScorecard";

/// Longest period a read may cover, in days.
pub const MAX_PERIOD_DAYS: u32 = 366;

/// Reading scorecards.
#[derive(Clone)]
pub struct Scorecards {
    database: Database,
    zone: Tz,
    /// Which periods payroll closes: a read of exactly a closed one
    /// answers from its snapshot.
    calendar: PayCalendar,
    encoding: Arc<dyn SnapshotEncoding>,
    /// The process's peer values (shared by every clone).
    peer_cache: Arc<PeerCache>,
}

/// A request for one agent's scorecard. The period and `as_of` are checked
/// after access.
pub struct AgentScorecardQuery {
    pub agent_id: String,
    pub period: Result<PeriodSpec, ServiceError>,
    pub reading: ClosedReading,
    pub as_of: AsOfField,
    pub include_forecast: bool,
    pub include_peers: bool,
    /// A write's consistency token (empty: none); see `service::consistency`.
    pub consistency_token: String,
}

/// A request for one team's scorecard. The period and `as_of` are checked
/// after access.
pub struct TeamScorecardQuery {
    pub team_id: String,
    pub period: Result<PeriodSpec, ServiceError>,
    pub reading: ClosedReading,
    pub as_of: AsOfField,
    pub include_forecast: bool,
    /// A write's consistency token (empty: none).
    pub consistency_token: String,
}

/// One agent's scorecard: computed now, or as a closed month stored it.
#[derive(Debug, Clone)]
pub enum AgentScorecardAnswer {
    Live {
        agent: Agent,
        scorecard: Box<Scorecard>,
        /// One per KPI (catalogue order) when peers were asked for; empty
        /// otherwise.
        peers: Vec<KpiPeers>,
    },
    Stored(FromSnapshot),
}

/// One team's scorecard: computed now (with the agents whose records count
/// in it or who are its members now), or as a closed month stored it.
#[derive(Debug, Clone)]
pub enum TeamScorecardAnswer {
    Live {
        team_id: String,
        /// Boxed: far larger than a stored answer.
        scorecard: Box<Scorecard>,
        members: Vec<String>,
    },
    Stored(FromSnapshot),
}

/// The period a request names, resolved in the reporting zone; an
/// INVALID_ARGUMENT on field `period` when it cannot be.
pub fn resolve_period(
    spec: Result<PeriodSpec, ServiceError>,
    zone: Tz,
) -> Result<Period, ServiceError> {
    resolve(spec?, zone, MAX_PERIOD_DAYS)
        .map_err(|error| ServiceError::invalid_field("period", error.to_string()))
}

impl Scorecards {
    pub fn new(database: Database, zone: Tz, encoding: Arc<dyn SnapshotEncoding>) -> Self {
        Self {
            database,
            zone,
            calendar: PayCalendar::Month,
            encoding,
            peer_cache: Arc::default(),
        }
    }

    /// The same reads, with pay periods of `calendar` (calendar months
    /// unless set).
    pub fn with_pay_calendar(self, calendar: PayCalendar) -> Self {
        Self { calendar, ..self }
    }

    /// The reporting time zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// A `pay_period` selector must name a pay period of the configured
    /// kind (INVALID_ARGUMENT, before existence is checked).
    pub(super) fn check_pay_period(
        &self,
        spec: &Result<PeriodSpec, ServiceError>,
    ) -> Result<(), ServiceError> {
        if let Ok(spec) = spec {
            pay_period_of(self.calendar, spec)?;
        }
        Ok(())
    }

    /// The engine on the pool a read of `preference` runs on.
    fn engine<'a>(
        &'a self,
        connection: &'a sea_orm::DatabaseConnection,
    ) -> Engine<'a, sea_orm::DatabaseConnection> {
        Engine::live_on(&self.database, connection, self.zone)
    }

    /// The pool a read runs on: the need the use case gives, or the
    /// client's token. A bad token is returned for the caller to report in
    /// its order of checks; the read meanwhile runs on the primary.
    fn reader(
        &self,
        need: ReadNeed,
        token: &str,
    ) -> (
        &sea_orm::DatabaseConnection,
        Result<ReadPreference, ServiceError>,
    ) {
        let preference = read_preference(need, token);
        let connection = self
            .database
            .reader(*preference.as_ref().unwrap_or(&ReadPreference::Primary));
        (connection, preference)
    }

    pub(super) async fn agent(
        &self,
        connection: &sea_orm::DatabaseConnection,
        agent_id: &str,
    ) -> Result<Agent, ServiceError> {
        directory::get_agent(connection, agent_id)
            .await?
            .ok_or_else(|| ServiceError::agent_not_found(agent_id))
    }

    pub(super) async fn ensure_team(
        &self,
        connection: &sea_orm::DatabaseConnection,
        team_id: &str,
    ) -> Result<(), ServiceError> {
        match directory::get_team(connection, team_id).await? {
            Some(_) => Ok(()),
            None => Err(ServiceError::team_not_found(team_id)),
        }
    }

    /// Checks: access (by the agent's current team), the period and the
    /// consistency token, the agent's existence, the snapshot asked for.
    /// On the primary, or where the client's token allows.
    pub async fn agent_scorecard(
        &self,
        caller: &Caller,
        query: AgentScorecardQuery,
    ) -> Result<AgentScorecardAnswer, ServiceError> {
        let (connection, preference) = self.reader(ReadNeed::Primary, &query.consistency_token);
        // The agent, its team history and the month's closing are
        // independent look-ups: one round trip's wait instead of three on
        // PostgreSQL. Their answers are judged in the usual order.
        let snapshot = async {
            match &query.period {
                Ok(spec) => snapshot_for(connection, self.calendar, spec, query.reading).await,
                Err(_) => Ok(None),
            }
        };
        let engine = self.engine(connection);
        let agent_ids = [query.agent_id.as_str()];
        let agent_and_history = engine.join(
            directory::get_agent_row(connection, &query.agent_id),
            memberships::load_histories(connection, &agent_ids),
        );
        let ((agent, histories), snapshot) = engine.join(agent_and_history, snapshot).await;
        let history = histories?.remove(&query.agent_id);
        let agent = agent?.map(|mut agent| {
            agent.memberships = history
                .as_ref()
                .map(MembershipHistory::memberships)
                .unwrap_or_default();
            agent
        });
        authorize_read_of_agent(caller, GET_AGENT_SCORECARD, agent.as_ref())?;
        self.check_pay_period(&query.period)?;
        let period = resolve_period(query.period, self.zone)?;
        preference?;
        let as_of = as_of::read_as_of(&period, query.as_of, query.include_forecast, Utc::now())?;
        let agent = agent.ok_or_else(|| ServiceError::agent_not_found(&query.agent_id))?;
        if let Some(snapshot) = snapshot? {
            if let Some(stored) = snapshot
                .subject(connection, SubjectKind::Agent, &agent.agent_id)
                .await?
            {
                return Ok(AgentScorecardAnswer::Stored(stored));
            }
        }
        let mut scorecard = engine
            .agent_scorecard_as_of(&agent, history.as_ref(), &period, as_of)
            .await?;
        if query.include_forecast {
            scorecard.add_forecasts();
        }
        // The peers from the same pool as the agent's own numbers.
        let peers = if query.include_peers {
            self.peers_of(connection, caller, &agent.agent_id, &scorecard)
                .await?
        } else {
            Vec::new()
        };
        Ok(AgentScorecardAnswer::Live {
            agent,
            scorecard: Box::new(scorecard),
            peers,
        })
    }

    /// Checks: access to the team, the period and the consistency token,
    /// the team's existence, the snapshot asked for. On the primary, or
    /// where the client's token allows.
    pub async fn team_scorecard(
        &self,
        caller: &Caller,
        query: TeamScorecardQuery,
    ) -> Result<TeamScorecardAnswer, ServiceError> {
        let team_id = query.team_id;
        authorize_read(caller, GET_TEAM_SCORECARD, ReadSubject::Team(&team_id))?;
        let spec = query.period.as_ref().ok().copied();
        self.check_pay_period(&query.period)?;
        let period = resolve_period(query.period, self.zone)?;
        let (connection, preference) = self.reader(ReadNeed::Primary, &query.consistency_token);
        preference?;
        let as_of = as_of::read_as_of(&period, query.as_of, query.include_forecast, Utc::now())?;
        self.ensure_team(connection, &team_id).await?;
        if let Some(spec) = spec {
            if let Some(snapshot) =
                snapshot_for(connection, self.calendar, &spec, query.reading).await?
            {
                if let Some(stored) = snapshot
                    .subject(connection, SubjectKind::Team, &team_id)
                    .await?
                {
                    return Ok(TeamScorecardAnswer::Stored(stored));
                }
            }
        }
        let (mut scorecard, members) = self
            .engine(connection)
            .team_scorecard_as_of(&team_id, &period, as_of)
            .await?;
        if query.include_forecast {
            scorecard.add_forecasts();
        }
        Ok(TeamScorecardAnswer::Live {
            team_id,
            scorecard: Box::new(scorecard),
            members,
        })
    }
}
