//! `kpi.v1.PeriodService`: protobuf <-> the period use cases
//! (`service::periods`): closing months, restating them, and the
//! adjustments that late data made since.

use chrono::NaiveDate;
use chrono_tz::Tz;
use prost::Message;
use tonic::{Request, Response, Status};

use super::{
    directory::timestamp, fields::idempotency_key, kpi_results::agent_scorecard_to_pb, log_outcome,
    pb,
};
use crate::{
    auth::Caller,
    domain::closing::{ClosedPeriod, Month, SnapshotMeta},
    error::ServiceError,
    service::periods::{
        AdjustedAgent, AdjustmentsQuery, Answer, CloseOutcome, Periods, ResponseEncoding,
        RestateOutcome,
    },
};

/// Longest restatement reason.
const MAX_REASON_LEN: usize = 1_000;

/// The period service.
#[derive(Clone)]
pub struct PeriodApi {
    periods: Periods,
}

impl PeriodApi {
    pub fn new(periods: Periods) -> Self {
        Self { periods }
    }
}

/// Parses `YYYY-MM` (field `field`) into a month of the reporting zone.
pub(crate) fn parse_month(field: &str, text: &str, zone: Tz) -> Result<Month, ServiceError> {
    let invalid = || {
        let shown: String = text.chars().take(16).collect();
        ServiceError::invalid_field(
            field,
            format!("{field} must be a month written YYYY-MM, got {shown:?}"),
        )
    };
    if text.len() != 7 {
        return Err(invalid());
    }
    let first =
        NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| invalid())?;
    crate::domain::period::check_date(first).map_err(|_| invalid())?;
    Month::containing(first, zone).map_err(|_| invalid())
}

fn snapshot_version_to_pb(meta: &SnapshotMeta) -> pb::SnapshotVersion {
    pb::SnapshotVersion {
        version: meta.version,
        take_time: chrono::DateTime::from_timestamp_micros(meta.taken_at_us).map(timestamp),
        taken_by: meta.taken_by.clone(),
        reason: meta.reason.clone(),
        agent_scorecards: i32::try_from(meta.agent_scorecards).unwrap_or(i32::MAX),
        team_scorecards: i32::try_from(meta.team_scorecards).unwrap_or(i32::MAX),
    }
}

pub(crate) fn period_to_pb(period: &ClosedPeriod) -> pb::Period {
    pb::Period {
        month: period.month.clone(),
        state: pb::PeriodState::Closed as i32,
        close_time: chrono::DateTime::from_timestamp_micros(period.closed_at_us).map(timestamp),
        closed_by: period.closed_by.clone(),
        current_version: period.current_version,
        versions: period.versions.iter().map(snapshot_version_to_pb).collect(),
    }
}

fn open_period_to_pb(month: &str) -> pb::Period {
    pb::Period {
        month: month.to_owned(),
        state: pb::PeriodState::Open as i32,
        ..Default::default()
    }
}

pub(crate) fn close_response(outcome: &CloseOutcome) -> pb::ClosePeriodResponse {
    let (period, already_closed) = match outcome {
        CloseOutcome::Closed(period) => (period, false),
        CloseOutcome::AlreadyClosed(period) => (period, true),
    };
    pb::ClosePeriodResponse {
        period: Some(period_to_pb(period)),
        already_closed,
    }
}

pub(crate) fn restate_response(outcome: &RestateOutcome) -> pb::RestatePeriodResponse {
    pb::RestatePeriodResponse {
        period: Some(period_to_pb(&outcome.0)),
    }
}

/// Close and restate responses in protobuf, kept under request ids.
pub struct ProtobufResponses;

impl ResponseEncoding for ProtobufResponses {
    fn close_response(&self, outcome: &CloseOutcome) -> Vec<u8> {
        close_response(outcome).encode_to_vec()
    }

    fn restate_response(&self, outcome: &RestateOutcome) -> Vec<u8> {
        restate_response(outcome).encode_to_vec()
    }
}

/// A fresh answer converted, or the first answer of a retried request.
fn answered<T, M: Message + Default>(
    answer: Answer<T>,
    convert: impl FnOnce(&T) -> M,
) -> Result<M, ServiceError> {
    match answer {
        Answer::Fresh(outcome) => Ok(convert(&outcome)),
        Answer::Replayed(bytes) => M::decode(bytes.as_slice()).map_err(|error| {
            tracing::error!(%error, "a kept response does not decode");
            ServiceError::Internal
        }),
    }
}

fn adjustment_to_pb(
    adjusted: AdjustedAgent,
    zone: Tz,
) -> Result<pb::AgentAdjustment, ServiceError> {
    let live = agent_scorecard_to_pb(&adjusted.agent, &adjusted.live, zone)
        .scorecard
        .unwrap_or_default();
    let snapshot = match &adjusted.snapshot_payload {
        Some(payload) => pb::AgentScorecard::decode(payload.as_slice())
            .map_err(|error| {
                tracing::error!(%error, "a stored snapshot does not decode");
                ServiceError::Internal
            })?
            .scorecard
            .unwrap_or_default(),
        None => pb::Scorecard::default(),
    };
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
        agent_id: adjusted.agent.agent_id,
        kpis,
        snapshot_bonus_eligible: adjusted.snapshot_bonus_eligible,
        live_bonus_eligible: live.bonus_eligible,
        bonus_eligibility_flips: adjusted.snapshot_bonus_eligible != live.bonus_eligible,
        snapshot_composite_score: adjusted.snapshot_composite,
        live_composite_score: live.composite_score,
    })
}

impl PeriodApi {
    async fn close_period(
        &self,
        caller: &Caller,
        request: pb::ClosePeriodRequest,
    ) -> Result<pb::ClosePeriodResponse, ServiceError> {
        let month = parse_month("month", &request.month, self.periods.zone())?;
        let body = pb::ClosePeriodRequest {
            request_id: String::new(),
            ..request.clone()
        };
        let request_key = idempotency_key(&request.request_id, "ClosePeriod", &body)?;
        let answer = self.periods.close(caller, &month, request_key).await?;
        answered(answer, close_response)
    }

    async fn restate_period(
        &self,
        caller: &Caller,
        request: pb::RestatePeriodRequest,
    ) -> Result<pb::RestatePeriodResponse, ServiceError> {
        let month = parse_month("month", &request.month, self.periods.zone())?;
        let body = pb::RestatePeriodRequest {
            request_id: String::new(),
            ..request.clone()
        };
        let request_key = idempotency_key(&request.request_id, "RestatePeriod", &body)?;
        let reason = request.reason.trim();
        if reason.is_empty()
            || reason.chars().count() > MAX_REASON_LEN
            || reason.chars().any(char::is_control)
        {
            return Err(ServiceError::invalid_field(
                "reason",
                format!("reason is required: 1-{MAX_REASON_LEN} printable characters"),
            ));
        }
        let answer = self
            .periods
            .restate(caller, &month, reason, request_key)
            .await?;
        answered(answer, restate_response)
    }

    async fn get_period(
        &self,
        request: pb::GetPeriodRequest,
    ) -> Result<pb::GetPeriodResponse, ServiceError> {
        let month = parse_month("month", &request.month, self.periods.zone())?;
        let period = match self.periods.get_period(&month).await? {
            Some(period) => period_to_pb(&period),
            None => open_period_to_pb(&month.key),
        };
        Ok(pb::GetPeriodResponse {
            period: Some(period),
        })
    }

    async fn list_periods(
        &self,
        request: pb::ListPeriodsRequest,
    ) -> Result<pb::ListPeriodsResponse, ServiceError> {
        let page = self
            .periods
            .list_periods(request.page_size, &request.page_token)
            .await?;
        Ok(pb::ListPeriodsResponse {
            periods: page.periods.iter().map(period_to_pb).collect(),
            next_page_token: page.next_page_token,
        })
    }

    async fn list_adjustments(
        &self,
        caller: &Caller,
        request: pb::ListAdjustmentsRequest,
    ) -> Result<pb::ListAdjustmentsResponse, ServiceError> {
        let zone = self.periods.zone();
        let page = self
            .periods
            .list_adjustments(
                caller,
                AdjustmentsQuery {
                    month: parse_month("month", &request.month, zone),
                    snapshot_version: request.snapshot_version,
                    page_size: request.page_size,
                    page_token: request.page_token,
                },
            )
            .await?;
        Ok(pb::ListAdjustmentsResponse {
            month: page.month,
            snapshot_version: page.snapshot_version,
            records_changed_since_snapshot: page.records_changed_since_snapshot,
            agents: page
                .agents
                .into_iter()
                .map(|adjusted| adjustment_to_pb(adjusted, zone))
                .collect::<Result<_, _>>()?,
            next_page_token: page.next_page_token,
        })
    }
}

#[tonic::async_trait]
impl pb::period_service_server::PeriodService for PeriodApi {
    async fn close_period(
        &self,
        request: Request<pb::ClosePeriodRequest>,
    ) -> Result<Response<pb::ClosePeriodResponse>, Status> {
        log_outcome(
            "ClosePeriod",
            PeriodApi::close_period(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(Response::new)
    }

    async fn restate_period(
        &self,
        request: Request<pb::RestatePeriodRequest>,
    ) -> Result<Response<pb::RestatePeriodResponse>, Status> {
        log_outcome(
            "RestatePeriod",
            PeriodApi::restate_period(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(Response::new)
    }

    async fn get_period(
        &self,
        request: Request<pb::GetPeriodRequest>,
    ) -> Result<Response<pb::GetPeriodResponse>, Status> {
        log_outcome(
            "GetPeriod",
            PeriodApi::get_period(self, request.into_inner()).await,
        )
        .map(Response::new)
    }

    async fn list_periods(
        &self,
        request: Request<pb::ListPeriodsRequest>,
    ) -> Result<Response<pb::ListPeriodsResponse>, Status> {
        log_outcome(
            "ListPeriods",
            PeriodApi::list_periods(self, request.into_inner()).await,
        )
        .map(Response::new)
    }

    async fn list_adjustments(
        &self,
        request: Request<pb::ListAdjustmentsRequest>,
    ) -> Result<Response<pb::ListAdjustmentsResponse>, Status> {
        log_outcome(
            "ListAdjustments",
            PeriodApi::list_adjustments(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(Response::new)
    }
}
