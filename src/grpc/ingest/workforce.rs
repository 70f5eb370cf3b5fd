//! Parsers of the workforce records: compliance checks, violations,
//! training assignments and agent time.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{
    batch::{finish, meta, ItemContext},
    contacts::MAX_SPAN_DAYS,
};
use crate::{
    domain::{
        calendar::LocalDay,
        records::{
            ComplianceKind, NewAgentTime, NewComplianceCheck, NewTrainingAssignment, NewViolation,
            ViolationKind,
        },
    },
    grpc::{
        fields::{FieldParser, MAX_ID_LEN},
        pb,
    },
};

/// How far ahead a training assignment may be due.
pub const MAX_DUE_AHEAD_DAYS: i64 = 3_660;

pub fn compliance_check(
    item: pb::ComplianceCheck,
    parser: &mut FieldParser<'_>,
    context: &ItemContext,
) -> Option<NewComplianceCheck> {
    let before = parser.violation_count();
    let meta = meta(
        parser,
        &item.source,
        &item.external_id,
        item.revision,
        item.voided,
    );
    let agent_id = parser.required_id("agent_id", &item.agent_id, MAX_ID_LEN);
    let kind = match pb::ComplianceKind::try_from(item.kind) {
        Ok(pb::ComplianceKind::Process) => Some(ComplianceKind::Process),
        Ok(pb::ComplianceKind::Privacy) => Some(ComplianceKind::Privacy),
        Ok(pb::ComplianceKind::Unspecified) | Err(_) => {
            parser.violation(
                "kind",
                "kind is required (COMPLIANCE_KIND_PROCESS or _PRIVACY)",
            );
            None
        }
    };
    let checked_at = parser.required_instant("checked_at", item.checked_at.as_ref());
    parser.not_in_future("checked_at", checked_at, context.latest_accepted);

    finish(before, parser, || {
        Some(NewComplianceCheck {
            meta,
            agent_id,
            kind: kind?,
            passed: item.passed,
            checked_at: checked_at?,
        })
    })
}

pub fn violation(
    item: pb::Violation,
    parser: &mut FieldParser<'_>,
    context: &ItemContext,
) -> Option<NewViolation> {
    let before = parser.violation_count();
    let meta = meta(
        parser,
        &item.source,
        &item.external_id,
        item.revision,
        item.voided,
    );
    let agent_id = parser.required_id("agent_id", &item.agent_id, MAX_ID_LEN);
    let kind = match pb::ViolationKind::try_from(item.kind) {
        Ok(pb::ViolationKind::LateArrival) => Some(ViolationKind::LateArrival),
        Ok(pb::ViolationKind::UnscheduledLeave) => Some(ViolationKind::UnscheduledLeave),
        Ok(pb::ViolationKind::ProcedureFailure) => Some(ViolationKind::ProcedureFailure),
        Ok(pb::ViolationKind::UnprofessionalCommunication) => {
            Some(ViolationKind::UnprofessionalCommunication)
        }
        Ok(pb::ViolationKind::Other) => Some(ViolationKind::Other),
        Ok(pb::ViolationKind::Unspecified) | Err(_) => {
            parser.violation(
                "kind",
                "kind is required (VIOLATION_KIND_LATE_ARRIVAL, ...)",
            );
            None
        }
    };
    let occurred_at = parser.required_instant("occurred_at", item.occurred_at.as_ref());
    parser.not_in_future("occurred_at", occurred_at, context.latest_accepted);

    finish(before, parser, || {
        Some(NewViolation {
            meta,
            agent_id,
            kind: kind?,
            occurred_at: occurred_at?,
        })
    })
}

pub fn training_assignment(
    item: pb::TrainingAssignment,
    parser: &mut FieldParser<'_>,
    context: &ItemContext,
) -> Option<NewTrainingAssignment> {
    let before = parser.violation_count();
    let meta = meta(
        parser,
        &item.source,
        &item.external_id,
        item.revision,
        item.voided,
    );
    let agent_id = parser.required_id("agent_id", &item.agent_id, MAX_ID_LEN);
    let course_id = parser.required_id("course_id", &item.course_id, MAX_ID_LEN);
    let due_at = parser.required_instant("due_at", item.due_at.as_ref());
    let completed_at = parser.optional_instant("completed_at", item.completed_at.as_ref());
    parser.not_in_future("completed_at", completed_at, context.latest_accepted);
    if let Some(due) = due_at {
        if due > context.latest_accepted + Duration::days(MAX_DUE_AHEAD_DAYS) {
            parser.violation("due_at", "due_at lies more than 10 years ahead");
        }
    }

    finish(before, parser, || {
        Some(NewTrainingAssignment {
            meta,
            agent_id,
            course_id,
            due_at: due_at?,
            completed_at,
        })
    })
}

pub fn agent_time(
    item: pb::AgentTime,
    parser: &mut FieldParser<'_>,
    context: &ItemContext,
) -> Option<NewAgentTime> {
    let before = parser.violation_count();
    let meta = meta(
        parser,
        &item.source,
        &item.external_id,
        item.revision,
        item.voided,
    );
    let agent_id = parser.required_id("agent_id", &item.agent_id, MAX_ID_LEN);
    let has_interval = item.interval_start.is_some() || item.interval_end.is_some();
    let span = match (item.day.is_empty(), has_interval) {
        (false, true) => {
            parser.violation(
                "day",
                "give either day or interval_start/interval_end, not both",
            );
            None
        }
        (true, false) => {
            parser.violation("day", "day or interval_start and interval_end are required");
            None
        }
        (false, false) => match whole_local_day(&item.day, context.time_zone) {
            Some(span) => Some(span),
            None => {
                parser.violation("day", "day must be a date written YYYY-MM-DD");
                None
            }
        },
        (true, true) => {
            let start = parser.required_instant("interval_start", item.interval_start.as_ref());
            let end = parser.required_instant("interval_end", item.interval_end.as_ref());
            match (start, end) {
                (Some(start), Some(end)) if end <= start => {
                    parser.violation("interval_end", "interval_end must be after interval_start");
                    None
                }
                (Some(start), Some(end)) if end - start > Duration::days(MAX_SPAN_DAYS) => {
                    parser.violation(
                        "interval_end",
                        format!("an interval may span at most {MAX_SPAN_DAYS} days"),
                    );
                    None
                }
                (Some(start), Some(end)) => Some((start, end)),
                _ => None,
            }
        }
    };
    if let Some((start, _)) = span {
        let field = if item.day.is_empty() {
            "interval_start"
        } else {
            "day"
        };
        parser.not_in_future(field, Some(start), context.latest_accepted);
    }
    let span_seconds = span.map_or(i64::MAX, |(start, end)| (end - start).num_seconds());
    let scheduled_seconds =
        parser.seconds("scheduled_seconds", item.scheduled_seconds, span_seconds);
    let logged_in_seconds =
        parser.seconds("logged_in_seconds", item.logged_in_seconds, span_seconds);
    let handling_seconds = parser.seconds("handling_seconds", item.handling_seconds, span_seconds);
    if item.handling_seconds > item.logged_in_seconds {
        parser.violation(
            "handling_seconds",
            "handling_seconds must not exceed logged_in_seconds",
        );
    }

    finish(before, parser, || {
        let (starts_at, ends_at) = span?;
        Some(NewAgentTime {
            meta,
            agent_id,
            starts_at,
            ends_at,
            scheduled_seconds,
            logged_in_seconds,
            handling_seconds,
        })
    })
}

/// The first instants of the local day `day` (written `YYYY-MM-DD`) and of
/// the next one, in `zone`.
fn whole_local_day(day: &str, zone: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let (day, next) = (LocalDay::of_date(date), LocalDay::of_date(date.succ_opt()?));
    Some((day.start(zone).ok()?, next.start(zone).ok()?))
}
