//! The record builders: one per record kind, valid as built, so that a test
//! changes only the fields it is about. Each kind has a general builder
//! (`call`, `survey_about`, `evaluation`, `check`, `violation_at`,
//! `training`, `work_day`) and a short form with fixed November 2026
//! values (`interaction`, `csat_for_interaction`, `qa_evaluation`,
//! `compliance_check`, `violation`, `training_assignment`, `agent_day`).

use kpi_service::grpc::pb;

use super::app::at;

/// The source of every interaction built here (surveys link to it).
pub const CALLS: &str = "phone-platform";

/// The criteria rated by [`evaluation`], in order.
const CRITERIA: [&str; 3] = ["attitude", "process", "effectiveness"];

pub fn key(source: &str, external_id: &str) -> pb::RecordKey {
    pb::RecordKey {
        source: source.into(),
        external_id: external_id.into(),
    }
}

/// `rfc3339` moved by `seconds`.
pub fn shifted(rfc3339: &str, seconds: i64) -> prost_types::Timestamp {
    let instant = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("bad RFC 3339 literal")
        + chrono::Duration::seconds(seconds);
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: 0,
    }
}

/// A resolved first-contact phone call of `agent_id` that ended at
/// `ended_at`: queued 300 s before, first response 30 s after queuing, SLA
/// due 60 s after queuing, resolved when it ended, handle time 300 s
/// (240 talk + 20 hold + 40 wrap-up), no flags.
pub fn call(external_id: &str, agent_id: &str, ended_at: &str) -> pb::Interaction {
    pb::Interaction {
        source: CALLS.into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        channel: pb::Channel::Phone as i32,
        queued_at: Some(shifted(ended_at, -300)),
        first_response_at: Some(shifted(ended_at, -270)),
        ended_at: Some(at(ended_at)),
        resolved_at: Some(at(ended_at)),
        sla_due_at: Some(shifted(ended_at, -240)),
        talk_seconds: 240,
        hold_seconds: 20,
        after_contact_work_seconds: 40,
        resolved: true,
        first_contact_resolved: true,
        ..Default::default()
    }
}

/// A [`call`] that ended at 09:05 UTC on 2026-11-02 (queued at 09:00,
/// first response 09:00:30, SLA due 09:01).
pub fn interaction(external_id: &str, agent_id: &str) -> pb::Interaction {
    call(external_id, agent_id, "2026-11-02T09:05:00Z")
}

/// A survey response about the interaction `interaction_id` (of [`CALLS`]).
pub fn survey_about(
    external_id: &str,
    interaction_id: &str,
    kind: pb::SurveyKind,
    score: i32,
    responded_at: &str,
) -> pb::SurveyResponse {
    pb::SurveyResponse {
        source: "survey-tool".into(),
        external_id: external_id.into(),
        interaction: Some(key(CALLS, interaction_id)),
        kind: kind as i32,
        score,
        responded_at: Some(at(responded_at)),
        ..Default::default()
    }
}

/// A CSAT response about `interaction_id`, answered on 2026-11-03 at 10:00.
pub fn csat_for_interaction(
    external_id: &str,
    interaction_id: &str,
    score: i32,
) -> pb::SurveyResponse {
    survey_about(
        external_id,
        interaction_id,
        pb::SurveyKind::Csat,
        score,
        "2026-11-03T10:00:00Z",
    )
}

/// A survey response naming its agent, linked to no interaction.
pub fn survey_for_agent(
    external_id: &str,
    agent_id: &str,
    kind: pb::SurveyKind,
    score: i32,
    responded_at: &str,
) -> pb::SurveyResponse {
    pb::SurveyResponse {
        source: "survey-tool".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        kind: kind as i32,
        score,
        responded_at: Some(at(responded_at)),
        ..Default::default()
    }
}

/// Unlinked CSAT responses of `agent_id` with the given scores, all answered
/// at `responded_at`; external ids are `{prefix}-{n}`.
pub fn csat_scores(
    prefix: &str,
    agent_id: &str,
    scores: &[i32],
    responded_at: &str,
) -> Vec<pb::SurveyResponse> {
    scores
        .iter()
        .enumerate()
        .map(|(n, score)| {
            survey_for_agent(
                &format!("{prefix}-{n}"),
                agent_id,
                pb::SurveyKind::Csat,
                *score,
                responded_at,
            )
        })
        .collect()
}

/// A QA evaluation of `agent_id`, linked to no interaction, rating the
/// first `ratings.len()` of attitude, process and effectiveness.
pub fn evaluation(
    external_id: &str,
    agent_id: &str,
    evaluated_at: &str,
    (score, max_score): (f64, f64),
    ratings: &[i32],
) -> pb::QaEvaluation {
    pb::QaEvaluation {
        source: "qa-tool".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        evaluated_at: Some(at(evaluated_at)),
        score,
        max_score,
        criterion_ratings: ratings
            .iter()
            .zip(CRITERIA)
            .map(|(rating, criterion)| pb::CriterionRating {
                criterion: criterion.into(),
                rating: *rating,
            })
            .collect(),
        ..Default::default()
    }
}

/// An evaluation of `agent_id` about call-1, on 2026-11-04 at 12:00:
/// 45.5 of 50, rated 5, 4 and 3.
pub fn qa_evaluation(external_id: &str, agent_id: &str) -> pb::QaEvaluation {
    pb::QaEvaluation {
        interaction: Some(key(CALLS, "call-1")),
        ..evaluation(
            external_id,
            agent_id,
            "2026-11-04T12:00:00Z",
            (45.5, 50.0),
            &[5, 4, 3],
        )
    }
}

/// A compliance check of `agent_id`.
pub fn check(
    external_id: &str,
    agent_id: &str,
    kind: pb::ComplianceKind,
    passed: bool,
    checked_at: &str,
) -> pb::ComplianceCheck {
    pb::ComplianceCheck {
        source: "qa-tool".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        kind: kind as i32,
        passed,
        checked_at: Some(at(checked_at)),
        ..Default::default()
    }
}

/// A passed privacy check of `agent_id` on 2026-11-05 at 08:30.
pub fn compliance_check(external_id: &str, agent_id: &str) -> pb::ComplianceCheck {
    check(
        external_id,
        agent_id,
        pb::ComplianceKind::Privacy,
        true,
        "2026-11-05T08:30:00Z",
    )
}

/// A late arrival of `agent_id`.
pub fn violation_at(external_id: &str, agent_id: &str, occurred_at: &str) -> pb::Violation {
    pb::Violation {
        source: "hr-system".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        kind: pb::ViolationKind::LateArrival as i32,
        occurred_at: Some(at(occurred_at)),
        ..Default::default()
    }
}

/// A late arrival of `agent_id` on 2026-11-06 at 08:10.
pub fn violation(external_id: &str, agent_id: &str) -> pb::Violation {
    violation_at(external_id, agent_id, "2026-11-06T08:10:00Z")
}

/// A training assignment of `agent_id`, completed at `completed_at` if given.
pub fn training(
    external_id: &str,
    agent_id: &str,
    course_id: &str,
    due_at: &str,
    completed_at: Option<&str>,
) -> pb::TrainingAssignment {
    pb::TrainingAssignment {
        source: "lms".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        course_id: course_id.into(),
        due_at: Some(at(due_at)),
        completed_at: completed_at.map(at),
        ..Default::default()
    }
}

/// The course gdpr-basics, due 2026-11-20, completed on 2026-11-18.
pub fn training_assignment(external_id: &str, agent_id: &str) -> pb::TrainingAssignment {
    training(
        external_id,
        agent_id,
        "gdpr-basics",
        "2026-11-20T00:00:00Z",
        Some("2026-11-18T15:00:00Z"),
    )
}

/// A whole reporting-zone day of `agent_id`'s working time.
pub fn work_day(
    external_id: &str,
    agent_id: &str,
    day: &str,
    (scheduled, logged_in, handling): (i64, i64, i64),
) -> pb::AgentTime {
    pb::AgentTime {
        source: "wfm".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        day: day.into(),
        scheduled_seconds: scheduled,
        logged_in_seconds: logged_in,
        handling_seconds: handling,
        ..Default::default()
    }
}

/// A day of 8 h scheduled, 7.5 h logged in, 6 h handling.
pub fn agent_day(external_id: &str, agent_id: &str, day: &str) -> pb::AgentTime {
    work_day(external_id, agent_id, day, (28_800, 27_000, 21_600))
}
