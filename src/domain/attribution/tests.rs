//! The catalogue's attribution conventions, one behaviour per test, with
//! the expected places worked out by hand.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::{Europe::Berlin, Tz, UTC};

use super::*;
use crate::domain::{
    directory::Span,
    records::{
        Channel, ComplianceKind, CriterionRating, NewAgentTime, NewComplianceCheck, NewInteraction,
        NewQaEvaluation, NewSurveyResponse, NewTrainingAssignment, RecordMeta, SurveyKind,
        SurveySubject,
    },
};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn day(date: &str) -> LocalDay {
    LocalDay::of_date(NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap())
}

fn key(external_id: &str) -> RecordKey {
    RecordKey {
        source: "pbx".into(),
        external_id: external_id.into(),
    }
}

fn meta(external_id: &str, voided: bool) -> RecordMeta {
    RecordMeta {
        key: key(external_id),
        revision: None,
        voided,
    }
}

fn call(agent_id: &str, ended_at: &str) -> NewInteraction {
    let ended_at = at(ended_at);
    NewInteraction {
        meta: meta("call-1", false),
        agent_id: agent_id.into(),
        team_id: None,
        channel: Channel::Phone,
        queued_at: ended_at - chrono::Duration::minutes(10),
        first_response_at: None,
        ended_at,
        resolved_at: None,
        sla_due_at: None,
        talk_seconds: 300,
        hold_seconds: 0,
        after_contact_work_seconds: 0,
        resolved: false,
        first_contact_resolved: false,
        escalated: false,
        transferred: false,
        agent_error: false,
        complaint: false,
    }
}

fn csat(subject: SurveySubject, responded_at: &str) -> NewSurveyResponse {
    NewSurveyResponse {
        meta: meta("survey-1", false),
        subject,
        kind: SurveyKind::Csat,
        score: 5,
        responded_at: at(responded_at),
    }
}

fn qa(agent_id: &str, interaction: Option<RecordKey>, evaluated_at: &str) -> NewQaEvaluation {
    NewQaEvaluation {
        meta: meta("qa-1", false),
        agent_id: agent_id.into(),
        interaction,
        evaluated_at: at(evaluated_at),
        score: 8.0,
        max_score: 10.0,
        criterion_ratings: vec![CriterionRating {
            criterion: "greeting".into(),
            rating: 4,
        }],
    }
}

fn place(agent_id: &str, team_id: &str, ended_at: &str, voided: bool) -> InteractionPlace {
    InteractionPlace {
        agent_id: agent_id.into(),
        team_id: Some(team_id.into()),
        ended_at: at(ended_at),
        voided,
    }
}

fn attributed(agent_id: &str, team_id: Option<&str>, date: &str) -> Option<Attribution> {
    Some(Attribution {
        agent_id: agent_id.into(),
        team_id: team_id.map(str::to_owned),
        day: day(date),
    })
}

fn counted(
    record: &impl Record,
    team: Option<&str>,
    links: &InteractionPlaces,
    zone: Tz,
) -> Option<Attribution> {
    record
        .contribution(team.map(str::to_owned))?
        .attribution(links, zone)
}

#[test]
fn an_interaction_counts_on_its_agent_team_and_the_local_day_it_ended() {
    let late_evening = call("ana", "2026-11-30T23:30:00Z");
    let none = InteractionPlaces::new();
    assert_eq!(
        counted(&late_evening, Some("red"), &none, UTC),
        attributed("ana", Some("red"), "2026-11-30")
    );
    // Already 1 December in Berlin: it belongs to December there.
    assert_eq!(
        counted(&late_evening, Some("red"), &none, Berlin),
        attributed("ana", Some("red"), "2026-12-01")
    );
}

#[test]
fn a_linked_survey_response_counts_where_its_interaction_counts_however_late() {
    let response = csat(
        SurveySubject::Interaction {
            interaction: key("call-1"),
            agent_id: Some("someone-else".into()),
        },
        "2027-01-15T09:00:00Z",
    );
    let links = HashMap::from([(
        key("call-1"),
        place("ana", "red", "2026-11-30T12:00:00Z", false),
    )]);
    assert_eq!(
        counted(&response, None, &links, UTC),
        attributed("ana", Some("red"), "2026-11-30")
    );
}

#[test]
fn a_linked_survey_response_counts_nowhere_while_its_interaction_is_missing_or_void() {
    let response = csat(
        SurveySubject::Interaction {
            interaction: key("call-1"),
            agent_id: None,
        },
        "2026-11-30T13:00:00Z",
    );
    assert_eq!(
        counted(&response, None, &InteractionPlaces::new(), UTC),
        None
    );
    let void = HashMap::from([(
        key("call-1"),
        place("ana", "red", "2026-11-30T12:00:00Z", true),
    )]);
    assert_eq!(counted(&response, None, &void, UTC), None);
}

#[test]
fn an_unlinked_survey_response_counts_on_its_agent_and_the_day_it_was_answered() {
    let response = csat(SurveySubject::Agent("ana".into()), "2026-11-02T08:00:00Z");
    assert_eq!(
        counted(&response, Some("blue"), &InteractionPlaces::new(), UTC),
        attributed("ana", Some("blue"), "2026-11-02")
    );
}

#[test]
fn a_linked_qa_evaluation_counts_on_its_own_agent_and_day_while_its_interaction_counts() {
    let evaluation = qa("bob", Some(key("call-1")), "2026-12-03T10:00:00Z");
    let links = HashMap::from([(
        key("call-1"),
        place("ana", "red", "2026-11-30T12:00:00Z", false),
    )]);
    assert_eq!(
        counted(&evaluation, Some("blue"), &links, UTC),
        attributed("bob", Some("blue"), "2026-12-03")
    );
    assert_eq!(
        counted(&evaluation, Some("blue"), &InteractionPlaces::new(), UTC),
        None
    );
    let void = HashMap::from([(
        key("call-1"),
        place("ana", "red", "2026-11-30T12:00:00Z", true),
    )]);
    assert_eq!(counted(&evaluation, Some("blue"), &void, UTC), None);
}

#[test]
fn an_unlinked_qa_evaluation_counts_on_its_own_agent_and_day() {
    let evaluation = qa("bob", None, "2026-12-03T10:00:00Z");
    assert_eq!(
        counted(&evaluation, None, &InteractionPlaces::new(), UTC),
        attributed("bob", None, "2026-12-03")
    );
}

#[test]
fn other_records_count_on_their_own_timestamp() {
    let none = InteractionPlaces::new();
    let check = NewComplianceCheck {
        meta: meta("check-1", false),
        agent_id: "ana".into(),
        kind: ComplianceKind::Privacy,
        passed: true,
        checked_at: at("2026-11-05T07:00:00Z"),
    };
    assert_eq!(
        counted(&check, None, &none, UTC),
        attributed("ana", None, "2026-11-05")
    );
    let training = NewTrainingAssignment {
        meta: meta("course-1", false),
        agent_id: "ana".into(),
        course_id: "gdpr".into(),
        due_at: at("2026-11-20T17:00:00Z"),
        completed_at: Some(at("2026-11-01T17:00:00Z")),
    };
    assert_eq!(
        counted(&training, None, &none, UTC),
        attributed("ana", None, "2026-11-20")
    );
    let time = NewAgentTime {
        meta: meta("shift-1", false),
        agent_id: "ana".into(),
        starts_at: at("2026-11-06T23:00:00Z"),
        ends_at: at("2026-11-07T07:00:00Z"),
        scheduled_seconds: 28_800,
        logged_in_seconds: 28_000,
        handling_seconds: 20_000,
    };
    // Starts on the 7th in Berlin (00:00 local), the 6th in UTC.
    assert_eq!(
        counted(&time, None, &none, Berlin),
        attributed("ana", None, "2026-11-07")
    );
    assert_eq!(
        counted(&time, None, &none, UTC),
        attributed("ana", None, "2026-11-06")
    );
}

#[test]
fn a_void_record_counts_nowhere() {
    let mut voided = call("ana", "2026-11-30T12:00:00Z");
    voided.meta.voided = true;
    assert_eq!(voided.contribution(Some("red".into())), None);
}

#[test]
fn what_a_record_adds_is_its_own_facts() {
    let contribution = qa("bob", None, "2026-12-03T10:00:00Z")
        .contribution(None)
        .unwrap();
    assert_eq!(contribution.sums.qa_evaluations, 1);
    assert_eq!(contribution.sums.qa_score, 8.0);
    assert_eq!(contribution.sums.criterion_rating_total, 4);
    let contribution = call("ana", "2026-11-30T12:00:00Z")
        .contribution(None)
        .unwrap();
    assert_eq!(
        (contribution.sums.contacts, contribution.sums.handle_seconds),
        (1, 300)
    );
}

fn history(spans: &[(&str, &str, Option<&str>)]) -> HashMap<String, MembershipHistory> {
    let spans = spans
        .iter()
        .map(|(team, from, to)| Span {
            team_id: (*team).into(),
            from_day: day(from),
            to_day: to.map(day),
        })
        .collect();
    HashMap::from([("ana".to_owned(), MembershipHistory { spans })])
}

#[test]
fn the_team_named_by_the_sender_wins() {
    let memberships = history(&[("red", "2026-01-01", None)]);
    let team = team_at_ingest(
        Some("blue"),
        Some("ana"),
        at("2026-11-30T12:00:00Z"),
        &memberships,
        UTC,
    );
    assert_eq!(team.as_deref(), Some("blue"));
}

#[test]
fn otherwise_the_team_is_the_membership_on_the_records_local_day() {
    // Moved from red to blue on 1 December.
    let memberships = history(&[
        ("red", "2026-01-01", Some("2026-12-01")),
        ("blue", "2026-12-01", None),
    ]);
    let instant = at("2026-11-30T23:30:00Z");
    assert_eq!(
        team_at_ingest(None, Some("ana"), instant, &memberships, UTC).as_deref(),
        Some("red")
    );
    assert_eq!(
        team_at_ingest(None, Some("ana"), instant, &memberships, Berlin).as_deref(),
        Some("blue")
    );
}

#[test]
fn no_membership_or_no_agent_means_no_team() {
    let memberships = history(&[("red", "2026-12-01", None)]);
    let before_joining = at("2026-11-30T12:00:00Z");
    assert_eq!(
        team_at_ingest(None, Some("ana"), before_joining, &memberships, UTC),
        None
    );
    assert_eq!(
        team_at_ingest(None, Some("bob"), before_joining, &memberships, UTC),
        None
    );
    // A linked survey response names no agent: its interaction's team counts.
    assert_eq!(
        team_at_ingest(None, None, before_joining, &memberships, UTC),
        None
    );
}
