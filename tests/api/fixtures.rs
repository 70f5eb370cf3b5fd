//! Valid records to start from; tests change the fields they are about.

use kpi_service::grpc::pb;

use crate::helpers::at;

pub fn key(source: &str, external_id: &str) -> pb::RecordKey {
    pb::RecordKey {
        source: source.into(),
        external_id: external_id.into(),
    }
}

/// A resolved phone call of 5 minutes on 2026-11-02.
pub fn interaction(external_id: &str, agent_id: &str) -> pb::Interaction {
    pb::Interaction {
        source: "phone-platform".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        channel: pb::Channel::Phone as i32,
        queued_at: Some(at("2026-11-02T09:00:00Z")),
        first_response_at: Some(at("2026-11-02T09:00:30Z")),
        ended_at: Some(at("2026-11-02T09:05:00Z")),
        resolved_at: Some(at("2026-11-02T09:05:00Z")),
        sla_due_at: Some(at("2026-11-02T09:01:00Z")),
        talk_seconds: 240,
        hold_seconds: 20,
        after_contact_work_seconds: 40,
        resolved: true,
        first_contact_resolved: true,
        ..Default::default()
    }
}

pub fn csat_for_interaction(
    external_id: &str,
    interaction_id: &str,
    score: i32,
) -> pb::SurveyResponse {
    pb::SurveyResponse {
        source: "survey-tool".into(),
        external_id: external_id.into(),
        interaction: Some(key("phone-platform", interaction_id)),
        kind: pb::SurveyKind::Csat as i32,
        score,
        responded_at: Some(at("2026-11-03T10:00:00Z")),
        ..Default::default()
    }
}

pub fn qa_evaluation(external_id: &str, agent_id: &str) -> pb::QaEvaluation {
    pb::QaEvaluation {
        source: "qa-tool".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        interaction: Some(key("phone-platform", "call-1")),
        evaluated_at: Some(at("2026-11-04T12:00:00Z")),
        score: 45.5,
        max_score: 50.0,
        criterion_ratings: vec![
            pb::CriterionRating {
                criterion: "attitude".into(),
                rating: 5,
            },
            pb::CriterionRating {
                criterion: "process".into(),
                rating: 4,
            },
            pb::CriterionRating {
                criterion: "effectiveness".into(),
                rating: 3,
            },
        ],
        ..Default::default()
    }
}

pub fn compliance_check(external_id: &str, agent_id: &str) -> pb::ComplianceCheck {
    pb::ComplianceCheck {
        source: "qa-tool".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        kind: pb::ComplianceKind::Privacy as i32,
        passed: true,
        checked_at: Some(at("2026-11-05T08:30:00Z")),
        ..Default::default()
    }
}

pub fn violation(external_id: &str, agent_id: &str) -> pb::Violation {
    pb::Violation {
        source: "hr-system".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        kind: pb::ViolationKind::LateArrival as i32,
        occurred_at: Some(at("2026-11-06T08:10:00Z")),
        ..Default::default()
    }
}

pub fn training_assignment(external_id: &str, agent_id: &str) -> pb::TrainingAssignment {
    pb::TrainingAssignment {
        source: "lms".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        course_id: "gdpr-basics".into(),
        due_at: Some(at("2026-11-20T00:00:00Z")),
        completed_at: Some(at("2026-11-18T15:00:00Z")),
        ..Default::default()
    }
}

pub fn agent_day(external_id: &str, agent_id: &str, day: &str) -> pb::AgentTime {
    pb::AgentTime {
        source: "wfm".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        day: day.into(),
        scheduled_seconds: 28_800,
        logged_in_seconds: 27_000,
        handling_seconds: 21_600,
        ..Default::default()
    }
}

pub fn interactions(items: Vec<pb::Interaction>) -> pb::IngestInteractionsRequest {
    pb::IngestInteractionsRequest {
        interactions: items,
    }
}

pub fn outcomes(results: &[pb::IngestResult]) -> Vec<pb::IngestOutcome> {
    results
        .iter()
        .map(|result| pb::IngestOutcome::try_from(result.outcome).expect("unknown outcome"))
        .collect()
}
