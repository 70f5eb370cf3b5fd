//! Scorecard requests -> use-case queries. Fields the use case checks only
//! after the caller's access (the period, the order, the KPI list of a
//! breach query) travel as parse results, so that a caller without access
//! learns nothing from an INVALID_ARGUMENT.

use crate::{
    domain::{
        kpi::KpiId,
        period::Granularity,
        violations::{indexed, Violations},
    },
    error::ServiceError,
    grpc::{
        fields::{optional_request_id, required_request_id},
        pb,
        period::{parse_instant, period_spec},
    },
    service::{
        scorecards::{
            AgentScorecardQuery, AsOfField, BreachesQuery, InteractionsQuery, ListOrder,
            RecordsQuery, ScorecardsQuery, TeamScorecardQuery, TrendQuery, TrendSubject,
        },
        snapshots::ClosedReading,
    },
};

/// Parses KPI ids, reporting each unknown one at `kpi_ids[i]`. At most
/// one entry per catalogue KPI.
fn kpi_ids(ids: &[String]) -> Result<Vec<KpiId>, ServiceError> {
    if ids.len() > KpiId::ALL.len() {
        return Err(ServiceError::invalid_field(
            "kpi_ids",
            format!("at most {} KPI ids are allowed", KpiId::ALL.len()),
        ));
    }
    let mut violations = Violations::new();
    let mut kpis = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        match id.parse::<KpiId>() {
            Ok(kpi) => kpis.push(kpi),
            Err(error) => violations.add(indexed("kpi_ids", index), error.to_string()),
        }
    }
    violations
        .into_result(kpis)
        .map_err(ServiceError::invalid_fields)
}

/// An optional `as_of`, truncated to microseconds (the precision records
/// are stored in), so that the instant reported is the one applied.
fn as_of(value: Option<&prost_types::Timestamp>) -> AsOfField {
    value
        .map(|timestamp| {
            let instant = parse_instant("as_of", Some(timestamp))?;
            let micros = instant.timestamp_micros();
            Ok(chrono::DateTime::from_timestamp_micros(micros).unwrap_or(instant))
        })
        .transpose()
}

fn reading(live: bool, snapshot_version: i32) -> ClosedReading {
    ClosedReading {
        live,
        snapshot_version,
    }
}

pub(super) fn agent_scorecard(
    request: pb::GetAgentScorecardRequest,
) -> Result<AgentScorecardQuery, ServiceError> {
    Ok(AgentScorecardQuery {
        agent_id: required_request_id("agent_id", &request.agent_id)?,
        period: period_spec("period", request.period.as_ref()),
        reading: reading(request.live, request.snapshot_version),
        as_of: as_of(request.as_of.as_ref()),
        include_forecast: request.include_forecast,
        include_peers: request.include_peers,
        consistency_token: request.consistency_token,
    })
}

pub(super) fn team_scorecard(
    request: pb::GetTeamScorecardRequest,
) -> Result<TeamScorecardQuery, ServiceError> {
    Ok(TeamScorecardQuery {
        team_id: required_request_id("team_id", &request.team_id)?,
        period: period_spec("period", request.period.as_ref()),
        reading: reading(request.live, request.snapshot_version),
        as_of: as_of(request.as_of.as_ref()),
        include_forecast: request.include_forecast,
        consistency_token: request.consistency_token,
    })
}

pub(super) fn agent_scorecards(
    request: pb::ListAgentScorecardsRequest,
) -> Result<ScorecardsQuery, ServiceError> {
    let order = match pb::ScorecardOrder::try_from(request.order) {
        Ok(pb::ScorecardOrder::CompositeScoreDesc) => Ok(ListOrder::CompositeScoreDescending),
        Ok(pb::ScorecardOrder::Unspecified | pb::ScorecardOrder::AgentId) => Ok(ListOrder::AgentId),
        Err(_) => Err(ServiceError::invalid_field(
            "order",
            "order must be a ScorecardOrder value",
        )),
    };
    Ok(ScorecardsQuery {
        page_size: request.page_size,
        team_id: optional_request_id("team_id", &request.team_id)?,
        period: period_spec("period", request.period.as_ref()),
        order,
        reading: reading(request.live, request.snapshot_version),
        page_token: request.page_token,
        as_of: as_of(request.as_of.as_ref()),
        include_forecast: request.include_forecast,
        consistency_token: request.consistency_token,
    })
}

pub(super) fn breaches(
    request: pb::ListThresholdBreachesRequest,
) -> Result<BreachesQuery, ServiceError> {
    Ok(BreachesQuery {
        page_size: request.page_size,
        team_id: optional_request_id("team_id", &request.team_id)?,
        kpis: kpi_ids(&request.kpi_ids),
        include_at_risk: request.include_at_risk,
        period: period_spec("period", request.period.as_ref()),
        reading: reading(request.live, request.snapshot_version),
        page_token: request.page_token,
        as_of: as_of(request.as_of.as_ref()),
        include_forecast_misses: request.include_forecast_misses,
        consistency_token: request.consistency_token,
    })
}

pub(super) fn trend(request: pb::GetKpiTrendRequest) -> Result<TrendQuery, ServiceError> {
    use pb::get_kpi_trend_request::Subject;
    if request.kpi_ids.is_empty() || request.kpi_ids.len() > KpiId::ALL.len() {
        return Err(ServiceError::invalid_field(
            "kpi_ids",
            "give 1 to 24 KPI ids",
        ));
    }
    let kpis = kpi_ids(&request.kpi_ids)?;
    let granularity = match pb::TrendGranularity::try_from(request.granularity) {
        Ok(pb::TrendGranularity::Day) => Granularity::Day,
        Ok(pb::TrendGranularity::Week) => Granularity::Week,
        Ok(pb::TrendGranularity::Month) => Granularity::Month,
        Ok(pb::TrendGranularity::Hour) => Granularity::Hour,
        Ok(pb::TrendGranularity::QuarterHour) => Granularity::QuarterHour,
        _ => {
            return Err(ServiceError::invalid_field(
                "granularity",
                "granularity is required (DAY, WEEK, MONTH, HOUR or QUARTER_HOUR)",
            ))
        }
    };
    let period = period_spec("period", request.period.as_ref());
    let subject = match request.subject {
        Some(Subject::AgentId(agent_id)) => {
            TrendSubject::Agent(required_request_id("agent_id", &agent_id)?)
        }
        Some(Subject::TeamId(team_id)) => {
            TrendSubject::Team(required_request_id("team_id", &team_id)?)
        }
        Some(Subject::Organisation(true)) => TrendSubject::Organisation,
        Some(Subject::Organisation(false)) => {
            return Err(ServiceError::invalid_field(
                "organisation",
                "set organisation to true for the whole organisation's trend",
            ))
        }
        None => {
            return Err(ServiceError::invalid_field(
                "agent_id",
                "give agent_id, team_id or organisation",
            ))
        }
    };
    Ok(TrendQuery {
        subject,
        kpis,
        granularity,
        period,
        consistency_token: request.consistency_token,
    })
}

pub(super) fn interactions(
    request: pb::ListAgentInteractionsRequest,
) -> Result<InteractionsQuery, ServiceError> {
    Ok(InteractionsQuery {
        agent_id: required_request_id("agent_id", &request.agent_id)?,
        period: period_spec("period", request.period.as_ref()),
        page_size: request.page_size,
        page_token: request.page_token,
    })
}

pub(super) fn records(request: pb::ListAgentRecordsRequest) -> Result<RecordsQuery, ServiceError> {
    Ok(RecordsQuery {
        agent_id: required_request_id("agent_id", &request.agent_id)?,
        period: period_spec("period", request.period.as_ref()),
        page_size: request.page_size,
        page_token: request.page_token,
    })
}
