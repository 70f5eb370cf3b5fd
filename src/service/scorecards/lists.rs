//! The listings: every agent's scorecard (by agent id in keyset pages, or
//! by composite score) and the threshold breaches (keyset pages by agent and
//! KPI). A closed month pages its snapshot, which never changes between
//! pages; its team filter and its breaches' teams mean what they mean on a
//! live read: the agents' *current* team.

use std::{cmp::Ordering, collections::HashMap};

use super::{
    collect_breaches,
    cursor::{offset_page, LiveCursor},
    resolve_period, AgentSet, Breach, BreachFilter, Scorecard, Scorecards,
};
use crate::{
    auth::Caller,
    domain::{
        directory::Agent,
        kpi::KpiId,
        period::{Period, PeriodSpec},
        policy::KpiStatus,
    },
    error::ServiceError,
    service::{
        access::authorize_list,
        pagination::{decode_offset, page_of, page_size, page_size_within, request_fingerprint},
        periods::{
            read_stored_agent, snapshot_for, ClosedReading, FromSnapshot, SnapshotRead,
            StoredScorecard,
        },
    },
    storage::directory,
};

const LIST_AGENT_SCORECARDS: &str = "/kpi.v1.ScorecardService/ListAgentScorecards";
const LIST_THRESHOLD_BREACHES: &str = "/kpi.v1.ScorecardService/ListThresholdBreaches";
const DEFAULT_SCORECARD_PAGE: u64 = 50;
const MAX_SCORECARD_PAGE: u64 = 500;
/// Agents whose scorecards a breach page computes first; each further
/// chunk is twice as large.
const FIRST_BREACH_CHUNK: usize = 250;

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

/// A request for a page of threshold breaches.
pub struct BreachesQuery {
    pub page_size: i32,
    pub page_token: String,
    pub team_id: Option<String>,
    pub kpis: Result<Vec<KpiId>, ServiceError>,
    pub include_at_risk: bool,
    pub period: Result<PeriodSpec, ServiceError>,
    pub reading: ClosedReading,
}

/// One breach: computed now, or read from a closed month's snapshot.
#[derive(Debug, Clone)]
pub enum BreachItem {
    Live(Breach),
    Stored {
        scorecard: FromSnapshot,
        kpi_id: String,
        /// By how much the target is missed (> 0 BREACHED, 0 AT_RISK).
        shortfall: f64,
        /// The agent's current team.
        current_team: Option<String>,
    },
}

/// A page of breaches and the next page's token (empty on the last).
#[derive(Debug, Clone)]
pub struct BreachesPage {
    pub breaches: Vec<BreachItem>,
    pub next_page_token: String,
}

/// Where a KPI stands in the catalogue (breaches of an agent come in this
/// order).
fn catalogue_position(kpi: KpiId) -> usize {
    KpiId::ALL
        .iter()
        .position(|candidate| *candidate == kpi)
        .unwrap_or(usize::MAX)
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

fn period_key(period: &Period) -> String {
    format!(
        "{}..{}",
        period.start.timestamp_micros(),
        period.end.timestamp_micros()
    )
}

/// A page of the whole directory, or just the agents listed (a team's).
fn run_or_listed(whole_directory: bool) -> AgentSet {
    if whole_directory {
        AgentSet::DirectoryRun
    } else {
        AgentSet::Listed
    }
}

impl Scorecards {
    /// The agents a list is about (a team's current members, or everyone),
    /// and whether that is the whole directory.
    async fn agents_in_scope(
        &self,
        team_id: Option<&str>,
    ) -> Result<(Vec<Agent>, bool), ServiceError> {
        if let Some(team_id) = team_id {
            self.ensure_team(team_id).await?;
        }
        let agents = directory::all_agents(self.database.connection(), team_id).await?;
        Ok((agents, team_id.is_none()))
    }

    /// The snapshot's agent scorecards of the agents in scope, decoded for
    /// what the listing needs.
    async fn stored_agents(
        &self,
        snapshot: &SnapshotRead,
        agents: &[Agent],
    ) -> Result<Vec<(FromSnapshot, StoredScorecard, Option<String>)>, ServiceError> {
        let current_team: HashMap<&str, Option<&String>> = agents
            .iter()
            .map(|agent| (agent.agent_id.as_str(), agent.team_id.as_ref()))
            .collect();
        let mut stored = Vec::new();
        for from in snapshot.agents(self.database.connection()).await? {
            let Some(team) = current_team.get(from.entry.subject_id.as_str()) else {
                continue;
            };
            let team = team.cloned();
            let read = read_stored_agent(self.encoding.as_ref(), &from)?;
            stored.push((from, read, team));
        }
        Ok(stored)
    }

    /// Checks: page size, access, the period, the order, the snapshot, the
    /// team's existence.
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
        let order = query.order?;
        let snapshot = match &spec {
            Some(spec) => {
                snapshot_for(self.database.connection(), self.zone, spec, query.reading).await?
            }
            None => None,
        };
        let fingerprint = request_fingerprint(&[
            "agent_scorecards",
            team_id.unwrap_or(""),
            &period_key(&period),
            order.key(),
            &snapshot.as_ref().map(SnapshotRead::key).unwrap_or_default(),
        ]);
        let (agents, whole_directory) = self.agents_in_scope(team_id).await?;
        if let Some(snapshot) = &snapshot {
            let mut stored = self.stored_agents(snapshot, &agents).await?;
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
        let engine = self.engine();
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
            let mut scorecards = engine.agent_scorecards(&agents, set, &period).await?;
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
                .agent_scorecards(&page_agents, run_or_listed(whole_directory), &period)
                .await?;
            (scorecards, next)
        };
        Ok(ScorecardsPage {
            scorecards: page
                .into_iter()
                .map(|(agent, scorecard)| ListedScorecard::Live(agent, Box::new(scorecard)))
                .collect(),
            next_page_token,
        })
    }

    /// Checks: page size, access, the KPIs, the period, the snapshot, the
    /// team's existence.
    pub async fn list_threshold_breaches(
        &self,
        caller: &Caller,
        query: BreachesQuery,
    ) -> Result<BreachesPage, ServiceError> {
        let size = page_size(query.page_size)?;
        let team_id = query.team_id.as_deref();
        authorize_list(caller, LIST_THRESHOLD_BREACHES, team_id)?;
        let kpis = query.kpis?;
        let spec = query.period.as_ref().ok().copied();
        let period = resolve_period(query.period, self.zone)?;
        let snapshot = match &spec {
            Some(spec) => {
                snapshot_for(self.database.connection(), self.zone, spec, query.reading).await?
            }
            None => None,
        };
        let mut fingerprint_parts = vec![
            "breaches".to_owned(),
            team_id.unwrap_or_default().to_owned(),
            period_key(&period),
            query.include_at_risk.to_string(),
            snapshot.as_ref().map(SnapshotRead::key).unwrap_or_default(),
        ];
        fingerprint_parts.extend(kpis.iter().map(|kpi| kpi.as_str().to_owned()));
        let parts: Vec<&str> = fingerprint_parts.iter().map(String::as_str).collect();
        let fingerprint = request_fingerprint(&parts);
        let filter = BreachFilter {
            kpis,
            include_at_risk: query.include_at_risk,
        };
        if let Some(snapshot) = &snapshot {
            let offset = decode_offset(&query.page_token, &fingerprint)?;
            let (agents, _) = self.agents_in_scope(team_id).await?;
            let breaches: Vec<BreachItem> = self
                .stored_agents(snapshot, &agents)
                .await?
                .into_iter()
                .flat_map(|(from, stored, current_team)| {
                    stored_breaches(&from, &stored, current_team, &filter)
                })
                .collect();
            let (breaches, next_page_token) = page_of(breaches, offset, size, &fingerprint);
            return Ok(BreachesPage {
                breaches,
                next_page_token,
            });
        }
        self.live_breaches(
            query.page_token,
            team_id,
            size,
            &fingerprint,
            &filter,
            &period,
        )
        .await
    }

    /// Pages follow a keyset on (agent, KPI), which no change of numbers
    /// can reorder: a page never repeats or skips a breach position, and
    /// shows the numbers as they are when it is read. Unlike a listing by
    /// score, it needs no watermark (which would cost a scan of the
    /// period's rollups on every page).
    async fn live_breaches(
        &self,
        page_token: String,
        team_id: Option<&str>,
        size: u64,
        fingerprint: &str,
        filter: &BreachFilter,
        period: &Period,
    ) -> Result<BreachesPage, ServiceError> {
        let cursor = LiveCursor::decode(&page_token, fingerprint)?;
        let started = cursor.clone().unwrap_or_else(|| LiveCursor::start(None));
        // The previous page's last breach: (agent, KPI).
        let after: Option<(String, usize)> = cursor.and_then(|cursor| {
            let (agent_id, kpi_id) = cursor.position.split_once('\t')?;
            let kpi = kpi_id.parse::<KpiId>().ok()?;
            Some((agent_id.to_owned(), catalogue_position(kpi)))
        });
        let (agents, whole_directory) = self.agents_in_scope(team_id).await?;
        let agents: Vec<Agent> = agents
            .into_iter()
            .filter(|agent| agent.created_at.timestamp_micros() <= started.as_of_us)
            .filter(|agent| {
                after
                    .as_ref()
                    .is_none_or(|(last, _)| agent.agent_id.as_str() >= last.as_str())
            })
            .collect();
        // Breaches come by agent id, then catalogue order: compute agents a
        // chunk at a time from the cursor on, only as many as the page needs.
        let engine = self.engine();
        let mut page: Vec<Breach> = Vec::new();
        let mut remaining = agents.as_slice();
        let mut chunk_size = FIRST_BREACH_CHUNK;
        while page.len() as u64 <= size && !remaining.is_empty() {
            let (chunk, rest) = remaining.split_at(chunk_size.min(remaining.len()));
            remaining = rest;
            chunk_size = chunk_size.saturating_mul(2);
            let scorecards = engine
                .agent_scorecards(chunk, run_or_listed(whole_directory), period)
                .await?;
            for breach in collect_breaches(&scorecards, filter) {
                let already_served = after.as_ref().is_some_and(|(last_agent, last_kpi)| {
                    breach.agent.agent_id == *last_agent
                        && catalogue_position(breach.value.kpi) <= *last_kpi
                });
                if !already_served {
                    page.push(breach);
                }
            }
        }
        let next_page_token = if page.len() as u64 > size {
            page.truncate(size as usize);
            page.last()
                .map(|last| {
                    let position = format!("{}\t{}", last.agent.agent_id, last.value.kpi.as_str());
                    started.encode(fingerprint, &position)
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(BreachesPage {
            breaches: page.into_iter().map(BreachItem::Live).collect(),
            next_page_token,
        })
    }
}

/// The breaches a stored agent scorecard holds, as the live list reports
/// them (catalogue order, the agent's current team).
fn stored_breaches(
    from: &FromSnapshot,
    stored: &StoredScorecard,
    current_team: Option<String>,
    filter: &BreachFilter,
) -> Vec<BreachItem> {
    stored
        .kpis
        .iter()
        .filter_map(|kpi| {
            let status = kpi.status?;
            let wanted = filter.kpis.is_empty()
                || filter
                    .kpis
                    .iter()
                    .any(|wanted| wanted.as_str() == kpi.kpi_id);
            let shortfall = match status {
                KpiStatus::Breached => -kpi.margin.unwrap_or_default(),
                KpiStatus::AtRisk if filter.include_at_risk => 0.0,
                _ => return None,
            };
            wanted.then(|| BreachItem::Stored {
                scorecard: from.clone(),
                kpi_id: kpi.kpi_id.clone(),
                shortfall,
                current_team: current_team.clone(),
            })
        })
        .collect()
}
