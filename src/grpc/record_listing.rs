//! Listed records -> protobuf (`AgentRecord`, `ChangedRecord`), for
//! `ListAgentRecords` and the adjustment report.

use super::{directory::timestamp, pb};
use crate::domain::record_listing::{ListedRecord, RecordChange, RecordKind};

fn kind_to_pb(kind: RecordKind) -> pb::RecordKind {
    match kind {
        RecordKind::Interaction => pb::RecordKind::Interaction,
        RecordKind::SurveyResponse => pb::RecordKind::SurveyResponse,
        RecordKind::QaEvaluation => pb::RecordKind::QaEvaluation,
        RecordKind::ComplianceCheck => pb::RecordKind::ComplianceCheck,
        RecordKind::Violation => pb::RecordKind::Violation,
        RecordKind::TrainingAssignment => pb::RecordKind::TrainingAssignment,
        RecordKind::AgentTime => pb::RecordKind::AgentTime,
    }
}

fn micros_to_pb(micros: i64) -> Option<prost_types::Timestamp> {
    chrono::DateTime::from_timestamp_micros(micros).map(timestamp)
}

pub(crate) fn agent_record_to_pb(record: &ListedRecord) -> pb::AgentRecord {
    pb::AgentRecord {
        kind: kind_to_pb(record.kind) as i32,
        key: Some(pb::RecordKey {
            source: record.source.clone(),
            external_id: record.external_id.clone(),
        }),
        revision: record.revision,
        voided: record.voided,
        agent_id: record.agent_id.clone(),
        team_id: record.team_id.clone().unwrap_or_default(),
        count_time: micros_to_pb(record.counted_at_us),
        create_time: micros_to_pb(record.stored_at_us),
        update_time: micros_to_pb(record.changed_at_us),
    }
}

pub(crate) fn changed_record_to_pb(
    record: &ListedRecord,
    change: RecordChange,
) -> pb::ChangedRecord {
    let change = match change {
        RecordChange::Created => pb::RecordChange::Created,
        RecordChange::Corrected => pb::RecordChange::Corrected,
        RecordChange::Voided => pb::RecordChange::Voided,
    };
    pb::ChangedRecord {
        record: Some(agent_record_to_pb(record)),
        change: change as i32,
        change_time: micros_to_pb(record.changed_at_us),
    }
}
