//! `ListAdjustments`: per agent and KPI, a closed month's snapshot against
//! today's numbers, whose bonus eligibility would flip, and how many records
//! counted in the month were stored, corrected or voided after the snapshot
//! (stamped later than its `taken_at`: see `close`).

use std::collections::BTreeMap;

use super::{not_closed, Periods};
use crate::{
    auth::Caller,
    domain::{
        closing::{Month, SnapshotEntry, SubjectKind},
        directory::Agent,
        scorecard::Scorecard,
    },
    error::ServiceError,
    service::{
        access::authorize_list,
        engine::{AgentSet, Engine},
        pagination::{decode_token, page_size_within, request_fingerprint, trim_page},
        snapshots::{read_agent, resolve_version, StoredKpi, StoredScorecard},
    },
    storage::{directory, periods},
};

const LIST_ADJUSTMENTS: &str = "/kpi.v1.PeriodService/ListAdjustments";
const DEFAULT_ADJUSTMENT_PAGE: u64 = 100;
const MAX_ADJUSTMENT_PAGE: u64 = 500;

/// A request for adjustments; the fields the adapter could not parse are
/// reported after the access check.
pub struct AdjustmentsQuery {
    pub month: Result<Month, ServiceError>,
    /// 0 = the current version.
    pub snapshot_version: i32,
    pub page_size: i32,
    pub page_token: String,
}

/// One agent whose numbers moved since the snapshot.
#[derive(Debug, Clone)]
pub struct AdjustedAgent {
    pub agent: Agent,
    /// Today's scorecard.
    pub live: Scorecard,
    /// The stored scorecard (the API's encoding), `None` for an agent the
    /// snapshot does not hold.
    pub snapshot_payload: Option<Vec<u8>>,
    /// The KPIs whose numbers differ (ids as stored, catalogue order).
    pub changed_kpis: Vec<String>,
    pub snapshot_bonus_eligible: bool,
    pub snapshot_composite: Option<f64>,
}

/// A page of adjustments.
#[derive(Debug, Clone)]
pub struct AdjustmentsPage {
    pub month: String,
    pub snapshot_version: i32,
    pub records_changed_since_snapshot: i64,
    pub agents: Vec<AdjustedAgent>,
    pub next_page_token: String,
}

impl Periods {
    pub async fn list_adjustments(
        &self,
        caller: &Caller,
        query: AdjustmentsQuery,
    ) -> Result<AdjustmentsPage, ServiceError> {
        authorize_list(caller, LIST_ADJUSTMENTS, None)?;
        let month = query.month?;
        let size = page_size_within(
            query.page_size,
            DEFAULT_ADJUSTMENT_PAGE,
            MAX_ADJUSTMENT_PAGE,
        )?;
        if query.snapshot_version < 0 {
            return Err(ServiceError::invalid_field(
                "snapshot_version",
                "snapshot_version must be >= 0 (0 = the current version)",
            ));
        }
        let connection = self.database.connection();
        let period = periods::closed_period(connection, &month.key)
            .await?
            .ok_or_else(|| not_closed(&month.key))?;
        let version = resolve_version(&period, query.snapshot_version)?;
        let fingerprint =
            request_fingerprint(&["adjustments", &month.key, &version.version.to_string()]);
        let after = decode_token(&query.page_token, &fingerprint)?;

        let stored: BTreeMap<String, SnapshotEntry> = periods::snapshot_entries(
            connection,
            &month.key,
            version.version,
            SubjectKind::Agent,
            None,
            None,
            u64::MAX >> 1,
        )
        .await?
        .into_iter()
        .map(|entry| (entry.subject_id.clone(), entry))
        .collect();
        let agents = directory::all_agents(connection, None).await?;
        let engine = Engine::live(&self.database, self.zone);
        let live = engine
            .agent_scorecards(&agents, AgentSet::Directory, &month.period)
            .await?;
        let mut changed = Vec::new();
        for (agent, scorecard) in live {
            if after
                .as_deref()
                .is_some_and(|last| agent.agent_id.as_str() <= last)
            {
                continue;
            }
            let entry = stored.get(&agent.agent_id);
            let before = match entry {
                Some(entry) => Some(read_agent(self.encoding.as_ref(), entry)?),
                None => None,
            };
            let payload = entry.map(|entry| entry.payload.clone());
            if let Some(adjusted) = compare(agent, scorecard, before, payload) {
                changed.push(adjusted);
            }
            if changed.len() as u64 > size {
                break;
            }
        }
        let next_page_token = trim_page(&mut changed, size, &fingerprint, |adjusted| {
            adjusted.agent.agent_id.clone()
        });
        let records_changed = periods::records_changed_since(
            connection,
            month.period.start.timestamp_micros(),
            month.period.end.timestamp_micros(),
            version.taken_at_us,
        )
        .await?;
        Ok(AdjustmentsPage {
            month: month.key,
            snapshot_version: version.version,
            records_changed_since_snapshot: records_changed,
            agents: changed,
            next_page_token,
        })
    }
}

/// The agent's adjustment, or `None` when no number a payroll run pays on
/// changed: a KPI's value, numerator, denominator, sample or status, or the
/// bonus eligibility.
fn compare(
    agent: Agent,
    live: Scorecard,
    before: Option<StoredScorecard>,
    snapshot_payload: Option<Vec<u8>>,
) -> Option<AdjustedAgent> {
    let now = StoredScorecard::live(&agent.agent_id, &live);
    let before = before.unwrap_or(StoredScorecard {
        agent_id: agent.agent_id.clone(),
        composite: None,
        bonus_eligible: false,
        kpis: Vec::new(),
    });
    let changed_kpis: Vec<String> = now
        .kpis
        .iter()
        .filter(|live_kpi| {
            let stored: Option<&StoredKpi> =
                before.kpis.iter().find(|kpi| kpi.kpi_id == live_kpi.kpi_id);
            match stored {
                Some(stored) => !stored.same_numbers(live_kpi),
                None => live_kpi.sample_size != 0,
            }
        })
        .map(|kpi| kpi.kpi_id.clone())
        .collect();
    let flips = before.bonus_eligible != now.bonus_eligible;
    if changed_kpis.is_empty() && !flips {
        return None;
    }
    Some(AdjustedAgent {
        agent,
        live,
        snapshot_payload,
        changed_kpis,
        snapshot_bonus_eligible: before.bonus_eligible,
        snapshot_composite: before.composite,
    })
}
