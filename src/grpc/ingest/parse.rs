//! Parsing ingest requests into validated domain records ("parse, don't
//! validate"). Every rule a source system can break becomes a field
//! violation with its full path; the batch is rejected whole if any exists.

use crate::error::ServiceError;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::{
    domain::{
        period::start_of_day,
        records::{
            Channel, ComplianceKind, CriterionRating, NewAgentTime, NewComplianceCheck,
            NewInteraction, NewQaEvaluation, NewSurveyResponse, NewTrainingAssignment,
            NewViolation, RecordKey, RecordMeta, SurveyKind, SurveySubject, ViolationKind,
        },
        violations::{indexed, nested, FieldViolation, Violations},
    },
    grpc::{
        fields::{FieldParser, MAX_ID_LEN, MAX_SOURCE_LEN},
        pb,
    },
};

/// Longest duration field of an interaction (talk, hold, wrap-up): one day.
pub const MAX_DURATION_SECONDS: i64 = 86_400;
/// Longest span of one interaction or agent-time interval.
pub const MAX_SPAN_DAYS: i64 = 31;
/// Most criterion ratings in one QA evaluation.
pub const MAX_CRITERION_RATINGS: usize = 50;
/// Largest QA `max_score`.
pub const MAX_QA_SCORE: f64 = 1_000_000.0;
/// How far ahead a training assignment may be due.
pub const MAX_DUE_AHEAD_DAYS: i64 = 3_660;

/// What the parsers need besides the request.
#[derive(Debug, Clone)]
pub struct IngestLimits {
    pub max_batch_size: usize,
    /// Most agents one batch may add to the directory on first sight.
    pub max_new_agents_per_batch: usize,
    pub future_tolerance: Duration,
    pub time_zone: Tz,
}

/// Parses a whole batch: every item, then the uniqueness of keys. Returns
/// the records, or INVALID_ARGUMENT listing every violation.
pub fn parse_batch<P, R>(
    items: Vec<P>,
    field: &str,
    limits: &IngestLimits,
    parse_item: impl Fn(P, &mut FieldParser<'_>, &ItemContext) -> Option<R>,
    key_of: impl Fn(&R) -> &RecordKey,
) -> Result<Vec<R>, ServiceError> {
    if items.len() > limits.max_batch_size {
        return Err(ServiceError::InvalidArgument {
            reason: "BATCH_TOO_LARGE",
            violations: vec![FieldViolation {
                field: field.to_owned(),
                description: format!(
                    "the batch has {} items; at most {} are allowed per call, split it",
                    items.len(),
                    limits.max_batch_size
                ),
            }],
        });
    }
    if items.is_empty() {
        return Err(ServiceError::invalid_field(field, "the batch is empty"));
    }
    let context = ItemContext {
        latest_accepted: Utc::now() + limits.future_tolerance,
        time_zone: limits.time_zone,
    };
    let mut violations = Violations::new();
    let mut records = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let mut parser = FieldParser::new(indexed(field, index), &mut violations);
        records.push(parse_item(item, &mut parser, &context));
    }
    let mut first_index_of_key: HashMap<&RecordKey, usize> = HashMap::new();
    for (index, record) in records.iter().enumerate() {
        let Some(record) = record else { continue };
        if let Some(first) = first_index_of_key.insert(key_of(record), index) {
            violations.add(
                nested(&indexed(field, index), "external_id"),
                format!(
                    "the key (source, external_id) repeats {}; send each record once per batch",
                    indexed(field, first)
                ),
            );
        }
    }
    if !violations.is_empty() {
        return Err(ServiceError::invalid_fields(violations.into_vec()));
    }
    Ok(records.into_iter().flatten().collect())
}

/// Facts shared by every item of a batch.
pub struct ItemContext {
    /// Now plus the clock-skew tolerance: no record may describe a later event.
    pub latest_accepted: DateTime<Utc>,
    pub time_zone: Tz,
}

fn meta(
    parser: &mut FieldParser<'_>,
    source: &str,
    external_id: &str,
    revision: Option<i64>,
    voided: bool,
) -> RecordMeta {
    RecordMeta {
        key: RecordKey {
            source: parser.required_id("source", source, MAX_SOURCE_LEN),
            external_id: parser.required_id("external_id", external_id, MAX_ID_LEN),
        },
        revision: parser.revision(revision),
        voided,
    }
}

fn record_key(parser: &mut FieldParser<'_>, field: &str, key: &pb::RecordKey) -> RecordKey {
    RecordKey {
        source: parser.required_id(&nested(field, "source"), &key.source, MAX_SOURCE_LEN),
        external_id: parser.required_id(
            &nested(field, "external_id"),
            &key.external_id,
            MAX_ID_LEN,
        ),
    }
}

/// Returns `Some(value)` only if parsing this item recorded no violation.
fn finish<R>(
    before: usize,
    parser: &FieldParser<'_>,
    build: impl FnOnce() -> Option<R>,
) -> Option<R> {
    if parser.violation_count() > before {
        None
    } else {
        build()
    }
}

pub fn interaction(
    item: pb::Interaction,
    parser: &mut FieldParser<'_>,
    context: &ItemContext,
) -> Option<NewInteraction> {
    let before = parser.violation_count();
    let meta = meta(
        parser,
        &item.source,
        &item.external_id,
        item.revision,
        item.voided,
    );
    let agent_id = parser.required_id("agent_id", &item.agent_id, MAX_ID_LEN);
    let team_id = parser.optional_id("team_id", &item.team_id, MAX_ID_LEN);
    let channel = match pb::Channel::try_from(item.channel) {
        Ok(pb::Channel::Phone) => Some(Channel::Phone),
        Ok(pb::Channel::Chat) => Some(Channel::Chat),
        Ok(pb::Channel::Email) => Some(Channel::Email),
        Ok(pb::Channel::Social) => Some(Channel::Social),
        Ok(pb::Channel::Messaging) => Some(Channel::Messaging),
        Ok(pb::Channel::Other) => Some(Channel::Other),
        Ok(pb::Channel::Unspecified) | Err(_) => {
            parser.violation(
                "channel",
                "channel is required (CHANNEL_PHONE, CHANNEL_CHAT, ...)",
            );
            None
        }
    };
    let queued_at = parser.required_instant("queued_at", item.queued_at.as_ref());
    let first_response_at =
        parser.optional_instant("first_response_at", item.first_response_at.as_ref());
    let ended_at = parser.required_instant("ended_at", item.ended_at.as_ref());
    let resolved_at = parser.optional_instant("resolved_at", item.resolved_at.as_ref());
    let sla_due_at = parser.optional_instant("sla_due_at", item.sla_due_at.as_ref());

    for (field, instant) in [
        ("queued_at", queued_at),
        ("first_response_at", first_response_at),
        ("ended_at", ended_at),
        ("resolved_at", resolved_at),
    ] {
        parser.not_in_future(field, instant, context.latest_accepted);
    }
    parser.ordered(
        "first_response_at",
        queued_at,
        first_response_at,
        "queued_at",
    );
    parser.ordered("ended_at", first_response_at, ended_at, "first_response_at");
    parser.ordered("ended_at", queued_at, ended_at, "queued_at");
    parser.ordered("resolved_at", queued_at, resolved_at, "queued_at");
    parser.ordered("sla_due_at", queued_at, sla_due_at, "queued_at");
    let longest = Duration::days(MAX_SPAN_DAYS);
    if let (Some(queued), Some(ended)) = (queued_at, ended_at) {
        if ended - queued > longest {
            parser.violation(
                "ended_at",
                format!("an interaction may last at most {MAX_SPAN_DAYS} days from queued_at"),
            );
        }
    }
    if let (Some(queued), Some(due)) = (queued_at, sla_due_at) {
        if due - queued > longest {
            parser.violation(
                "sla_due_at",
                format!("sla_due_at may be at most {MAX_SPAN_DAYS} days after queued_at"),
            );
        }
    }
    let talk_seconds = parser.seconds("talk_seconds", item.talk_seconds, MAX_DURATION_SECONDS);
    let hold_seconds = parser.seconds("hold_seconds", item.hold_seconds, MAX_DURATION_SECONDS);
    let after_contact_work_seconds = parser.seconds(
        "after_contact_work_seconds",
        item.after_contact_work_seconds,
        MAX_DURATION_SECONDS,
    );
    if item.first_contact_resolved && !item.resolved {
        parser.violation(
            "first_contact_resolved",
            "first_contact_resolved requires resolved = true",
        );
    }
    if resolved_at.is_some() && !item.resolved {
        parser.violation("resolved_at", "resolved_at is set but resolved is false");
    }

    finish(before, parser, || {
        Some(NewInteraction {
            meta,
            agent_id,
            team_id,
            channel: channel?,
            queued_at: queued_at?,
            first_response_at,
            ended_at: ended_at?,
            resolved_at,
            sla_due_at,
            talk_seconds,
            hold_seconds,
            after_contact_work_seconds,
            resolved: item.resolved,
            first_contact_resolved: item.first_contact_resolved,
            escalated: item.escalated,
            transferred: item.transferred,
            agent_error: item.agent_error,
            complaint: item.complaint,
        })
    })
}

pub fn survey_response(
    item: pb::SurveyResponse,
    parser: &mut FieldParser<'_>,
    context: &ItemContext,
) -> Option<NewSurveyResponse> {
    let before = parser.violation_count();
    let meta = meta(
        parser,
        &item.source,
        &item.external_id,
        item.revision,
        item.voided,
    );
    let agent_id = parser.optional_id("agent_id", &item.agent_id, MAX_ID_LEN);
    let subject = match (&item.interaction, agent_id) {
        (Some(key), agent_id) => Some(SurveySubject::Interaction {
            interaction: record_key(parser, "interaction", key),
            agent_id,
        }),
        (None, Some(agent_id)) => Some(SurveySubject::Agent(agent_id)),
        (None, None) => {
            parser.violation(
                "interaction",
                "a survey response names its interaction or, if unlinked, its agent_id",
            );
            None
        }
    };
    let kind = match pb::SurveyKind::try_from(item.kind) {
        Ok(pb::SurveyKind::Csat) => Some(SurveyKind::Csat),
        Ok(pb::SurveyKind::Nps) => Some(SurveyKind::Nps),
        Ok(pb::SurveyKind::Ces) => Some(SurveyKind::Ces),
        Ok(pb::SurveyKind::Unspecified) | Err(_) => {
            parser.violation("kind", "kind is required (SURVEY_KIND_CSAT, _NPS or _CES)");
            None
        }
    };
    if let Some(kind) = kind {
        let (low, high) = kind.scale();
        if !(low..=high).contains(&item.score) {
            parser.violation(
                "score",
                format!(
                    "a {} score must be between {low} and {high}",
                    kind.as_str().to_uppercase()
                ),
            );
        }
    }
    let responded_at = parser.required_instant("responded_at", item.responded_at.as_ref());
    parser.not_in_future("responded_at", responded_at, context.latest_accepted);

    finish(before, parser, || {
        Some(NewSurveyResponse {
            meta,
            subject: subject?,
            kind: kind?,
            score: item.score,
            responded_at: responded_at?,
        })
    })
}

pub fn qa_evaluation(
    item: pb::QaEvaluation,
    parser: &mut FieldParser<'_>,
    context: &ItemContext,
) -> Option<NewQaEvaluation> {
    let before = parser.violation_count();
    let meta = meta(
        parser,
        &item.source,
        &item.external_id,
        item.revision,
        item.voided,
    );
    let agent_id = parser.required_id("agent_id", &item.agent_id, MAX_ID_LEN);
    let interaction = item
        .interaction
        .as_ref()
        .map(|key| record_key(parser, "interaction", key));
    let evaluated_at = parser.required_instant("evaluated_at", item.evaluated_at.as_ref());
    parser.not_in_future("evaluated_at", evaluated_at, context.latest_accepted);
    if !(item.max_score.is_finite() && item.max_score > 0.0 && item.max_score <= MAX_QA_SCORE) {
        parser.violation(
            "max_score",
            format!("max_score must be > 0 and at most {MAX_QA_SCORE}"),
        );
    }
    if !(item.score.is_finite() && item.score >= 0.0) {
        parser.violation("score", "score must be a number >= 0");
    } else if item.score > item.max_score {
        parser.violation("score", "score must not exceed max_score");
    }
    if item.criterion_ratings.len() > MAX_CRITERION_RATINGS {
        parser.violation(
            "criterion_ratings",
            format!("at most {MAX_CRITERION_RATINGS} criterion ratings are allowed"),
        );
    }
    let mut seen = BTreeSet::new();
    let mut criterion_ratings = Vec::with_capacity(item.criterion_ratings.len());
    for (index, rating) in item.criterion_ratings.iter().enumerate() {
        let path = indexed("criterion_ratings", index);
        let criterion = parser.required_id(&nested(&path, "criterion"), &rating.criterion, 64);
        if !criterion.is_empty() && !seen.insert(criterion.clone()) {
            parser.violation(
                &nested(&path, "criterion"),
                format!("criterion {criterion:?} is rated twice"),
            );
        }
        if !(1..=5).contains(&rating.rating) {
            parser.violation(
                &nested(&path, "rating"),
                "a criterion rating must be between 1 and 5",
            );
        }
        criterion_ratings.push(CriterionRating {
            criterion,
            rating: rating.rating,
        });
    }

    finish(before, parser, || {
        Some(NewQaEvaluation {
            meta,
            agent_id,
            interaction,
            evaluated_at: evaluated_at?,
            score: item.score,
            max_score: item.max_score,
            criterion_ratings,
        })
    })
}

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
        (false, false) => match local_day(&item.day, context.time_zone) {
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

/// The instants of local midnight starting `day` and the next one, in `zone`.
fn local_day(day: &str, zone: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let start = start_of_day(date, zone).ok()?;
    let end = start_of_day(date.succ_opt()?, zone).ok()?;
    Some((start, end))
}
