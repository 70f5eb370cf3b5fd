//! `kpi.v1.PeriodService`: protobuf <-> the period use cases
//! (`service::periods`): closing pay periods, restating them, and the
//! adjustments that late data made since.

use crate::grpc::reply::reply;
use chrono_tz::Tz;
use prost::Message;
use tonic::{Request, Response, Status};

use super::{
    adjustments::adjustment_to_pb, directory::timestamp, fields::idempotency_key, log_outcome, pb,
};
use crate::{
    auth::Caller,
    domain::{
        calendar::LocalDay,
        closing::{ClosedPeriod, PayPeriod, SnapshotMeta},
        pay_period::PayCalendar,
    },
    error::ServiceError,
    service::periods::{
        AdjustmentsQuery, Answer, CloseOutcome, Periods, ResponseEncoding, RestateOutcome,
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
pub(crate) fn parse_month(field: &str, text: &str, zone: Tz) -> Result<PayPeriod, ServiceError> {
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
    PayCalendar::Month
        .resolve(text, zone)
        .map_err(|_| invalid())
}

/// The pay period a request names: `pay_period` (an id of the configured
/// kind), or the older `month` (a calendar month, which is a pay period
/// only when pay periods are calendar months); both must agree.
pub(crate) fn requested_pay_period(
    month: &str,
    pay_period: &str,
    calendar: PayCalendar,
    zone: Tz,
) -> Result<PayPeriod, ServiceError> {
    let by_id = match pay_period {
        "" => None,
        id => Some(calendar.resolve(id, zone).map_err(|error| {
            ServiceError::invalid_field("pay_period", format!("pay_period: {error}"))
        })?),
    };
    let by_month = match month {
        "" => None,
        month => Some(parse_month("month", month, zone)?),
    };
    match (by_id, by_month) {
        (None, None) => Err(ServiceError::invalid_field(
            "pay_period",
            format!("pay_period is required: {}", calendar.expectation()),
        )),
        (Some(pay_period), None) => Ok(pay_period),
        (None, Some(month)) if calendar == PayCalendar::Month => Ok(month),
        (None, Some(_)) => Err(ServiceError::invalid_field(
            "month",
            format!(
                "month names a calendar month, but {}; give pay_period instead",
                calendar.expectation()
            ),
        )),
        (Some(pay_period), Some(month)) if pay_period.key == month.key => Ok(pay_period),
        (Some(_), Some(_)) => Err(ServiceError::invalid_field(
            "month",
            "month and pay_period name different periods; give one of them",
        )),
    }
}

fn pay_period_kind_to_pb(recorded: &str) -> pb::PayPeriodKind {
    match recorded.split_whitespace().next().unwrap_or_default() {
        "month" => pb::PayPeriodKind::Month,
        "half_month" => pb::PayPeriodKind::HalfMonth,
        "iso_week" => pb::PayPeriodKind::IsoWeek,
        "two_weeks" => pb::PayPeriodKind::TwoWeeks,
        _ => pb::PayPeriodKind::Unspecified,
    }
}

/// The instant local day number `day` starts in `zone`.
fn day_start(day: i32, zone: Tz) -> Option<prost_types::Timestamp> {
    LocalDay::from_number(day).start(zone).ok().map(timestamp)
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

pub(crate) fn period_to_pb(period: &ClosedPeriod, zone: Tz) -> pb::Period {
    pb::Period {
        month: period.month.clone(),
        state: pb::PeriodState::Closed as i32,
        close_time: chrono::DateTime::from_timestamp_micros(period.closed_at_us).map(timestamp),
        closed_by: period.closed_by.clone(),
        current_version: period.current_version,
        versions: period.versions.iter().map(snapshot_version_to_pb).collect(),
        pay_period: period.month.clone(),
        pay_period_kind: pay_period_kind_to_pb(&period.pay_period_kind) as i32,
        start_time: day_start(period.first_day, zone),
        end_time: day_start(period.end_day, zone),
    }
}

fn open_period_to_pb(pay_period: &PayPeriod, calendar: PayCalendar) -> pb::Period {
    pb::Period {
        month: pay_period.key.clone(),
        state: pb::PeriodState::Open as i32,
        pay_period: pay_period.key.clone(),
        pay_period_kind: pay_period_kind_to_pb(&calendar.recorded_name()) as i32,
        start_time: Some(timestamp(pay_period.period.start)),
        end_time: Some(timestamp(pay_period.period.end)),
        ..Default::default()
    }
}

pub(crate) fn close_response(outcome: &CloseOutcome, zone: Tz) -> pb::ClosePeriodResponse {
    let (period, already_closed) = match outcome {
        CloseOutcome::Closed(period) => (period, false),
        CloseOutcome::AlreadyClosed(period) => (period, true),
    };
    pb::ClosePeriodResponse {
        period: Some(period_to_pb(period, zone)),
        already_closed,
    }
}

pub(crate) fn restate_response(outcome: &RestateOutcome, zone: Tz) -> pb::RestatePeriodResponse {
    pb::RestatePeriodResponse {
        period: Some(period_to_pb(&outcome.0, zone)),
    }
}

/// Close and restate responses in protobuf, kept under request ids.
pub struct ProtobufResponses {
    zone: Tz,
}

impl ProtobufResponses {
    /// Responses whose periods' instants are cut in `zone`.
    pub fn new(zone: Tz) -> Self {
        Self { zone }
    }
}

impl ResponseEncoding for ProtobufResponses {
    fn close_response(&self, outcome: &CloseOutcome) -> Vec<u8> {
        close_response(outcome, self.zone).encode_to_vec()
    }

    fn restate_response(&self, outcome: &RestateOutcome) -> Vec<u8> {
        restate_response(outcome, self.zone).encode_to_vec()
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

impl PeriodApi {
    async fn close_period(
        &self,
        caller: &Caller,
        request: pb::ClosePeriodRequest,
    ) -> Result<pb::ClosePeriodResponse, ServiceError> {
        let month = self.pay_period(&request.month, &request.pay_period)?;
        let body = pb::ClosePeriodRequest {
            request_id: String::new(),
            ..request.clone()
        };
        let request_key = idempotency_key(&request.request_id, "ClosePeriod", &body)?;
        let answer = self.periods.close(caller, &month, request_key).await?;
        let zone = self.periods.zone();
        answered(answer, |outcome| close_response(outcome, zone))
    }

    async fn restate_period(
        &self,
        caller: &Caller,
        request: pb::RestatePeriodRequest,
    ) -> Result<pb::RestatePeriodResponse, ServiceError> {
        let month = self.pay_period(&request.month, &request.pay_period)?;
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
        let zone = self.periods.zone();
        answered(answer, |outcome| restate_response(outcome, zone))
    }

    async fn get_period(
        &self,
        request: pb::GetPeriodRequest,
    ) -> Result<pb::GetPeriodResponse, ServiceError> {
        let month = self.pay_period(&request.month, &request.pay_period)?;
        let period = match self.periods.get_period(&month).await? {
            Some(period) => period_to_pb(&period, self.periods.zone()),
            None => open_period_to_pb(&month, self.periods.calendar()),
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
            periods: page
                .periods
                .iter()
                .map(|period| period_to_pb(period, self.periods.zone()))
                .collect(),
            next_page_token: page.next_page_token,
        })
    }

    async fn list_adjustments(
        &self,
        caller: &Caller,
        request: pb::ListAdjustmentsRequest,
    ) -> Result<pb::ListAdjustmentsResponse, ServiceError> {
        let team_id = Some(request.team_id.trim().to_owned()).filter(|team| !team.is_empty());
        let page = self
            .periods
            .list_adjustments(
                caller,
                AdjustmentsQuery {
                    month: self.pay_period(&request.month, &request.pay_period),
                    snapshot_version: request.snapshot_version,
                    compare_to_version: request.compare_to_version,
                    team_id,
                    include_records: request.include_records,
                    page_size: request.page_size,
                    page_token: request.page_token,
                },
            )
            .await?;
        Ok(pb::ListAdjustmentsResponse {
            pay_period: page.month.clone(),
            month: page.month,
            snapshot_version: page.snapshot_version,
            compared_to_version: page.compared_to_version,
            records_changed_since_snapshot: page.records_changed_since_snapshot,
            agents: page
                .agents
                .into_iter()
                .map(adjustment_to_pb)
                .collect::<Result<_, _>>()?,
            next_page_token: page.next_page_token,
        })
    }

    /// The pay period a request names by `month` or `pay_period`.
    fn pay_period(&self, month: &str, pay_period: &str) -> Result<PayPeriod, ServiceError> {
        requested_pay_period(
            month,
            pay_period,
            self.periods.calendar(),
            self.periods.zone(),
        )
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
        .map(reply)
    }

    async fn restate_period(
        &self,
        request: Request<pb::RestatePeriodRequest>,
    ) -> Result<Response<pb::RestatePeriodResponse>, Status> {
        log_outcome(
            "RestatePeriod",
            PeriodApi::restate_period(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }

    async fn get_period(
        &self,
        request: Request<pb::GetPeriodRequest>,
    ) -> Result<Response<pb::GetPeriodResponse>, Status> {
        log_outcome(
            "GetPeriod",
            PeriodApi::get_period(self, request.into_inner()).await,
        )
        .map(reply)
    }

    async fn list_periods(
        &self,
        request: Request<pb::ListPeriodsRequest>,
    ) -> Result<Response<pb::ListPeriodsResponse>, Status> {
        log_outcome(
            "ListPeriods",
            PeriodApi::list_periods(self, request.into_inner()).await,
        )
        .map(reply)
    }

    async fn list_adjustments(
        &self,
        request: Request<pb::ListAdjustmentsRequest>,
    ) -> Result<Response<pb::ListAdjustmentsResponse>, Status> {
        log_outcome(
            "ListAdjustments",
            PeriodApi::list_adjustments(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }
}
