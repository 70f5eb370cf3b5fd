//! `ListThresholdBreaches`: every (agent, KPI) missing its target, in
//! keyset pages by agent and KPI. A closed month's breaches come from its
//! snapshot; as on a live read, the team filter selects the team's current
//! members and each breach names the agent's current team.

use chrono::{DateTime, Utc};

use super::{
    as_of::{as_of_key, read_as_of, AsOfField},
    cursor::LiveCursor,
    lists::{listing_as_of, period_key, run_or_listed},
    resolve_period, Scorecards,
};
use crate::{
    auth::Caller,
    domain::{
        breach::{collect_breaches, Breach, BreachFilter},
        directory::Agent,
        kpi::KpiId,
        period::{Period, PeriodSpec},
        policy::KpiStatus,
    },
    error::ServiceError,
    service::{
        access::authorize_list,
        consistency::ReadNeed,
        pagination::{decode_offset, page_of, page_size, request_fingerprint},
        snapshots::{snapshot_for, ClosedReading, FromSnapshot, SnapshotRead, StoredScorecard},
    },
};

const LIST_THRESHOLD_BREACHES: &str = "/kpi.v1.ScorecardService/ListThresholdBreaches";
/// Agents whose scorecards a breach page computes first; each further
/// chunk is twice as large.
const FIRST_BREACH_CHUNK: usize = 250;

/// A request for a page of threshold breaches.
pub struct BreachesQuery {
    pub page_size: i32,
    pub page_token: String,
    pub team_id: Option<String>,
    pub kpis: Result<Vec<KpiId>, ServiceError>,
    pub include_at_risk: bool,
    pub period: Result<PeriodSpec, ServiceError>,
    pub reading: ClosedReading,
    pub as_of: AsOfField,
    /// Also (agent, KPI) pairs forecast to miss (WILL_MISS, UNREACHABLE).
    pub include_forecast_misses: bool,
    /// A write's consistency token (empty: none); see `service::consistency`.
    pub consistency_token: String,
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

impl Scorecards {
    /// Checks: page size, access, the KPIs, the period, the consistency
    /// token, the snapshot, the team's existence. On a standby within the
    /// lag bound, or where the token allows.
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
        let requested_as_of = read_as_of(&period, query.as_of, false, Utc::now())?;
        let (connection, preference) = self.reader(ReadNeed::ReplicaOk, &query.consistency_token);
        preference?;
        let snapshot = match &spec {
            Some(spec) => snapshot_for(connection, self.calendar, spec, query.reading).await?,
            None => None,
        };
        let mut fingerprint_parts = vec![
            "breaches".to_owned(),
            team_id.unwrap_or_default().to_owned(),
            period_key(&period),
            query.include_at_risk.to_string(),
            snapshot.as_ref().map(SnapshotRead::key).unwrap_or_default(),
            as_of_key(requested_as_of, query.include_forecast_misses),
        ];
        fingerprint_parts.extend(kpis.iter().map(|kpi| kpi.as_str().to_owned()));
        let parts: Vec<&str> = fingerprint_parts.iter().map(String::as_str).collect();
        let fingerprint = request_fingerprint(&parts);
        let filter = BreachFilter {
            kpis,
            include_at_risk: query.include_at_risk,
            forecast_misses: query.include_forecast_misses,
        };
        if let Some(snapshot) = &snapshot {
            let offset = decode_offset(&query.page_token, &fingerprint)?;
            let (agents, _) = self.agents_in_scope(connection, team_id).await?;
            let breaches: Vec<BreachItem> = self
                .stored_agents(connection, snapshot, &agents)
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
            connection,
            query.page_token,
            team_id,
            size,
            &fingerprint,
            &filter,
            (&period, requested_as_of),
        )
        .await
    }

    /// Pages follow a keyset on (agent, KPI), which no change of numbers
    /// can reorder: a page never repeats or skips a breach position, and
    /// shows the numbers as they are when it is read. Unlike a listing by
    /// score, it needs no watermark (which would cost a scan of the
    /// period's rollups on every page).
    #[allow(clippy::too_many_arguments)] // the request's parts, and where to read
    async fn live_breaches(
        &self,
        connection: &sea_orm::DatabaseConnection,
        page_token: String,
        team_id: Option<&str>,
        size: u64,
        fingerprint: &str,
        filter: &BreachFilter,
        (period, requested_as_of): (&Period, Option<DateTime<Utc>>),
    ) -> Result<BreachesPage, ServiceError> {
        let cursor = LiveCursor::decode(&page_token, fingerprint)?;
        let started = cursor.clone().unwrap_or_else(|| LiveCursor::start(None));
        let as_of = listing_as_of(period, requested_as_of, filter.forecast_misses, &started)?;
        // The previous page's last breach: (agent, KPI).
        let after: Option<(String, usize)> = cursor.and_then(|cursor| {
            let (agent_id, kpi_id) = cursor.position.split_once('\t')?;
            let kpi = kpi_id.parse::<KpiId>().ok()?;
            Some((agent_id.to_owned(), catalogue_position(kpi)))
        });
        let (agents, whole_directory) = self.agents_in_scope(connection, team_id).await?;
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
        let engine = self.engine(connection);
        let mut page: Vec<Breach> = Vec::new();
        let mut remaining = agents.as_slice();
        let mut chunk_size = FIRST_BREACH_CHUNK;
        while page.len() as u64 <= size && !remaining.is_empty() {
            let (chunk, rest) = remaining.split_at(chunk_size.min(remaining.len()));
            remaining = rest;
            chunk_size = chunk_size.saturating_mul(2);
            let mut scorecards = engine
                .agent_scorecards_as_of(chunk, run_or_listed(whole_directory), period, as_of)
                .await?;
            if filter.forecast_misses {
                for (_, scorecard) in &mut scorecards {
                    scorecard.add_forecasts();
                }
            }
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
