//! Ingest items as a careful sender writes them, now and then with one
//! rule broken on purpose (a score off its scale, a rating off 1-5, a QA
//! score above its maximum), so those checks run as often as the accept
//! path.

use proptest::{collection::vec, option, prelude::*};

use crate::grpc::pb;

/// Ids as a careful sender writes them.
fn id() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,11}"
}

fn revision() -> impl Strategy<Value = Option<i64>> {
    option::of(0i64..1_000)
}

/// A past instant (late 2023 to autumn 2026), in whole seconds.
fn past_seconds() -> impl Strategy<Value = i64> {
    1_700_000_000i64..1_790_000_000
}

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

pub(super) fn valid_key() -> impl Strategy<Value = pb::RecordKey> {
    (id(), id()).prop_map(|(source, external_id)| pb::RecordKey {
        source,
        external_id,
    })
}

pub(super) fn valid_interaction() -> impl Strategy<Value = pb::Interaction> {
    (
        (id(), id(), revision(), any::<bool>(), id()),
        prop_oneof![Just(String::new()), id()],
        1i32..=6,
        past_seconds(),
        (
            option::of(0i64..600),
            600i64..7_200,
            option::of(0i64..7_200),
        ),
        (0i64..3_600, 0i64..3_600, 0i64..3_600),
        any::<[bool; 6]>(),
    )
        .prop_map(
            |(
                (source, external_id, revision, voided, agent_id),
                team_id,
                channel,
                queued,
                (first_response, length, sla),
                (talk_seconds, hold_seconds, after_contact_work_seconds),
                flags,
            )| {
                let resolved = flags[0];
                pb::Interaction {
                    source,
                    external_id,
                    revision,
                    voided,
                    agent_id,
                    team_id,
                    channel,
                    queued_at: at(queued),
                    first_response_at: first_response.and_then(|offset| at(queued + offset)),
                    ended_at: at(queued + length),
                    resolved_at: if resolved { at(queued + length) } else { None },
                    sla_due_at: sla.and_then(|offset| at(queued + offset)),
                    talk_seconds,
                    hold_seconds,
                    after_contact_work_seconds,
                    resolved,
                    first_contact_resolved: resolved && flags[1],
                    escalated: flags[2],
                    transferred: flags[3],
                    agent_error: flags[4],
                    complaint: flags[5],
                }
            },
        )
}

/// A survey kind and a score: on the kind's scale, or now and then just
/// off it (the score-scale check).
fn kind_and_score() -> impl Strategy<Value = (i32, i32)> {
    (1i32..=3).prop_flat_map(|kind| {
        let (low, high) = match kind {
            1 => (1, 5),
            2 => (0, 10),
            _ => (1, 7),
        };
        let score = prop_oneof![
            19 => low..=high,
            1 => prop_oneof![low - 3..low, high + 1..high + 4],
        ];
        (Just(kind), score)
    })
}

pub(super) fn valid_survey_response() -> impl Strategy<Value = pb::SurveyResponse> {
    (
        (id(), id(), revision(), any::<bool>()),
        prop_oneof![
            (valid_key(), prop_oneof![Just(String::new()), id()])
                .prop_map(|(key, agent_id)| (Some(key), agent_id)),
            id().prop_map(|agent_id| (None, agent_id)),
        ],
        kind_and_score(),
        past_seconds(),
    )
        .prop_map(
            |(
                (source, external_id, revision, voided),
                (interaction, agent_id),
                (kind, score),
                responded,
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
                    responded_at: at(responded),
                }
            },
        )
}

pub(super) fn valid_qa_evaluation() -> impl Strategy<Value = pb::QaEvaluation> {
    let rating = prop_oneof![19 => 1i32..=5, 1 => prop_oneof![-2i32..=0, 6i32..=9]];
    (
        (id(), id(), revision(), any::<bool>(), id()),
        option::of(valid_key()),
        past_seconds(),
        (
            1.0f64..100.0,
            prop_oneof![19 => 0.0f64..=1.0, 1 => 1.01f64..2.0],
        ),
        vec(rating, 0..4),
    )
        .prop_map(
            |(
                (source, external_id, revision, voided, agent_id),
                interaction,
                evaluated,
                (max_score, share),
                ratings,
            )| pb::QaEvaluation {
                source,
                external_id,
                revision,
                voided,
                agent_id,
                interaction,
                evaluated_at: at(evaluated),
                score: max_score * share,
                max_score,
                criterion_ratings: ratings
                    .into_iter()
                    .enumerate()
                    .map(|(index, rating)| pb::CriterionRating {
                        criterion: format!("criterion-{index}"),
                        rating,
                    })
                    .collect(),
            },
        )
}

pub(super) fn valid_compliance_check() -> impl Strategy<Value = pb::ComplianceCheck> {
    (
        (id(), id(), revision(), any::<bool>(), id()),
        1i32..=2,
        any::<bool>(),
        past_seconds(),
    )
        .prop_map(
            |((source, external_id, revision, voided, agent_id), kind, passed, checked)| {
                pb::ComplianceCheck {
                    source,
                    external_id,
                    revision,
                    voided,
                    agent_id,
                    kind,
                    passed,
                    checked_at: at(checked),
                }
            },
        )
}

pub(super) fn valid_violation() -> impl Strategy<Value = pb::Violation> {
    (
        (id(), id(), revision(), any::<bool>(), id()),
        1i32..=5,
        past_seconds(),
    )
        .prop_map(
            |((source, external_id, revision, voided, agent_id), kind, occurred)| pb::Violation {
                source,
                external_id,
                revision,
                voided,
                agent_id,
                kind,
                occurred_at: at(occurred),
            },
        )
}

pub(super) fn valid_training_assignment() -> impl Strategy<Value = pb::TrainingAssignment> {
    (
        (id(), id(), revision(), any::<bool>(), id()),
        id(),
        past_seconds(),
        option::of(past_seconds()),
    )
        .prop_map(
            |((source, external_id, revision, voided, agent_id), course_id, due, completed)| {
                pb::TrainingAssignment {
                    source,
                    external_id,
                    revision,
                    voided,
                    agent_id,
                    course_id,
                    due_at: at(due),
                    completed_at: completed.and_then(at),
                }
            },
        )
}

pub(super) fn valid_agent_time() -> impl Strategy<Value = pb::AgentTime> {
    (
        (id(), id(), revision(), any::<bool>(), id()),
        prop_oneof![
            (1u32..=28).prop_map(|day| (format!("2026-09-{day:02}"), None)),
            past_seconds().prop_map(|start| (String::new(), Some(start))),
        ],
        (0i64..=28_800, 0i64..=28_800, 0.0f64..=1.0),
    )
        .prop_map(
            |(
                (source, external_id, revision, voided, agent_id),
                (day, start),
                (scheduled, logged, share),
            )| {
                pb::AgentTime {
                    source,
                    external_id,
                    revision,
                    voided,
                    agent_id,
                    day,
                    interval_start: start.and_then(at),
                    interval_end: start.and_then(|start| at(start + 28_800)),
                    scheduled_seconds: scheduled,
                    logged_in_seconds: logged,
                    handling_seconds: (logged as f64 * share) as i64,
                }
            },
        )
}
