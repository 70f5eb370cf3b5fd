//! `kpi.v1.AuditService`: reading the audit trail (nothing writes it
//! through the API; the use cases append to it).

use crate::grpc::reply::reply;
use tonic::{Request, Response, Status};

use super::{
    directory::timestamp,
    log_outcome,
    pagination::{decode_token, page_size, request_fingerprint, trim_page},
    pb,
};
use crate::{
    domain::{
        audit::{AuditChange, AuditEvent, AuditFilter, AuditKind, AuditedKey},
        violations::Violations,
    },
    error::ServiceError,
    service::audit::AuditTrail,
};

const MAX_PRINCIPAL_LEN: usize = 256;

/// The audit service.
#[derive(Clone)]
pub struct AuditApi {
    trail: AuditTrail,
}

impl AuditApi {
    pub fn new(trail: AuditTrail) -> Self {
        Self { trail }
    }
}

fn kind_to_pb(kind: AuditKind) -> pb::AuditEventKind {
    match kind {
        AuditKind::PolicyVersionCreated => pb::AuditEventKind::PolicyVersionCreated,
        AuditKind::TeamUpserted => pb::AuditEventKind::TeamUpserted,
        AuditKind::AgentUpserted => pb::AuditEventKind::AgentUpserted,
        AuditKind::RecordsIngested => pb::AuditEventKind::RecordsIngested,
        AuditKind::PeriodClosed => pb::AuditEventKind::PeriodClosed,
        AuditKind::PeriodRestated => pb::AuditEventKind::PeriodRestated,
        AuditKind::ChangeRefused => pb::AuditEventKind::ChangeRefused,
        AuditKind::AgentGoalCreated => pb::AuditEventKind::AgentGoalCreated,
    }
}

fn keys_to_pb(keys: Vec<AuditedKey>) -> Vec<pb::RecordKey> {
    keys.into_iter()
        .map(|key| pb::RecordKey {
            source: key.source,
            external_id: key.external_id,
        })
        .collect()
}

fn count(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn change_to_pb(change: AuditChange) -> pb::audit_event::Change {
    use pb::audit_event::Change;
    match change {
        AuditChange::PolicyVersionCreated {
            policy_version_id,
            team_id,
            effective_from,
            bonus_threshold,
        } => Change::PolicyVersionCreated(pb::PolicyVersionCreated {
            policy_version_id,
            team_id: team_id.unwrap_or_default(),
            effective_from,
            bonus_threshold,
        }),
        AuditChange::TeamUpserted {
            team_id,
            created,
            previous_display_name,
            display_name,
        } => Change::TeamUpserted(pb::TeamUpserted {
            team_id,
            created,
            previous_display_name: previous_display_name.unwrap_or_default(),
            display_name,
        }),
        AuditChange::AgentUpserted {
            agent_id,
            created,
            previous_team_id,
            team_id,
            previous_display_name,
            display_name,
            team_effective_from,
        } => Change::AgentUpserted(pb::AgentUpserted {
            agent_id,
            created,
            previous_team_id: previous_team_id.unwrap_or_default(),
            team_id: team_id.unwrap_or_default(),
            previous_display_name: previous_display_name.unwrap_or_default(),
            display_name,
            team_effective_from: team_effective_from.unwrap_or_default(),
        }),
        AuditChange::RecordsIngested {
            record_kind,
            created,
            updated,
            unchanged,
            stale,
            voided,
            updated_keys,
            voided_keys,
            registered_agent_ids,
        } => Change::RecordsIngested(pb::RecordsIngested {
            record_kind,
            created_count: count(created),
            updated_count: count(updated),
            unchanged_count: count(unchanged),
            stale_count: count(stale),
            voided_count: count(voided),
            updated_keys: keys_to_pb(updated_keys),
            voided_keys: keys_to_pb(voided_keys),
            registered_agent_ids,
        }),
        AuditChange::PeriodClosed {
            month,
            version,
            agent_scorecards,
            team_scorecards,
        } => Change::PeriodClosed(pb::PeriodClosed {
            month,
            version,
            agent_scorecards: count(agent_scorecards),
            team_scorecards: count(team_scorecards),
        }),
        AuditChange::PeriodRestated {
            month,
            version,
            reason,
        } => Change::PeriodRestated(pb::PeriodRestated {
            month,
            version,
            reason,
        }),
        AuditChange::ChangeRefused {
            what,
            subject,
            effective_from,
            closed_month,
        } => Change::ChangeRefused(pb::ChangeRefused {
            change: what,
            subject,
            effective_from,
            closed_month,
        }),
        AuditChange::AgentGoalCreated {
            agent_goal_id,
            agent_id,
            kpi_id,
            effective_from,
            overridden,
        } => Change::AgentGoalCreated(pb::AgentGoalCreated {
            agent_goal_id,
            agent_id,
            kpi_id,
            effective_from,
            overridden_fields: overridden,
        }),
    }
}

fn event_to_pb(event: AuditEvent) -> pb::AuditEvent {
    pb::AuditEvent {
        audit_event_id: event.id,
        event_time: Some(timestamp(event.occurred_at)),
        principal: event.actor.principal,
        method: event.actor.method,
        request_id: event.actor.request_id,
        kind: kind_to_pb(event.change.kind()) as i32,
        change: Some(change_to_pb(event.change)),
    }
}

/// Microseconds since the epoch of a protobuf timestamp, if representable.
fn micros(field: &str, stamp: &prost_types::Timestamp, violations: &mut Violations) -> Option<i64> {
    let micros = stamp
        .seconds
        .checked_mul(1_000_000)
        .and_then(|seconds| seconds.checked_add(i64::from(stamp.nanos / 1_000)));
    if micros.is_none() || !(0..1_000_000_000).contains(&stamp.nanos) {
        violations.add(field, format!("{field} is not a valid timestamp"));
        return None;
    }
    micros
}

/// The filter a request asks for (without the page cursor).
fn parse_filter(request: &pb::ListAuditEventsRequest) -> Result<AuditFilter, ServiceError> {
    let mut violations = Violations::new();
    let from_us = request
        .start_time
        .as_ref()
        .and_then(|stamp| micros("start_time", stamp, &mut violations));
    let to_us = request
        .end_time
        .as_ref()
        .and_then(|stamp| micros("end_time", stamp, &mut violations));
    if let (Some(from), Some(to)) = (from_us, to_us) {
        if to < from {
            violations.add("end_time", "end_time must not be before start_time");
        }
    }
    if request.principal.chars().count() > MAX_PRINCIPAL_LEN {
        violations.add(
            "principal",
            format!("principal may have at most {MAX_PRINCIPAL_LEN} characters"),
        );
    }
    let kind = match pb::AuditEventKind::try_from(request.kind) {
        Ok(pb::AuditEventKind::Unspecified) => None,
        Ok(pb::AuditEventKind::PolicyVersionCreated) => Some(AuditKind::PolicyVersionCreated),
        Ok(pb::AuditEventKind::TeamUpserted) => Some(AuditKind::TeamUpserted),
        Ok(pb::AuditEventKind::AgentUpserted) => Some(AuditKind::AgentUpserted),
        Ok(pb::AuditEventKind::RecordsIngested) => Some(AuditKind::RecordsIngested),
        Ok(pb::AuditEventKind::PeriodClosed) => Some(AuditKind::PeriodClosed),
        Ok(pb::AuditEventKind::PeriodRestated) => Some(AuditKind::PeriodRestated),
        Ok(pb::AuditEventKind::ChangeRefused) => Some(AuditKind::ChangeRefused),
        Ok(pb::AuditEventKind::AgentGoalCreated) => Some(AuditKind::AgentGoalCreated),
        Err(_) => {
            violations.add("kind", "kind must be an AuditEventKind value");
            None
        }
    };
    let filter = AuditFilter {
        from_us,
        to_us,
        principal: (!request.principal.is_empty()).then(|| request.principal.clone()),
        kind,
        before_id: None,
    };
    violations
        .into_result(filter)
        .map_err(ServiceError::invalid_fields)
}

impl AuditApi {
    async fn list_audit_events(
        &self,
        request: pb::ListAuditEventsRequest,
    ) -> Result<pb::ListAuditEventsResponse, ServiceError> {
        let size = page_size(request.page_size)?;
        let mut filter = parse_filter(&request)?;
        let fingerprint = request_fingerprint(&[
            "audit_events",
            &filter.from_us.map(|us| us.to_string()).unwrap_or_default(),
            &filter.to_us.map(|us| us.to_string()).unwrap_or_default(),
            filter.principal.as_deref().unwrap_or(""),
            filter.kind.map(AuditKind::as_str).unwrap_or(""),
        ]);
        filter.before_id = match decode_token(&request.page_token, &fingerprint)? {
            None => None,
            Some(id) => Some(id.parse::<i64>().map_err(|_| {
                ServiceError::invalid_field(
                    "page_token",
                    "page_token is not a token this service issued",
                )
            })?),
        };
        let mut events = self
            .trail
            .list_events(&filter, size + 1, &request.consistency_token)
            .await?;
        let next_page_token = trim_page(&mut events, size, &fingerprint, |event| {
            event.id.to_string()
        });
        Ok(pb::ListAuditEventsResponse {
            events: events.into_iter().map(event_to_pb).collect(),
            next_page_token,
        })
    }
}

#[tonic::async_trait]
impl pb::audit_service_server::AuditService for AuditApi {
    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        log_outcome(
            "ListAuditEvents",
            AuditApi::list_audit_events(self, request.into_inner()).await,
        )
        .map(reply)
    }
}
