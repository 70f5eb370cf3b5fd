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
    prelude::*,
    test_runner::{Config, TestRunner},
};

use super::{
    hostile::{
        hostile_agent_time, hostile_compliance_check, hostile_interaction, hostile_qa_evaluation,
        hostile_survey_response, hostile_training_assignment, hostile_violation,
    },
    rejected_only_by_field_violations,
    valid::{
        valid_agent_time, valid_compliance_check, valid_interaction, valid_qa_evaluation,
        valid_survey_response, valid_training_assignment, valid_violation,
    },
};
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
