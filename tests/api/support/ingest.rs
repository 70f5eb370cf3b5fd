//! Ingest calls that must succeed, and what their replies say.

use kpi_service::grpc::pb;

use super::app::TestApp;

/// An IngestInteractions request of `items`.
pub fn interactions(items: Vec<pb::Interaction>) -> pb::IngestInteractionsRequest {
    pb::IngestInteractionsRequest {
        interactions: items,
    }
}

/// The outcome of each item of a reply, in order.
pub fn outcomes(results: &[pb::IngestResult]) -> Vec<pb::IngestOutcome> {
    results
        .iter()
        .map(|result| pb::IngestOutcome::try_from(result.outcome).expect("unknown outcome"))
        .collect()
}

pub async fn ingest_interactions(app: &TestApp, items: Vec<pb::Interaction>) {
    app.ingest()
        .ingest_interactions(pb::IngestInteractionsRequest {
            interactions: items,
        })
        .await
        .expect("ingesting interactions failed");
}

pub async fn ingest_surveys(app: &TestApp, items: Vec<pb::SurveyResponse>) {
    app.ingest()
        .ingest_survey_responses(pb::IngestSurveyResponsesRequest {
            survey_responses: items,
        })
        .await
        .expect("ingesting survey responses failed");
}

pub async fn ingest_qa(app: &TestApp, items: Vec<pb::QaEvaluation>) {
    app.ingest()
        .ingest_qa_evaluations(pb::IngestQaEvaluationsRequest {
            qa_evaluations: items,
        })
        .await
        .expect("ingesting QA evaluations failed");
}

pub async fn ingest_checks(app: &TestApp, items: Vec<pb::ComplianceCheck>) {
    app.ingest()
        .ingest_compliance_checks(pb::IngestComplianceChecksRequest {
            compliance_checks: items,
        })
        .await
        .expect("ingesting compliance checks failed");
}

pub async fn ingest_violations(app: &TestApp, items: Vec<pb::Violation>) {
    app.ingest()
        .ingest_violations(pb::IngestViolationsRequest { violations: items })
        .await
        .expect("ingesting violations failed");
}

pub async fn ingest_training(app: &TestApp, items: Vec<pb::TrainingAssignment>) {
    app.ingest()
        .ingest_training_assignments(pb::IngestTrainingAssignmentsRequest {
            training_assignments: items,
        })
        .await
        .expect("ingesting training assignments failed");
}

pub async fn ingest_agent_time(app: &TestApp, items: Vec<pb::AgentTime>) {
    app.ingest()
        .ingest_agent_time(pb::IngestAgentTimeRequest { agent_time: items })
        .await
        .expect("ingesting agent time failed");
}
