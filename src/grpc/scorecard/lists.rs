//! The listings of `kpi.v1.ScorecardService`: every agent's scorecard (by
//! agent id in keyset pages, or by composite score) and the threshold
//! breaches (keyset pages by agent and KPI).

use crate::error::ServiceError;
use crate::service::access::authorize_list;
use std::cmp::Ordering;

use super::{
    agent_scorecard_to_pb,
    cursor::{offset_page, LiveCursor},
    parse_kpi_ids, period_key, snapshot, ScorecardApi, DEFAULT_SCORECARD_PAGE,
    LIST_AGENT_SCORECARDS, LIST_THRESHOLD_BREACHES, MAX_SCORECARD_PAGE,
};
use crate::{
    auth::Caller,
    domain::{directory::Agent, kpi::KpiId},
    grpc::{
        fields::optional_request_id,
        kpi_results::{kpi_result, policy_ref},
        pagination::{decode_offset, page_of, page_size, page_size_within, request_fingerprint},
        pb,
        period::resolve_period,
    },
    scorecard::{collect_breaches, AgentSet, BreachFilter, Scorecard},
};

/// Agents whose scorecards a breach page computes first; each further
/// chunk is twice as large.
const FIRST_BREACH_CHUNK: usize = 250;

/// Where a KPI stands in the catalogue (breaches of an agent come in this
/// order).
fn catalogue_position(kpi: KpiId) -> usize {
    KpiId::ALL
        .iter()
        .position(|candidate| *candidate == kpi)
        .unwrap_or(usize::MAX)
}

/// Composite score descending, agents without one last, then by id.
fn by_composite(left: &(Agent, Scorecard), right: &(Agent, Scorecard)) -> Ordering {
    match (left.1.verdict.composite, right.1.verdict.composite) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| left.0.agent_id.cmp(&right.0.agent_id))
}

impl ScorecardApi {
    pub(super) async fn list_agent_scorecards(
        &self,
        caller: &Caller,
        request: pb::ListAgentScorecardsRequest,
    ) -> Result<pb::ListAgentScorecardsResponse, ServiceError> {
        let size = page_size_within(
            request.page_size,
            DEFAULT_SCORECARD_PAGE,
            MAX_SCORECARD_PAGE,
        )?;
        let team_id = optional_request_id("team_id", &request.team_id)?;
        authorize_list(caller, LIST_AGENT_SCORECARDS, team_id.as_deref())?;
        let period = resolve_period("period", request.period.as_ref(), self.engine.zone())?;
        let order = pb::ScorecardOrder::try_from(request.order).map_err(|_| {
            ServiceError::invalid_field("order", "order must be a ScorecardOrder value")
        })?;
        let snapshot = self
            .snapshot_for(
                request.period.as_ref(),
                request.live,
                request.snapshot_version,
            )
            .await?;
        let fingerprint = request_fingerprint(&[
            "agent_scorecards",
            team_id.as_deref().unwrap_or(""),
            &period_key(&period),
            order.as_str_name(),
            &snapshot.as_ref().map(|s| s.key()).unwrap_or_default(),
        ]);
        let (agents, whole_directory) = self.agents_in_scope(team_id.as_deref()).await?;
        if let Some(snapshot) = &snapshot {
            // A closed month pages its snapshot, which never changes between
            // pages.
            let by_composite_score = order == pb::ScorecardOrder::CompositeScoreDesc;
            let stored = self
                .snapshot_agents(snapshot, team_id.as_deref(), by_composite_score)
                .await?;
            let offset = decode_offset(&request.page_token, &fingerprint)?;
            let (scorecards, next_page_token) = page_of(stored, offset, size, &fingerprint);
            return Ok(pb::ListAgentScorecardsResponse {
                scorecards,
                next_page_token,
            });
        }
        let by_score = order == pb::ScorecardOrder::CompositeScoreDesc;
        let watermark = if by_score {
            self.engine.data_watermark(&period).await?
        } else {
            None
        };
        let cursor = LiveCursor::decode(&request.page_token, &fingerprint)?;
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
            let mut scorecards = self
                .engine
                .agent_scorecards(&agents, directory_or_listed(whole_directory), &period)
                .await?;
            scorecards.sort_by(by_composite);
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
            let scorecards = self
                .engine
                .agent_scorecards(&page_agents, run_or_listed(whole_directory), &period)
                .await?;
            (scorecards, next)
        };
        Ok(pb::ListAgentScorecardsResponse {
            scorecards: page
                .iter()
                .map(|(agent, scorecard)| agent_scorecard_to_pb(agent, scorecard, &self.engine))
                .collect(),
            next_page_token,
        })
    }

    pub(super) async fn list_threshold_breaches(
        &self,
        caller: &Caller,
        request: pb::ListThresholdBreachesRequest,
    ) -> Result<pb::ListThresholdBreachesResponse, ServiceError> {
        let size = page_size(request.page_size)?;
        let team_id = optional_request_id("team_id", &request.team_id)?;
        authorize_list(caller, LIST_THRESHOLD_BREACHES, team_id.as_deref())?;
        let kpis = parse_kpi_ids(&request.kpi_ids)?;
        let period = resolve_period("period", request.period.as_ref(), self.engine.zone())?;
        let snapshot = self
            .snapshot_for(
                request.period.as_ref(),
                request.live,
                request.snapshot_version,
            )
            .await?;
        let mut fingerprint_parts = vec![
            "breaches".to_owned(),
            team_id.clone().unwrap_or_default(),
            period_key(&period),
            request.include_at_risk.to_string(),
            snapshot.as_ref().map(|s| s.key()).unwrap_or_default(),
        ];
        fingerprint_parts.extend(request.kpi_ids.iter().cloned());
        let parts: Vec<&str> = fingerprint_parts.iter().map(String::as_str).collect();
        let fingerprint = request_fingerprint(&parts);
        if let Some(snapshot) = &snapshot {
            let offset = decode_offset(&request.page_token, &fingerprint)?;
            if let Some(team_id) = &team_id {
                self.ensure_team(team_id).await?;
            }
            let breaches: Vec<pb::ThresholdBreach> = self
                .snapshot_agents(snapshot, team_id.as_deref(), false)
                .await?
                .iter()
                .flat_map(|answer| {
                    snapshot::snapshot_breaches(answer, &request.kpi_ids, request.include_at_risk)
                })
                .collect();
            let (breaches, next_page_token) = page_of(breaches, offset, size, &fingerprint);
            return Ok(pb::ListThresholdBreachesResponse {
                breaches,
                next_page_token,
            });
        }

        // Pages follow a keyset on (agent, KPI), which no change of numbers
        // can reorder: a page never repeats or skips a breach position, and
        // shows the numbers as they are when it is read. Unlike a listing
        // by score, it needs no watermark (which would cost a scan of the
        // period's rollups on every page).
        let cursor = LiveCursor::decode(&request.page_token, &fingerprint)?;
        let started = cursor.clone().unwrap_or_else(|| LiveCursor::start(None));
        // The previous page's last breach: (agent, KPI).
        let after: Option<(String, usize)> = cursor.and_then(|cursor| {
            let (agent_id, kpi_id) = cursor.position.split_once('\t')?;
            let kpi = kpi_id.parse::<KpiId>().ok()?;
            Some((agent_id.to_owned(), catalogue_position(kpi)))
        });
        let (agents, whole_directory) = self.agents_in_scope(team_id.as_deref()).await?;
        let agents: Vec<Agent> = agents
            .into_iter()
            .filter(|agent| agent.created_at.timestamp_micros() <= started.as_of_us)
            .filter(|agent| {
                after
                    .as_ref()
                    .is_none_or(|(last, _)| agent.agent_id.as_str() >= last.as_str())
            })
            .collect();
        let filter = BreachFilter {
            kpis,
            include_at_risk: request.include_at_risk,
        };
        // Breaches come by agent id, then catalogue order: compute agents a
        // chunk at a time from the cursor on, only as many as the page needs
        // (a page no longer recomputes the whole organisation).
        let mut page: Vec<pb::ThresholdBreach> = Vec::new();
        let mut remaining = agents.as_slice();
        let mut chunk_size = FIRST_BREACH_CHUNK;
        while page.len() as u64 <= size && !remaining.is_empty() {
            let (chunk, rest) = remaining.split_at(chunk_size.min(remaining.len()));
            remaining = rest;
            chunk_size = chunk_size.saturating_mul(2);
            let scorecards = self
                .engine
                .agent_scorecards(chunk, run_or_listed(whole_directory), &period)
                .await?;
            for breach in collect_breaches(&scorecards, &filter) {
                let already_served = after.as_ref().is_some_and(|(last_agent, last_kpi)| {
                    breach.agent.agent_id == *last_agent
                        && catalogue_position(breach.value.kpi) <= *last_kpi
                });
                if already_served {
                    continue;
                }
                page.push(pb::ThresholdBreach {
                    shortfall: breach.shortfall(),
                    result: Some(kpi_result(&breach.value, Some(&breach.assessment))),
                    policy: Some(policy_ref(&breach.policy)),
                    team_id: breach.agent.team_id.unwrap_or_default(),
                    agent_id: breach.agent.agent_id,
                });
            }
        }
        let next_page_token = if page.len() as u64 > size {
            page.truncate(size as usize);
            page.last()
                .map(|last| {
                    let kpi_id = last
                        .result
                        .as_ref()
                        .map(|result| result.kpi_id.as_str())
                        .unwrap_or_default();
                    started.encode(&fingerprint, &format!("{}\t{kpi_id}", last.agent_id))
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(pb::ListThresholdBreachesResponse {
            breaches: page,
            next_page_token,
        })
    }
}

/// The whole directory, or just the agents listed (a team's).
fn directory_or_listed(whole_directory: bool) -> AgentSet {
    if whole_directory {
        AgentSet::Directory
    } else {
        AgentSet::Listed
    }
}

/// A page of the whole directory, or just the agents listed (a team's).
fn run_or_listed(whole_directory: bool) -> AgentSet {
    if whole_directory {
        AgentSet::DirectoryRun
    } else {
        AgentSet::Listed
    }
}
