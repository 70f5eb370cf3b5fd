//! `ListAgentScorecards`: every agent's scorecard, by agent id in keyset
//! pages or by composite score. A closed month pages its snapshot, which
//! never changes between pages; its team filter means what it means on a
//! live read: the team's *current* members.

use std::{cmp::Ordering, collections::HashMap};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::{
    as_of::{as_of_key, read_as_of, AsOfField},
    cursor::{offset_page, LiveCursor},
    resolve_period, Scorecards,
};
use crate::{
    auth::Caller,
    domain::{
        directory::Agent,
        period::{Period, PeriodSpec},
        scorecard::Scorecard,
    },
    error::ServiceError,
    service::{
        access::authorize_list,
        consistency::ReadNeed,
        engine::AgentSet,
        pagination::{decode_offset, page_of, page_size_within, request_fingerprint},
        snapshots::{
            read_stored_agent, snapshot_for, ClosedReading, FromSnapshot, SnapshotRead,
            StoredScorecard,
        },
    },
    storage::directory,
};

const LIST_AGENT_SCORECARDS: &str = "/kpi.v1.ScorecardService/ListAgentScorecards";
const DEFAULT_SCORECARD_PAGE: u64 = 50;
const MAX_SCORECARD_PAGE: u64 = 500;

/// The order of a scorecard listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    AgentId,
    CompositeScoreDescending,
}

impl ListOrder {
    fn key(self) -> &'static str {
        match self {
            ListOrder::AgentId => "SCORECARD_ORDER_UNSPECIFIED",
            ListOrder::CompositeScoreDescending => "SCORECARD_ORDER_COMPOSITE_SCORE_DESC",
        }
    }
}

/// A request for a page of agents' scorecards.
pub struct ScorecardsQuery {
    pub page_size: i32,
    pub page_token: String,
    pub team_id: Option<String>,
    pub period: Result<PeriodSpec, ServiceError>,
    pub order: Result<ListOrder, ServiceError>,
    pub reading: ClosedReading,
    pub as_of: AsOfField,
    pub include_forecast: bool,
    /// A write's consistency token (empty: none); see `service::consistency`.
    pub consistency_token: String,
}

/// One scorecard of a listing.
#[derive(Debug, Clone)]
pub enum ListedScorecard {
    Live(Agent, Box<Scorecard>),
    Stored(FromSnapshot),
}

/// A page of scorecards and the next page's token (empty on the last).
#[derive(Debug, Clone)]
pub struct ScorecardsPage {
    pub scorecards: Vec<ListedScorecard>,
    pub next_page_token: String,
}

/// Composite score descending, agents without one last, then by id.
fn by_composite(left: (Option<f64>, &str), right: (Option<f64>, &str)) -> Ordering {
    match (left.0, right.0) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| left.1.cmp(right.1))
}

pub(super) fn period_key(period: &Period) -> String {
    format!(
        "{}..{}",
        period.start.timestamp_micros(),
        period.end.timestamp_micros()
    )
}

/// The instant a live listing reads as of: the caller's, else (for a
/// forecast of a period in progress) the first page's time, so that every
/// page of a listing counts the same records.
pub(super) fn listing_as_of(
    period: &Period,
    requested: Option<DateTime<Utc>>,
    forecast: bool,
    started: &LiveCursor,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    if requested.is_some() {
        return Ok(requested);
    }
    let first_page = DateTime::from_timestamp_micros(started.as_of_us).unwrap_or_else(Utc::now);
    read_as_of(period, Ok(None), forecast, first_page)
}

/// A page of the whole directory, or just the agents listed (a team's).
pub(super) fn run_or_listed(whole_directory: bool) -> AgentSet {
    if whole_directory {
        AgentSet::DirectoryRun
    } else {
        AgentSet::Listed
    }
}

impl Scorecards {
    /// The agents a list is about (a team's current members, or everyone),
    /// and whether that is the whole directory.
    pub(super) async fn agents_in_scope(
        &self,
        connection: &DatabaseConnection,
        team_id: Option<&str>,
    ) -> Result<(Vec<Agent>, bool), ServiceError> {
        if let Some(team_id) = team_id {
            self.ensure_team(connection, team_id).await?;
        }
        let agents = directory::all_agents(connection, team_id).await?;
        Ok((agents, team_id.is_none()))
    }

    /// The snapshot's agent scorecards of the agents in scope, decoded for
    /// what the listing needs.
    pub(super) async fn stored_agents(
        &self,
        connection: &DatabaseConnection,
        snapshot: &SnapshotRead,
        agents: &[Agent],
    ) -> Result<Vec<(FromSnapshot, StoredScorecard, Option<String>)>, ServiceError> {
        let current_team: HashMap<&str, Option<&String>> = agents
            .iter()
            .map(|agent| (agent.agent_id.as_str(), agent.team_id.as_ref()))
            .collect();
        let mut stored = Vec::new();
        for from in snapshot.agents(connection).await? {
            let Some(team) = current_team.get(from.entry.subject_id.as_str()) else {
                continue;
            };
            let team = team.cloned();
            let read = read_stored_agent(self.encoding.as_ref(), &from)?;
            stored.push((from, read, team));
        }
        Ok(stored)
    }

    /// Checks: page size, access, the period, the order, the consistency
    /// token, the snapshot, the team's existence. On a standby within the
    /// lag bound (it needs no read-your-writes), or where the token allows.
    pub async fn list_agent_scorecards(
        &self,
        caller: &Caller,
        query: ScorecardsQuery,
    ) -> Result<ScorecardsPage, ServiceError> {
        let size = page_size_within(query.page_size, DEFAULT_SCORECARD_PAGE, MAX_SCORECARD_PAGE)?;
        let team_id = query.team_id.as_deref();
        authorize_list(caller, LIST_AGENT_SCORECARDS, team_id)?;
        let spec = query.period.as_ref().ok().copied();
        let period = resolve_period(query.period, self.zone)?;
        let requested_as_of = read_as_of(&period, query.as_of, false, Utc::now())?;
        let order = query.order?;
        let (connection, preference) = self.reader(ReadNeed::ReplicaOk, &query.consistency_token);
        preference?;
        let snapshot = match &spec {
            Some(spec) => snapshot_for(connection, self.calendar, spec, query.reading).await?,
            None => None,
        };
        let fingerprint = request_fingerprint(&[
            "agent_scorecards",
            team_id.unwrap_or(""),
            &period_key(&period),
            order.key(),
            &snapshot.as_ref().map(SnapshotRead::key).unwrap_or_default(),
            &as_of_key(requested_as_of, query.include_forecast),
        ]);
        let (agents, whole_directory) = self.agents_in_scope(connection, team_id).await?;
        if let Some(snapshot) = &snapshot {
            let mut stored = self.stored_agents(connection, snapshot, &agents).await?;
            if order == ListOrder::CompositeScoreDescending {
                stored.sort_by(|left, right| {
                    by_composite(
                        (left.1.composite, &left.0.entry.subject_id),
                        (right.1.composite, &right.0.entry.subject_id),
                    )
                });
            }
            let stored: Vec<ListedScorecard> = stored
                .into_iter()
                .map(|(from, _, _)| ListedScorecard::Stored(from))
                .collect();
            let offset = decode_offset(&query.page_token, &fingerprint)?;
            let (scorecards, next_page_token) = page_of(stored, offset, size, &fingerprint);
            return Ok(ScorecardsPage {
                scorecards,
                next_page_token,
            });
        }
        let engine = self.engine(connection);
        let by_score = order == ListOrder::CompositeScoreDescending;
        let watermark = if by_score {
            engine.data_watermark(&period).await?
        } else {
            None
        };
        let cursor = LiveCursor::decode(&query.page_token, &fingerprint)?;
        let started = cursor
            .clone()
            .unwrap_or_else(|| LiveCursor::start(watermark));
        let as_of = listing_as_of(&period, requested_as_of, query.include_forecast, &started)?;
        // The listing's agents are those of its first page's time.
        let agents: Vec<Agent> = agents
            .into_iter()
            .filter(|agent| agent.created_at.timestamp_micros() <= started.as_of_us)
            .collect();
        let (page, next_page_token) = if by_score {
            // The order depends on every agent's score: compute them all
            // (one grouped query over the rollups), then page by offset.
            let offset = match &cursor {
                Some(cursor) => cursor.offset_at(watermark)?,
                None => 0,
            };
            let set = if whole_directory {
                AgentSet::Directory
            } else {
                AgentSet::Listed
            };
            let mut scorecards = engine
                .agent_scorecards_as_of(&agents, set, &period, as_of)
                .await?;
            scorecards.sort_by(|left, right| {
                by_composite(
                    (left.1.verdict.composite, &left.0.agent_id),
                    (right.1.verdict.composite, &right.0.agent_id),
                )
            });
            offset_page(scorecards, offset, size, &started, &fingerprint)
        } else {
            // By agent id: a keyset page, and only its agents are computed.
            let after = cursor.map(|cursor| cursor.position);
            let mut page_agents: Vec<Agent> = agents
                .into_iter()
                .filter(|agent| {
                    after
                        .as_deref()
                        .is_none_or(|last| agent.agent_id.as_str() > last)
                })
                .take(size as usize + 1)
                .collect();
            let next = if page_agents.len() as u64 > size {
                page_agents.truncate(size as usize);
                page_agents
                    .last()
                    .map(|last| started.encode(&fingerprint, &last.agent_id))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let scorecards = engine
                .agent_scorecards_as_of(
                    &page_agents,
                    run_or_listed(whole_directory),
                    &period,
                    as_of,
                )
                .await?;
            (scorecards, next)
        };
        Ok(ScorecardsPage {
            scorecards: page
                .into_iter()
                .map(|(agent, mut scorecard)| {
                    if query.include_forecast {
                        scorecard.add_forecasts();
                    }
                    ListedScorecard::Live(agent, Box::new(scorecard))
                })
                .collect(),
            next_page_token,
        })
    }
}
