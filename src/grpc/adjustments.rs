//! The adjustment report -> protobuf: each agent's two sides (decoded from
//! the API's own encoding), the KPIs that moved, and its changed records.

use prost::Message;

use super::{graded_plans::bonus_tier_to_pb, pb, record_listing::changed_record_to_pb};
use crate::{error::ServiceError, service::periods::AdjustedAgent};

/// A stored or encoded agent scorecard's `Scorecard` (empty for none).
fn decoded_scorecard(payload: Option<&Vec<u8>>) -> Result<pb::Scorecard, ServiceError> {
    let Some(payload) = payload else {
        return Ok(pb::Scorecard::default());
    };
    Ok(pb::AgentScorecard::decode(payload.as_slice())
        .map_err(|error| {
            tracing::error!(%error, "a stored snapshot does not decode");
            ServiceError::Internal
        })?
        .scorecard
        .unwrap_or_default())
}

pub(super) fn adjustment_to_pb(
    adjusted: AdjustedAgent,
) -> Result<pb::AgentAdjustment, ServiceError> {
    let snapshot = decoded_scorecard(adjusted.before_payload.as_ref())?;
    let live = decoded_scorecard(adjusted.after_payload.as_ref())?;
    let kpis = adjusted
        .changed_kpis
        .iter()
        .map(|kpi_id| {
            let before = snapshot.kpis.iter().find(|result| &result.kpi_id == kpi_id);
            let now = live.kpis.iter().find(|result| &result.kpi_id == kpi_id);
            let difference = match (before.and_then(|s| s.value), now.and_then(|l| l.value)) {
                (Some(before), Some(now)) => Some(now - before),
                _ => None,
            };
            pb::KpiAdjustment {
                kpi_id: kpi_id.clone(),
                snapshot: before.cloned(),
                live: now.cloned(),
                difference,
            }
        })
        .collect();
    Ok(pb::AgentAdjustment {
        agent_id: adjusted.agent_id,
        kpis,
        snapshot_bonus_eligible: adjusted.before_bonus_eligible,
        live_bonus_eligible: live.bonus_eligible,
        bonus_eligibility_flips: adjusted.before_bonus_eligible != live.bonus_eligible,
        snapshot_composite_score: adjusted.before_composite,
        live_composite_score: live.composite_score,
        records: adjusted
            .records
            .iter()
            .map(|(record, change)| changed_record_to_pb(record, *change))
            .collect(),
        more_records: adjusted.more_records,
        in_snapshot: adjusted.in_snapshot,
        team_id: adjusted.team_id.unwrap_or_default(),
        snapshot_bonus_tier: adjusted.before_bonus_tier.as_ref().map(bonus_tier_to_pb),
        live_bonus_tier: adjusted.after_bonus_tier.as_ref().map(bonus_tier_to_pb),
        bonus_tier_changes: adjusted.payout_change.is_some(),
        payout_percent_change: adjusted.payout_change.unwrap_or_default(),
    })
}
