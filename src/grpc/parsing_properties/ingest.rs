//! Ingest batches through their parsers: none may panic, every rejection
//! is field violations only, and, since the items are drawn mostly valid
//! (with one field at a time spoiled now and then), most batches are
//! accepted, so the accept path, the duplicate-key check and the
//! score-scale checks run. Each property counts its accepted cases and
//! the rejections it meant to provoke, and asserts a floor.
//!
//! The hostile generators (any value of every field) stay as one arm of
//! each item: the no-panic property still covers them.

use std::cell::RefCell;

use chrono::Duration;
use proptest::{
    collection::vec,
    option,
    prelude::*,
    test_runner::{Config, TestRunner},
};

use super::{date_text, number, rejected_only_by_field_violations, text, timestamp};
use crate::{
    domain::attribution::Record,
    error::ServiceError,
    grpc::{
        fields::FieldParser,
        ingest::parsers::{self as parse, parse_batch, IngestLimits, ItemContext},
        pb,
    },
};

/// Cases per property.
const CASES: u32 = 512;

fn limits() -> IngestLimits {
    IngestLimits {
        max_batch_size: 3,
        future_tolerance: Duration::seconds(300),
        time_zone: chrono_tz::Europe::Berlin,
    }
}

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

fn valid_key() -> impl Strategy<Value = pb::RecordKey> {
    (id(), id()).prop_map(|(source, external_id)| pb::RecordKey {
        source,
        external_id,
    })
}

fn valid_interaction() -> impl Strategy<Value = pb::Interaction> {
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

fn valid_survey_response() -> impl Strategy<Value = pb::SurveyResponse> {
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

fn valid_qa_evaluation() -> impl Strategy<Value = pb::QaEvaluation> {
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

fn valid_compliance_check() -> impl Strategy<Value = pb::ComplianceCheck> {
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

fn valid_violation() -> impl Strategy<Value = pb::Violation> {
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

fn valid_training_assignment() -> impl Strategy<Value = pb::TrainingAssignment> {
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

fn valid_agent_time() -> impl Strategy<Value = pb::AgentTime> {
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

/// Lets a batch repeat a key.
trait Keyed {
    fn key_mut(&mut self) -> (&mut String, &mut String);
}

macro_rules! keyed {
    ($($kind:ty),*) => {
        $(impl Keyed for $kind {
            fn key_mut(&mut self) -> (&mut String, &mut String) {
                (&mut self.source, &mut self.external_id)
            }
        })*
    };
}

keyed!(
    pb::Interaction,
    pb::SurveyResponse,
    pb::QaEvaluation,
    pb::ComplianceCheck,
    pb::Violation,
    pb::TrainingAssignment,
    pb::AgentTime
);

/// Batches of mostly valid items: mostly 1-3 items (the limit is 3), now
/// and then empty or too large; now and then an item hostile in every
/// field; now and then the last item repeating the first one's key.
fn batches<P: Keyed + Clone + std::fmt::Debug + 'static>(
    valid: impl Strategy<Value = P> + 'static,
    hostile: impl Strategy<Value = P> + 'static,
) -> impl Strategy<Value = Vec<P>> {
    let item = prop_oneof![19 => valid, 1 => hostile].boxed();
    let items = prop_oneof![
        18 => vec(item.clone(), 1..=3),
        1 => Just(Vec::new()),
        1 => vec(item, 4..=5),
    ];
    (items, prop::bool::weighted(0.05)).prop_map(|(mut items, repeat_key)| {
        if repeat_key && items.len() >= 2 {
            let (source, external_id) = {
                let (source, external_id) = items[0].key_mut();
                (source.clone(), external_id.clone())
            };
            let last = items.len() - 1;
            let (last_source, last_external_id) = items[last].key_mut();
            *last_source = source;
            *last_external_id = external_id;
        }
        items
    })
}

/// What a property saw: cases, accepted batches, and every violation.
#[derive(Default)]
struct Tally {
    cases: usize,
    accepted: usize,
    violations: Vec<(String, String)>,
}

impl Tally {
    /// Asserts the floor of accepted batches, and that some violation
    /// matched each of `provoked` (a field suffix and a description part).
    fn assert_reached(&self, kind: &str, provoked: &[(&str, &str)]) {
        println!(
            "{kind}: {} of {} batches accepted",
            self.accepted, self.cases
        );
        assert!(
            self.accepted * 2 >= self.cases,
            "{kind}: only {} of {} batches were accepted",
            self.accepted,
            self.cases
        );
        for (field, description) in provoked {
            assert!(
                self.violations
                    .iter()
                    .any(|(f, d)| f.ends_with(field) && d.contains(description)),
                "{kind}: no batch was refused with {field}: {description}"
            );
        }
    }
}

/// Runs the property over `CASES` batches and tallies the outcomes.
fn run<P, R>(
    strategy: impl Strategy<Value = Vec<P>>,
    kind: &str,
    parse_item: fn(P, &mut FieldParser<'_>, &ItemContext) -> Option<R>,
) -> Tally
where
    P: std::fmt::Debug,
    R: Record,
{
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let tally = RefCell::new(Tally::default());
    TestRunner::new(config)
        .run(&strategy, |items| {
            let result = parse_batch(items, kind, &limits(), parse_item, |record: &R| {
                &record.meta().key
            });
            let mut tally = tally.borrow_mut();
            tally.cases += 1;
            match &result {
                Ok(_) => tally.accepted += 1,
                Err(ServiceError::InvalidArgument { violations, .. }) => tally.violations.extend(
                    violations
                        .iter()
                        .map(|v| (v.field.clone(), v.description.clone())),
                ),
                Err(_) => {}
            }
            rejected_only_by_field_violations(result)
        })
        .unwrap_or_else(|failure| panic!("{kind}: {failure}"));
    tally.into_inner()
}

/// The duplicate-key check's violation.
const REPEATED_KEY: (&str, &str) = ("external_id", "repeats");

#[test]
fn interactions_parse_or_are_refused_field_by_field() {
    let batches = batches(valid_interaction(), hostile_interaction());
    run(batches, "interactions", parse::interaction)
        .assert_reached("interactions", &[REPEATED_KEY, ("channel", "required")]);
}

#[test]
fn survey_responses_parse_or_are_refused_field_by_field() {
    let batches = batches(valid_survey_response(), hostile_survey_response());
    run(batches, "survey_responses", parse::survey_response).assert_reached(
        "survey_responses",
        &[REPEATED_KEY, ("score", "score must be between")],
    );
}

#[test]
fn qa_evaluations_parse_or_are_refused_field_by_field() {
    let batches = batches(valid_qa_evaluation(), hostile_qa_evaluation());
    run(batches, "qa_evaluations", parse::qa_evaluation).assert_reached(
        "qa_evaluations",
        &[
            REPEATED_KEY,
            ("score", "must not exceed max_score"),
            ("rating", "between 1 and 5"),
        ],
    );
}

#[test]
fn compliance_checks_parse_or_are_refused_field_by_field() {
    let batches = batches(valid_compliance_check(), hostile_compliance_check());
    run(batches, "compliance_checks", parse::compliance_check)
        .assert_reached("compliance_checks", &[REPEATED_KEY, ("kind", "required")]);
}

#[test]
fn violations_parse_or_are_refused_field_by_field() {
    let batches = batches(valid_violation(), hostile_violation());
    run(batches, "violations", parse::violation)
        .assert_reached("violations", &[REPEATED_KEY, ("kind", "required")]);
}

#[test]
fn training_assignments_parse_or_are_refused_field_by_field() {
    let batches = batches(valid_training_assignment(), hostile_training_assignment());
    run(batches, "training_assignments", parse::training_assignment)
        .assert_reached("training_assignments", &[REPEATED_KEY]);
}

#[test]
fn agent_time_parses_or_is_refused_field_by_field() {
    let batches = batches(valid_agent_time(), hostile_agent_time());
    run(batches, "agent_time", parse::agent_time).assert_reached("agent_time", &[REPEATED_KEY]);
}

// The hostile generators: any value of every field.

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

fn hostile_interaction() -> impl Strategy<Value = pb::Interaction> {
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

fn hostile_survey_response() -> impl Strategy<Value = pb::SurveyResponse> {
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

fn hostile_qa_evaluation() -> impl Strategy<Value = pb::QaEvaluation> {
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

fn hostile_compliance_check() -> impl Strategy<Value = pb::ComplianceCheck> {
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

fn hostile_violation() -> impl Strategy<Value = pb::Violation> {
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

fn hostile_training_assignment() -> impl Strategy<Value = pb::TrainingAssignment> {
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

fn hostile_agent_time() -> impl Strategy<Value = pb::AgentTime> {
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
