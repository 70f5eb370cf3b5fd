//! Ingest items with any value in every field: what a hostile or careless
//! client sends. They rarely parse; the property is that they are refused
//! field by field, never with a panic.

use proptest::{collection::vec, option, prelude::*};

use super::{date_text, number, text, timestamp};
use crate::grpc::pb;

/// The identity fields every record kind shares.
fn identity() -> impl Strategy<Value = (String, String, Option<i64>, bool, String)> {
    (
        text(),
        text(),
        option::of(prop_oneof![any::<i64>(), Just(i64::MAX), 0i64..10]),
        any::<bool>(),
        text(),
    )
}

pub(super) fn hostile_interaction() -> impl Strategy<Value = pb::Interaction> {
    (
        identity(),
        text(),
        any::<i32>(),
        (
            timestamp(),
            timestamp(),
            timestamp(),
            timestamp(),
            timestamp(),
        ),
        (any::<i64>(), 0i64..100_000, any::<i64>()),
        any::<[bool; 6]>(),
    )
        .prop_map(
            |(
                (source, external_id, revision, voided, agent_id),
                team_id,
                channel,
                (queued_at, first_response_at, ended_at, resolved_at, sla_due_at),
                (talk_seconds, hold_seconds, after_contact_work_seconds),
                flags,
            )| pb::Interaction {
                source,
                external_id,
                revision,
                voided,
                agent_id,
                team_id,
                channel,
                queued_at,
                first_response_at,
                ended_at,
                resolved_at,
                sla_due_at,
                talk_seconds,
                hold_seconds,
                after_contact_work_seconds,
                resolved: flags[0],
                first_contact_resolved: flags[1],
                escalated: flags[2],
                transferred: flags[3],
                agent_error: flags[4],
                complaint: flags[5],
            },
        )
}

fn record_key() -> impl Strategy<Value = Option<pb::RecordKey>> {
    option::of(
        (text(), text()).prop_map(|(source, external_id)| pb::RecordKey {
            source,
            external_id,
        }),
    )
}

pub(super) fn hostile_survey_response() -> impl Strategy<Value = pb::SurveyResponse> {
    (
        identity(),
        record_key(),
        any::<i32>(),
        any::<i32>(),
        timestamp(),
    )
        .prop_map(
            |(
                (source, external_id, revision, voided, agent_id),
                interaction,
                kind,
                score,
                responded_at,
            )| {
                pb::SurveyResponse {
                    source,
                    external_id,
                    revision,
                    voided,
                    interaction,
                    agent_id,
                    kind,
                    score,
                    responded_at,
                }
            },
        )
}

pub(super) fn hostile_qa_evaluation() -> impl Strategy<Value = pb::QaEvaluation> {
    let rating = (text(), any::<i32>())
        .prop_map(|(criterion, rating)| pb::CriterionRating { criterion, rating });
    (
        identity(),
        record_key(),
        timestamp(),
        number(),
        number(),
        vec(rating, 0..4),
    )
        .prop_map(
            |(
                (source, external_id, revision, voided, agent_id),
                interaction,
                evaluated_at,
                score,
                max_score,
                criterion_ratings,
            )| pb::QaEvaluation {
                source,
                external_id,
                revision,
                voided,
                agent_id,
                interaction,
                evaluated_at,
                score,
                max_score,
                criterion_ratings,
            },
        )
}

pub(super) fn hostile_compliance_check() -> impl Strategy<Value = pb::ComplianceCheck> {
    (identity(), any::<i32>(), any::<bool>(), timestamp()).prop_map(
        |((source, external_id, revision, voided, agent_id), kind, passed, checked_at)| {
            pb::ComplianceCheck {
                source,
                external_id,
                revision,
                voided,
                agent_id,
                kind,
                passed,
                checked_at,
            }
        },
    )
}

pub(super) fn hostile_violation() -> impl Strategy<Value = pb::Violation> {
    (identity(), any::<i32>(), timestamp()).prop_map(
        |((source, external_id, revision, voided, agent_id), kind, occurred_at)| pb::Violation {
            source,
            external_id,
            revision,
            voided,
            agent_id,
            kind,
            occurred_at,
        },
    )
}

pub(super) fn hostile_training_assignment() -> impl Strategy<Value = pb::TrainingAssignment> {
    (identity(), text(), timestamp(), timestamp()).prop_map(
        |((source, external_id, revision, voided, agent_id), course_id, due_at, completed_at)| {
            pb::TrainingAssignment {
                source,
                external_id,
                revision,
                voided,
                agent_id,
                course_id,
                due_at,
                completed_at,
            }
        },
    )
}

pub(super) fn hostile_agent_time() -> impl Strategy<Value = pb::AgentTime> {
    (
        identity(),
        prop_oneof![Just(String::new()), date_text()],
        timestamp(),
        timestamp(),
        (any::<i64>(), 0i64..90_000, any::<i64>()),
    )
        .prop_map(
            |(
                (source, external_id, revision, voided, agent_id),
                day,
                interval_start,
                interval_end,
                (scheduled_seconds, logged_in_seconds, handling_seconds),
            )| pb::AgentTime {
                source,
                external_id,
                revision,
                voided,
                agent_id,
                day,
                interval_start,
                interval_end,
                scheduled_seconds,
                logged_in_seconds,
                handling_seconds,
            },
        )
}
