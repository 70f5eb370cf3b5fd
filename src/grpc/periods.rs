//! `kpi.v1.PeriodService`: closing months, restating them, and the
//! adjustments that late data made since. A snapshot holds every agent's
//! and team's scorecard exactly as the API answered it (protobuf bytes), so
//! a closed month reads back byte for byte.

use crate::error::ServiceError;
use crate::service::access::authorize_list;
use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use prost::Message;
use tonic::{Request, Response, Status};

use super::{
    directory::timestamp,
    log_outcome,
    pagination::{decode_token, page_size_within, request_fingerprint, trim_page},
    pb,
    scorecard::agent_scorecard_to_pb,
};
use crate::{
    auth::Caller,
    domain::period::{resolve, Period, PeriodSpec},
    scorecard::{AgentSet, ScorecardEngine},
    storage::{
        idempotency::IdempotencyKey,
        periods::{
            ClosedPeriod, NewSnapshot, SnapshotEntry, SnapshotMeta, SnapshotOutcome, SubjectKind,
        },
    },
};

const CLOSE_PERIOD: &str = "/kpi.v1.PeriodService/ClosePeriod";
const RESTATE_PERIOD: &str = "/kpi.v1.PeriodService/RestatePeriod";
const LIST_ADJUSTMENTS: &str = "/kpi.v1.PeriodService/ListAdjustments";
/// Longest client request id.
const MAX_REQUEST_ID_LEN: usize = 128;
/// Longest restatement reason.
const MAX_REASON_LEN: usize = 1_000;
/// Most teams a snapshot holds (the directory has far fewer).
const MAX_TEAMS_IN_SNAPSHOT: u64 = 100_000;
const DEFAULT_ADJUSTMENT_PAGE: u64 = 100;
const MAX_ADJUSTMENT_PAGE: u64 = 500;

/// The period service.
#[derive(Clone)]
pub struct PeriodApi {
    engine: ScorecardEngine,
}

impl PeriodApi {
    pub fn new(engine: ScorecardEngine) -> Self {
        Self { engine }
    }
}

/// A calendar month named `YYYY-MM`, resolved in the reporting zone.
pub(crate) struct Month {
    pub key: String,
    pub period: Period,
}

/// Parses `YYYY-MM` (field `field`) into a month.
pub(crate) fn parse_month(
    field: &str,
    text: &str,
    zone: chrono_tz::Tz,
) -> Result<Month, ServiceError> {
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
    let period = resolve(PeriodSpec::Month(first), zone, 31).map_err(|_| invalid())?;
    Ok(Month {
        key: first.format("%Y-%m").to_string(),
        period,
    })
}

/// The idempotency key of a create: its request id (if any) and a digest
/// of the rest of the request.
pub(crate) fn idempotency_key<M: Message>(
    request_id_text: &str,
    method: &'static str,
    body: &M,
) -> Result<Option<IdempotencyKey>, ServiceError> {
    Ok(request_id(request_id_text)?
        .map(|id| IdempotencyKey::new(id, method, &body.encode_to_vec())))
}

fn request_id(text: &str) -> Result<Option<&str>, ServiceError> {
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_REQUEST_ID_LEN || text.chars().any(char::is_control) {
        return Err(ServiceError::invalid_field(
            "request_id",
            format!("request_id must be 1-{MAX_REQUEST_ID_LEN} printable characters"),
        ));
    }
    Ok(Some(text))
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

fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, ServiceError> {
    M::decode(bytes).map_err(|error| {
        tracing::error!(%error, "a stored snapshot does not decode");
        ServiceError::Internal
    })
}

impl PeriodApi {
    /// Every agent's and team's scorecard of `month`, encoded.
    async fn snapshot_entries(
        &self,
        month: &Month,
    ) -> Result<(Vec<SnapshotEntry>, Vec<SnapshotEntry>), ServiceError> {
        let database = self.engine.database();
        let agents = crate::storage::directory::all_agents(database.connection(), None).await?;
        let scorecards = self
            .engine
            .agent_scorecards(&agents, AgentSet::Directory, &month.period)
            .await?;
        let agent_entries = scorecards
            .iter()
            .map(|(agent, scorecard)| {
                let answer = agent_scorecard_to_pb(agent, scorecard, &self.engine);
                SnapshotEntry {
                    subject_id: agent.agent_id.clone(),
                    team_id: answer.team_id.clone(),
                    payload: answer.encode_to_vec(),
                }
            })
            .collect();
        let mut team_entries = Vec::new();
        for team in crate::storage::directory::list_teams(
            database.connection(),
            None,
            MAX_TEAMS_IN_SNAPSHOT,
        )
        .await?
        {
            let (scorecard, members) = self
                .engine
                .team_scorecard(&team.team_id, &month.period)
                .await?;
            let answer = pb::GetTeamScorecardResponse {
                team_id: team.team_id.clone(),
                scorecard: Some(super::kpi_results::scorecard_to_pb(
                    &scorecard,
                    self.engine.zone(),
                )),
                member_agent_ids: members,
            };
            team_entries.push(SnapshotEntry {
                subject_id: team.team_id,
                team_id: String::new(),
                payload: answer.encode_to_vec(),
            });
        }
        Ok((agent_entries, team_entries))
    }

    async fn close_period(
        &self,
        caller: &Caller,
        request: pb::ClosePeriodRequest,
    ) -> Result<pb::ClosePeriodResponse, ServiceError> {
        let month = parse_month("month", &request.month, self.engine.zone())?;
        let request_id = request_id(&request.request_id)?;
        if month.period.end > Utc::now() {
            return Err(ServiceError::FailedPrecondition {
                reason: "PERIOD_NOT_ENDED",
                message: format!(
                    "month {} has not ended yet in the reporting time zone; close it once it is over",
                    month.key
                ),
                month: month.key,
            });
        }
        if request_id.is_none() {
            if let Some(period) = self.engine.database().closed_period(&month.key).await? {
                return Ok(pb::ClosePeriodResponse {
                    period: Some(period_to_pb(&period)),
                    already_closed: true,
                });
            }
        }
        let (agents, teams) = self.snapshot_entries(&month).await?;
        let key = request_id.map(|id| {
            let body = pb::ClosePeriodRequest {
                request_id: String::new(),
                ..request.clone()
            };
            IdempotencyKey::new(id, "ClosePeriod", &body.encode_to_vec())
        });
        let encode = |outcome: &SnapshotOutcome| close_response(outcome).encode_to_vec();
        let outcome = self
            .engine
            .database()
            .take_snapshot(NewSnapshot {
                month: &month.key,
                first_day: crate::domain::calendar::LocalDay::of_instant(
                    month.period.start,
                    self.engine.zone(),
                )
                .number(),
                end_day: crate::domain::calendar::LocalDay::of_instant(
                    month.period.end,
                    self.engine.zone(),
                )
                .number(),
                restatement: None,
                agents,
                teams,
                actor: &caller.audit_actor(CLOSE_PERIOD),
                idempotency: key.map(|key| (key, &encode as _)),
            })
            .await?;
        match outcome {
            SnapshotOutcome::Replayed(bytes) => decode(&bytes),
            SnapshotOutcome::RequestIdReused => Err(request_id_reused()),
            other => Ok(close_response(&other)),
        }
    }

    async fn restate_period(
        &self,
        caller: &Caller,
        request: pb::RestatePeriodRequest,
    ) -> Result<pb::RestatePeriodResponse, ServiceError> {
        let month = parse_month("month", &request.month, self.engine.zone())?;
        let request_id = request_id(&request.request_id)?;
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
        if self
            .engine
            .database()
            .closed_period(&month.key)
            .await?
            .is_none()
        {
            return Err(not_closed(&month.key));
        }
        let (agents, teams) = self.snapshot_entries(&month).await?;
        let key = request_id.map(|id| {
            let body = pb::RestatePeriodRequest {
                request_id: String::new(),
                ..request.clone()
            };
            IdempotencyKey::new(id, "RestatePeriod", &body.encode_to_vec())
        });
        let encode = |outcome: &SnapshotOutcome| restate_response(outcome).encode_to_vec();
        let outcome = self
            .engine
            .database()
            .take_snapshot(NewSnapshot {
                month: &month.key,
                first_day: 0,
                end_day: 0,
                restatement: Some(reason),
                agents,
                teams,
                actor: &caller.audit_actor(RESTATE_PERIOD),
                idempotency: key.map(|key| (key, &encode as _)),
            })
            .await?;
        match outcome {
            SnapshotOutcome::Replayed(bytes) => decode(&bytes),
            SnapshotOutcome::RequestIdReused => Err(request_id_reused()),
            SnapshotOutcome::NotClosed => Err(not_closed(&month.key)),
            other => Ok(restate_response(&other)),
        }
    }

    async fn get_period(
        &self,
        request: pb::GetPeriodRequest,
    ) -> Result<pb::GetPeriodResponse, ServiceError> {
        let month = parse_month("month", &request.month, self.engine.zone())?;
        let period = match self.engine.database().closed_period(&month.key).await? {
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
        let size = page_size_within(request.page_size, 100, 1_000)?;
        let fingerprint = request_fingerprint(&["periods"]);
        let before = decode_token(&request.page_token, &fingerprint)?;
        let mut periods = self
            .engine
            .database()
            .list_closed_periods(before.as_deref(), size + 1)
            .await?;
        let next_page_token = trim_page(&mut periods, size, &fingerprint, |period| {
            period.month.clone()
        });
        Ok(pb::ListPeriodsResponse {
            periods: periods.iter().map(period_to_pb).collect(),
            next_page_token,
        })
    }

    async fn list_adjustments(
        &self,
        caller: &Caller,
        request: pb::ListAdjustmentsRequest,
    ) -> Result<pb::ListAdjustmentsResponse, ServiceError> {
        authorize_list(caller, LIST_ADJUSTMENTS, None)?;
        let month = parse_month("month", &request.month, self.engine.zone())?;
        let size = page_size_within(
            request.page_size,
            DEFAULT_ADJUSTMENT_PAGE,
            MAX_ADJUSTMENT_PAGE,
        )?;
        if request.snapshot_version < 0 {
            return Err(ServiceError::invalid_field(
                "snapshot_version",
                "snapshot_version must be >= 0 (0 = the current version)",
            ));
        }
        let database = self.engine.database();
        let period = database
            .closed_period(&month.key)
            .await?
            .ok_or_else(|| not_closed(&month.key))?;
        let version = resolve_version(&period, request.snapshot_version)?;
        let fingerprint =
            request_fingerprint(&["adjustments", &month.key, &version.version.to_string()]);
        let after = decode_token(&request.page_token, &fingerprint)?;

        let snapshot: BTreeMap<String, pb::AgentScorecard> = database
            .snapshot_entries(
                &month.key,
                version.version,
                SubjectKind::Agent,
                None,
                None,
                u64::MAX >> 1,
            )
            .await?
            .iter()
            .map(|entry| Ok((entry.subject_id.clone(), decode(&entry.payload)?)))
            .collect::<Result<_, ServiceError>>()?;
        let agents = crate::storage::directory::all_agents(database.connection(), None).await?;
        let live = self
            .engine
            .agent_scorecards(&agents, AgentSet::Directory, &month.period)
            .await?;
        let mut changed: Vec<pb::AgentAdjustment> = Vec::new();
        for (agent, scorecard) in &live {
            if after
                .as_deref()
                .is_some_and(|last| agent.agent_id.as_str() <= last)
            {
                continue;
            }
            let live_answer = agent_scorecard_to_pb(agent, scorecard, &self.engine);
            let before = snapshot.get(&agent.agent_id);
            if let Some(adjustment) = compare(&agent.agent_id, before, &live_answer) {
                changed.push(adjustment);
            }
            if changed.len() as u64 > size {
                break;
            }
        }
        let next_page_token = trim_page(&mut changed, size, &fingerprint, |adjustment| {
            adjustment.agent_id.clone()
        });
        let records_changed = database
            .records_changed_since(
                month.period.start.timestamp_micros(),
                month.period.end.timestamp_micros(),
                version.taken_at_us,
            )
            .await?;
        Ok(pb::ListAdjustmentsResponse {
            month: month.key,
            snapshot_version: version.version,
            records_changed_since_snapshot: records_changed,
            agents: changed,
            next_page_token,
        })
    }
}

/// The snapshot version a read asks for: `requested`, or the current one
/// when 0.
pub(crate) fn resolve_version(
    period: &ClosedPeriod,
    requested: i32,
) -> Result<SnapshotMeta, ServiceError> {
    let wanted = if requested == 0 {
        period.current_version
    } else {
        requested
    };
    period
        .version(wanted)
        .cloned()
        .ok_or_else(|| ServiceError::NotFound {
            reason: "SNAPSHOT_VERSION_NOT_FOUND",
            resource_type: "snapshot version",
            name: format!("{} v{wanted}", period.month),
        })
}

fn not_closed(month: &str) -> ServiceError {
    ServiceError::FailedPrecondition {
        reason: "PERIOD_NOT_CLOSED",
        message: format!("month {month} is not closed; close it with PeriodService.ClosePeriod"),
        month: month.to_owned(),
    }
}

pub(crate) fn request_id_reused() -> ServiceError {
    ServiceError::invalid_field(
        "request_id",
        "request_id was already used for a different request; use a new id for a new request",
    )
}

fn close_response(outcome: &SnapshotOutcome) -> pb::ClosePeriodResponse {
    match outcome {
        SnapshotOutcome::Taken(period) => pb::ClosePeriodResponse {
            period: Some(period_to_pb(period)),
            already_closed: false,
        },
        SnapshotOutcome::AlreadyClosed(period) => pb::ClosePeriodResponse {
            period: Some(period_to_pb(period)),
            already_closed: true,
        },
        _ => pb::ClosePeriodResponse::default(),
    }
}

fn restate_response(outcome: &SnapshotOutcome) -> pb::RestatePeriodResponse {
    match outcome {
        SnapshotOutcome::Taken(period) | SnapshotOutcome::AlreadyClosed(period) => {
            pb::RestatePeriodResponse {
                period: Some(period_to_pb(period)),
            }
        }
        _ => pb::RestatePeriodResponse::default(),
    }
}

/// The KPIs whose numbers differ between the snapshot and today, or `None`
/// when nothing changed.
fn compare(
    agent_id: &str,
    before: Option<&pb::AgentScorecard>,
    live: &pb::AgentScorecard,
) -> Option<pb::AgentAdjustment> {
    let live_card = live.scorecard.as_ref()?;
    let empty = pb::Scorecard::default();
    let snapshot_card = before
        .and_then(|answer| answer.scorecard.as_ref())
        .unwrap_or(&empty);
    let mut kpis = Vec::new();
    for live_result in &live_card.kpis {
        let snapshot_result = snapshot_card
            .kpis
            .iter()
            .find(|result| result.kpi_id == live_result.kpi_id);
        let same = snapshot_result.is_some_and(|snapshot| {
            snapshot.value == live_result.value
                && snapshot.numerator == live_result.numerator
                && snapshot.denominator == live_result.denominator
                && snapshot.sample_size == live_result.sample_size
                && snapshot.status == live_result.status
        });
        if same || (snapshot_result.is_none() && live_result.sample_size == 0) {
            continue;
        }
        let difference = match (snapshot_result.and_then(|s| s.value), live_result.value) {
            (Some(before), Some(now)) => Some(now - before),
            _ => None,
        };
        kpis.push(pb::KpiAdjustment {
            kpi_id: live_result.kpi_id.clone(),
            snapshot: snapshot_result.cloned(),
            live: Some(live_result.clone()),
            difference,
        });
    }
    let flips = snapshot_card.bonus_eligible != live_card.bonus_eligible;
    if kpis.is_empty() && !flips {
        return None;
    }
    Some(pb::AgentAdjustment {
        agent_id: agent_id.to_owned(),
        kpis,
        snapshot_bonus_eligible: snapshot_card.bonus_eligible,
        live_bonus_eligible: live_card.bonus_eligible,
        bonus_eligibility_flips: flips,
        snapshot_composite_score: snapshot_card.composite_score,
        live_composite_score: live_card.composite_score,
    })
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
