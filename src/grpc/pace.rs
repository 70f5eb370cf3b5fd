//! Forecasts and peers -> protobuf (KpiResult.forecast, KpiResult.peers).

use super::pb;
use crate::domain::{
    forecast::{ForecastStatus, KpiForecast},
    kpi::KpiValue,
    peers::{KpiPeers, Standing},
    policy::Target,
};

/// What the rest of a period needs, in the encoding of a target (written
/// here rather than borrowed from `kpi_results`, which uses this file).
fn needed_to_pb(needed: Target) -> pb::Target {
    use pb::target::Bound;
    let bound = match needed {
        Target::AtLeast(value) => Bound::AtLeast(value),
        Target::AtMost(value) => Bound::AtMost(value),
        Target::Between { low, high } => Bound::Between(pb::ValueRange { low, high }),
    };
    pb::Target { bound: Some(bound) }
}

fn forecast_status_to_pb(status: ForecastStatus) -> pb::ForecastStatus {
    match status {
        ForecastStatus::Secured => pb::ForecastStatus::Secured,
        ForecastStatus::OnTrack => pb::ForecastStatus::OnTrack,
        ForecastStatus::AtRisk => pb::ForecastStatus::AtRisk,
        ForecastStatus::WillMiss => pb::ForecastStatus::WillMiss,
        ForecastStatus::Unreachable => pb::ForecastStatus::Unreachable,
        ForecastStatus::InsufficientData => pb::ForecastStatus::InsufficientData,
    }
}

/// One KPI's forecast.
pub fn forecast_to_pb(forecast: &KpiForecast) -> pb::KpiForecast {
    pb::KpiForecast {
        elapsed_fraction: forecast.elapsed_fraction,
        expected_remaining: forecast.expected_remaining,
        expected_remaining_whole: i64::try_from(forecast.expected_remaining_whole)
            .unwrap_or(i64::MAX),
        projected_value: forecast.projected,
        needed: forecast.needed.map(needed_to_pb),
        probability: forecast.probability,
        status: forecast_status_to_pb(forecast.status) as i32,
    }
}

/// A group's pooled value.
fn pooled(value: &KpiValue) -> pb::PooledValue {
    pb::PooledValue {
        value: value.value,
        numerator: value.numerator,
        denominator: value.denominator,
        sample_size: value.sample_size as i64,
    }
}

fn rank(standing: Option<Standing>) -> Option<i32> {
    standing
        .and_then(|standing| standing.rank)
        .map(|rank| i32::try_from(rank).unwrap_or(i32::MAX))
}

fn ranked(standing: Option<Standing>) -> Option<i32> {
    standing.map(|standing| i32::try_from(standing.ranked).unwrap_or(i32::MAX))
}

/// One KPI's peers; `None` when there is nothing to show.
pub fn peers_to_pb(peers: &KpiPeers) -> Option<pb::KpiPeers> {
    if peers.team.is_none() && peers.organisation.is_none() {
        return None;
    }
    Some(pb::KpiPeers {
        team: peers.team.as_ref().map(pooled),
        team_rank: rank(peers.team_standing),
        team_ranked_agents: ranked(peers.team_standing),
        organisation: peers.organisation.as_ref().map(pooled),
        organisation_rank: rank(peers.organisation_standing),
        organisation_ranked_agents: ranked(peers.organisation_standing),
    })
}
