//! `ListAdjustments`: per agent and KPI, a closed pay period's snapshot
//! against today's numbers (or against a later snapshot version of the
//! same period), whose bonus eligibility would flip, and the records
//! counted in the period that were stored, corrected or voided after the
//! snapshot (stamped later than its `taken_at`: see `close`). Agents the
//! snapshot lacks (first seen after the close) are compared with nothing.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    adjustment_sides::MAX_RECORDS_PER_AGENT,
    adjustment_sides::{compare, AdjustedAgent, Side},
    not_closed, Periods,
};
use crate::{
    auth::Caller,
    domain::{
        closing::{ClosedPeriod, PayPeriod, SnapshotEntry, SnapshotMeta, SubjectKind},
        record_listing::ListedRecord,
    },
    error::ServiceError,
    service::{
        access::authorize_list,
        engine::{AgentSet, Engine},
        pagination::{decode_token, page_size_within, request_fingerprint, trim_page},
        snapshots::{read_agent, resolve_version, StoredScorecard},
    },
    storage::{directory, periods, record_listing::records_changed_between},
};

const LIST_ADJUSTMENTS: &str = "/kpi.v1.PeriodService/ListAdjustments";
const DEFAULT_ADJUSTMENT_PAGE: u64 = 100;
const MAX_ADJUSTMENT_PAGE: u64 = 500;

/// A request for adjustments; the fields the adapter could not parse are
/// reported after the access check.
pub struct AdjustmentsQuery {
    pub month: Result<PayPeriod, ServiceError>,
    /// 0 = the current version.
    pub snapshot_version: i32,
    /// 0 = today's data; else a snapshot version of the same period to
    /// compare `snapshot_version` with.
    pub compare_to_version: i32,
    /// Only agents judged for this team (on either side) or with changed
    /// records counted for it.
    pub team_id: Option<String>,
    /// List each agent's changed records.
    pub include_records: bool,
    pub page_size: i32,
    pub page_token: String,
}

/// A page of adjustments.
#[derive(Debug, Clone)]
pub struct AdjustmentsPage {
    pub month: String,
    pub snapshot_version: i32,
    /// 0 when compared with today's data.
    pub compared_to_version: i32,
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
        authorize_list(caller, LIST_ADJUSTMENTS, query.team_id.as_deref())?;
        let month = query.month?;
        let size = page_size_within(
            query.page_size,
            DEFAULT_ADJUSTMENT_PAGE,
            MAX_ADJUSTMENT_PAGE,
        )?;
        for (field, version) in [
            ("snapshot_version", query.snapshot_version),
            ("compare_to_version", query.compare_to_version),
        ] {
            if version < 0 {
                return Err(ServiceError::invalid_field(
                    field,
                    format!("{field} must be >= 0 (0 = the default)"),
                ));
            }
        }
        let connection = self.database.connection();
        let period = periods::closed_period(connection, &month.key)
            .await?
            .ok_or_else(|| not_closed(&month.key))?;
        let base = resolve_version(&period, query.snapshot_version)?;
        let target = match query.compare_to_version {
            0 => None,
            version => Some(later_version(&period, &base, version)?),
        };
        let fingerprint = request_fingerprint(&[
            "adjustments",
            &month.key,
            &base.version.to_string(),
            &query.compare_to_version.to_string(),
            query.team_id.as_deref().unwrap_or(""),
            if query.include_records { "records" } else { "" },
        ]);
        let after = decode_token(&query.page_token, &fingerprint)?;

        let before = self.stored_side(&month, base.version).await?;
        let later = match &target {
            Some(target) => self.stored_side(&month, target.version).await?,
            None => self.live_side(&month).await?,
        };
        let changed_records = records_changed_between(
            connection,
            month.period.start.timestamp_micros(),
            month.period.end.timestamp_micros(),
            base.taken_at_us,
            target.as_ref().map(|target| target.taken_at_us),
        )
        .await?;
        let mut records_by_agent: BTreeMap<String, Vec<ListedRecord>> = BTreeMap::new();
        for record in changed_records {
            records_by_agent
                .entry(record.agent_id.clone())
                .or_default()
                .push(record);
        }

        let agent_ids: BTreeSet<&String> = before
            .keys()
            .chain(later.keys())
            .chain(records_by_agent.keys())
            .collect();
        let team = query.team_id.as_deref();
        let mut records_changed = 0_i64;
        let mut changed = Vec::new();
        for agent_id in agent_ids {
            let earlier = before.get(agent_id);
            let now = later.get(agent_id);
            let records = records_by_agent
                .get(agent_id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            if let Some(team) = team {
                let judged_for = |side: Option<&Side>| {
                    side.is_some_and(|side| side.team_id.as_deref() == Some(team))
                };
                let counted_for = records
                    .iter()
                    .any(|record| record.team_id.as_deref() == Some(team));
                if !(judged_for(earlier) || judged_for(now) || counted_for) {
                    continue;
                }
            }
            records_changed += i64::try_from(records.len()).unwrap_or(i64::MAX);
            if after
                .as_deref()
                .is_some_and(|last| agent_id.as_str() <= last)
                || changed.len() as u64 > size
            {
                continue;
            }
            if let Some(mut adjusted) = compare(agent_id, earlier, now, !records.is_empty()) {
                if query.include_records {
                    adjusted.more_records = records.len() > MAX_RECORDS_PER_AGENT;
                    adjusted.records = records
                        .iter()
                        .take(MAX_RECORDS_PER_AGENT)
                        .filter_map(|record| {
                            let change = record.change_since(base.taken_at_us)?;
                            Some((record.clone(), change))
                        })
                        .collect();
                }
                changed.push(adjusted);
            }
        }
        let next_page_token = trim_page(&mut changed, size, &fingerprint, |adjusted| {
            adjusted.agent_id.clone()
        });
        Ok(AdjustmentsPage {
            month: month.key,
            snapshot_version: base.version,
            compared_to_version: target.map_or(0, |target| target.version),
            records_changed_since_snapshot: records_changed,
            agents: changed,
            next_page_token,
        })
    }

    /// The agent scorecards a snapshot version holds, by agent id.
    async fn stored_side(
        &self,
        month: &PayPeriod,
        version: i32,
    ) -> Result<BTreeMap<String, Side>, ServiceError> {
        let entries: Vec<SnapshotEntry> = periods::snapshot_entries(
            self.database.connection(),
            &month.key,
            version,
            SubjectKind::Agent,
            None,
            None,
            u64::MAX >> 1,
        )
        .await?;
        entries
            .into_iter()
            .map(|entry| {
                let numbers = read_agent(self.encoding.as_ref(), &entry)?;
                let team_id = Some(entry.team_id.clone()).filter(|team| !team.is_empty());
                Ok((
                    entry.subject_id.clone(),
                    Side {
                        numbers,
                        team_id,
                        payload: entry.payload,
                    },
                ))
            })
            .collect()
    }

    /// Every directory agent's scorecard of the period from today's data,
    /// by agent id (agents first seen after the close included).
    async fn live_side(&self, month: &PayPeriod) -> Result<BTreeMap<String, Side>, ServiceError> {
        let connection = self.database.connection();
        let agents = directory::all_agents(connection, None).await?;
        let engine = Engine::live(&self.database, self.zone);
        let live = engine
            .agent_scorecards(&agents, AgentSet::Directory, &month.period)
            .await?;
        Ok(live
            .into_iter()
            .map(|(agent, scorecard)| {
                let side = Side {
                    numbers: StoredScorecard::live(&agent.agent_id, &scorecard),
                    team_id: scorecard.team_id.clone(),
                    payload: self.encoding.agent(&agent, &scorecard),
                };
                (agent.agent_id, side)
            })
            .collect())
    }
}

/// The version to compare with: another version of the same period, taken
/// after `base`.
fn later_version(
    period: &ClosedPeriod,
    base: &SnapshotMeta,
    requested: i32,
) -> Result<SnapshotMeta, ServiceError> {
    let target = resolve_version(period, requested)?;
    if target.version <= base.version {
        return Err(ServiceError::invalid_field(
            "compare_to_version",
            format!(
                "compare_to_version ({}) must be later than the snapshot version compared \
                 with ({})",
                target.version, base.version
            ),
        ));
    }
    Ok(target)
}
