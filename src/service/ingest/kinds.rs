//! The record kinds a batch may hold, each with the RPC that ingests it
//! (for the scope table and the audit trail).

use crate::{
    domain::records::{
        NewAgentTime, NewComplianceCheck, NewInteraction, NewQaEvaluation, NewSurveyResponse,
        NewTrainingAssignment, NewViolation,
    },
    storage::records::RecordTable,
};

/// A record kind that can be ingested: its attribution (domain), its table
/// (storage) and the method that sends it.
pub trait IngestKind: RecordTable {
    /// The full gRPC method path, e.g. `/kpi.v1.IngestService/IngestInteractions`.
    const METHOD_PATH: &'static str;
}

impl IngestKind for NewInteraction {
    const METHOD_PATH: &'static str = "/kpi.v1.IngestService/IngestInteractions";
}

impl IngestKind for NewSurveyResponse {
    const METHOD_PATH: &'static str = "/kpi.v1.IngestService/IngestSurveyResponses";
}

impl IngestKind for NewQaEvaluation {
    const METHOD_PATH: &'static str = "/kpi.v1.IngestService/IngestQaEvaluations";
}

impl IngestKind for NewComplianceCheck {
    const METHOD_PATH: &'static str = "/kpi.v1.IngestService/IngestComplianceChecks";
}

impl IngestKind for NewViolation {
    const METHOD_PATH: &'static str = "/kpi.v1.IngestService/IngestViolations";
}

impl IngestKind for NewTrainingAssignment {
    const METHOD_PATH: &'static str = "/kpi.v1.IngestService/IngestTrainingAssignments";
}

impl IngestKind for NewAgentTime {
    const METHOD_PATH: &'static str = "/kpi.v1.IngestService/IngestAgentTime";
}
