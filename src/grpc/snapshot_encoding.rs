//! Snapshots in the API's own encoding: a closed month stores each
//! scorecard exactly as `GetAgentScorecard` / `GetTeamScorecard` answered
//! it (protobuf bytes), so that it reads back byte for byte, and the
//! responses of closes and restatements kept under their request ids.

use chrono_tz::Tz;
use prost::Message;

use super::{
    kpi_results::{agent_scorecard_to_pb, scorecard_to_pb},
    pb,
};
use crate::{
    domain::{
        directory::Agent,
        policy::{BonusTier, KpiStatus},
        scorecard::Scorecard,
    },
    service::snapshots::{SnapshotEncoding, StoredKpi, StoredScorecard},
};

/// The protobuf encoding of snapshots.
pub struct ProtobufSnapshots {
    zone: Tz,
}

impl ProtobufSnapshots {
    pub fn new(zone: Tz) -> Self {
        Self { zone }
    }
}

fn status_from_pb(status: i32) -> Option<KpiStatus> {
    match pb::KpiStatus::try_from(status).ok()? {
        pb::KpiStatus::Met => Some(KpiStatus::Met),
        pb::KpiStatus::AtRisk => Some(KpiStatus::AtRisk),
        pb::KpiStatus::Breached => Some(KpiStatus::Breached),
        pb::KpiStatus::InsufficientData => Some(KpiStatus::InsufficientData),
        pb::KpiStatus::NoTarget => Some(KpiStatus::NoTarget),
        pb::KpiStatus::Unspecified => None,
    }
}

impl SnapshotEncoding for ProtobufSnapshots {
    fn agent(&self, agent: &Agent, scorecard: &Scorecard) -> Vec<u8> {
        agent_scorecard_to_pb(agent, scorecard, self.zone).encode_to_vec()
    }

    fn team(&self, team_id: &str, scorecard: &Scorecard, members: &[String]) -> Vec<u8> {
        pb::GetTeamScorecardResponse {
            team_id: team_id.to_owned(),
            scorecard: Some(scorecard_to_pb(scorecard, self.zone)),
            member_agent_ids: members.to_vec(),
        }
        .encode_to_vec()
    }

    fn read_agent(&self, payload: &[u8]) -> Option<StoredScorecard> {
        let answer = pb::AgentScorecard::decode(payload).ok()?;
        let scorecard = answer.scorecard.unwrap_or_default();
        Some(StoredScorecard {
            agent_id: answer.agent_id,
            composite: scorecard.composite_score,
            bonus_eligible: scorecard.bonus_eligible,
            bonus_tier: scorecard.bonus_tier.map(|tier| BonusTier {
                minimum_composite: tier.minimum_composite,
                name: tier.name,
                payout_percent: tier.payout_percent,
            }),
            kpis: scorecard
                .kpis
                .into_iter()
                .map(|result| StoredKpi {
                    status: status_from_pb(result.status),
                    kpi_id: result.kpi_id,
                    value: result.value,
                    numerator: result.numerator,
                    denominator: result.denominator,
                    sample_size: result.sample_size,
                    margin: result.margin,
                })
                .collect(),
        })
    }
}
