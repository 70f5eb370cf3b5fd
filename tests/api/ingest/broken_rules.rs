//! The table of rules a source system can break: for each, a batch that
//! breaks it and the field path its violation must name.

use kpi_service::grpc::pb;

use crate::support::{
    app::{at, ts, TestApp},
    ingest::interactions,
    records::{
        agent_day, compliance_check, csat_for_interaction, interaction, key, qa_evaluation,
        training_assignment, violation,
    },
};

/// A batch of one record kind.
#[derive(Clone)]
pub enum Batch {
    Interactions(Vec<pb::Interaction>),
    Surveys(Vec<pb::SurveyResponse>),
    Qa(Vec<pb::QaEvaluation>),
    Compliance(Vec<pb::ComplianceCheck>),
    Violations(Vec<pb::Violation>),
    Training(Vec<pb::TrainingAssignment>),
    Time(Vec<pb::AgentTime>),
}

/// Sends `batch` to its Ingest call.
pub async fn send(app: &TestApp, batch: Batch) -> Result<(), tonic::Status> {
    let mut client = app.ingest();
    match batch {
        Batch::Interactions(items) => client
            .ingest_interactions(interactions(items))
            .await
            .map(drop),
        Batch::Surveys(survey_responses) => client
            .ingest_survey_responses(pb::IngestSurveyResponsesRequest { survey_responses })
            .await
            .map(drop),
        Batch::Qa(qa_evaluations) => client
            .ingest_qa_evaluations(pb::IngestQaEvaluationsRequest { qa_evaluations })
            .await
            .map(drop),
        Batch::Compliance(compliance_checks) => client
            .ingest_compliance_checks(pb::IngestComplianceChecksRequest { compliance_checks })
            .await
            .map(drop),
        Batch::Violations(violations) => client
            .ingest_violations(pb::IngestViolationsRequest { violations })
            .await
            .map(drop),
        Batch::Training(training_assignments) => client
            .ingest_training_assignments(pb::IngestTrainingAssignmentsRequest {
                training_assignments,
            })
            .await
            .map(drop),
        Batch::Time(agent_time) => client
            .ingest_agent_time(pb::IngestAgentTimeRequest { agent_time })
            .await
            .map(drop),
    }
}

fn with_interaction(change: impl FnOnce(&mut pb::Interaction)) -> Batch {
    let mut item = interaction("call-1", "ana");
    change(&mut item);
    Batch::Interactions(vec![item])
}

fn with_survey(change: impl FnOnce(&mut pb::SurveyResponse)) -> Batch {
    let mut item = csat_for_interaction("s-1", "call-1", 5);
    change(&mut item);
    Batch::Surveys(vec![item])
}

fn with_qa(change: impl FnOnce(&mut pb::QaEvaluation)) -> Batch {
    let mut item = qa_evaluation("qa-1", "ana");
    change(&mut item);
    Batch::Qa(vec![item])
}

fn with_time(change: impl FnOnce(&mut pb::AgentTime)) -> Batch {
    let mut item = agent_day("wfm-1", "ana", "2026-11-02");
    change(&mut item);
    Batch::Time(vec![item])
}

fn far_future() -> prost_types::Timestamp {
    ts(chrono::Utc::now().timestamp() + 86_400)
}

/// (what is broken, the batch, the field path that must be reported).
pub fn broken_rules() -> Vec<(&'static str, Batch, &'static str)> {
    vec![
        (
            "missing source",
            with_interaction(|i| i.source.clear()),
            "interactions[0].source",
        ),
        (
            "missing external id",
            with_interaction(|i| i.external_id.clear()),
            "interactions[0].external_id",
        ),
        (
            "missing agent",
            with_interaction(|i| i.agent_id.clear()),
            "interactions[0].agent_id",
        ),
        (
            "over-long external id",
            with_interaction(|i| i.external_id = "x".repeat(129)),
            "interactions[0].external_id",
        ),
        (
            "over-long source",
            with_interaction(|i| i.source = "s".repeat(65)),
            "interactions[0].source",
        ),
        (
            "over-long team id",
            with_interaction(|i| i.team_id = "t".repeat(129)),
            "interactions[0].team_id",
        ),
        (
            "control character in id",
            with_interaction(|i| i.agent_id = "an\na".into()),
            "interactions[0].agent_id",
        ),
        (
            "unspecified channel",
            with_interaction(|i| i.channel = 0),
            "interactions[0].channel",
        ),
        (
            "unknown channel number",
            with_interaction(|i| i.channel = 99),
            "interactions[0].channel",
        ),
        (
            "missing queued_at",
            with_interaction(|i| i.queued_at = None),
            "interactions[0].queued_at",
        ),
        (
            "missing ended_at",
            with_interaction(|i| i.ended_at = None),
            "interactions[0].ended_at",
        ),
        (
            "invalid nanos",
            with_interaction(|i| {
                i.queued_at = Some(prost_types::Timestamp {
                    seconds: 1_800_000_000,
                    nanos: -1,
                })
            }),
            "interactions[0].queued_at",
        ),
        (
            "first response before queue",
            with_interaction(|i| i.first_response_at = Some(at("2026-11-02T08:59:00Z"))),
            "interactions[0].first_response_at",
        ),
        (
            "end before first response",
            with_interaction(|i| i.ended_at = Some(at("2026-11-02T09:00:10Z"))),
            "interactions[0].ended_at",
        ),
        (
            "resolved before queue",
            with_interaction(|i| i.resolved_at = Some(at("2026-11-02T08:00:00Z"))),
            "interactions[0].resolved_at",
        ),
        (
            "end in the future",
            with_interaction(|i| i.ended_at = Some(far_future())),
            "interactions[0].ended_at",
        ),
        (
            "interaction longer than 31 days",
            with_interaction(|i| {
                i.queued_at = Some(at("2026-09-01T00:00:00Z"));
                i.first_response_at = None;
            }),
            "interactions[0].ended_at",
        ),
        (
            "negative talk time",
            with_interaction(|i| i.talk_seconds = -1),
            "interactions[0].talk_seconds",
        ),
        (
            "absurd hold time",
            with_interaction(|i| i.hold_seconds = 100_000),
            "interactions[0].hold_seconds",
        ),
        (
            "negative wrap-up",
            with_interaction(|i| i.after_contact_work_seconds = -5),
            "interactions[0].after_contact_work_seconds",
        ),
        (
            "first contact resolved without resolved",
            with_interaction(|i| {
                i.resolved = false;
                i.resolved_at = None;
            }),
            "interactions[0].first_contact_resolved",
        ),
        (
            "resolved_at without resolved",
            with_interaction(|i| {
                i.resolved = false;
                i.first_contact_resolved = false;
            }),
            "interactions[0].resolved_at",
        ),
        (
            "negative revision",
            with_interaction(|i| i.revision = Some(-1)),
            "interactions[0].revision",
        ),
        (
            "unknown team",
            with_interaction(|i| i.team_id = "no-such-team".into()),
            "interactions[0].team_id",
        ),
        (
            "duplicate key in batch",
            Batch::Interactions(vec![
                interaction("call-1", "ana"),
                interaction("call-1", "ana"),
            ]),
            "interactions[1].external_id",
        ),
        ("empty batch", Batch::Interactions(vec![]), "interactions"),
        (
            "CSAT above 5",
            with_survey(|s| s.score = 6),
            "survey_responses[0].score",
        ),
        (
            "CSAT below 1",
            with_survey(|s| s.score = 0),
            "survey_responses[0].score",
        ),
        (
            "NPS above 10",
            with_survey(|s| {
                s.kind = pb::SurveyKind::Nps as i32;
                s.score = 11
            }),
            "survey_responses[0].score",
        ),
        (
            "CES above 7",
            with_survey(|s| {
                s.kind = pb::SurveyKind::Ces as i32;
                s.score = 8
            }),
            "survey_responses[0].score",
        ),
        (
            "unspecified survey kind",
            with_survey(|s| s.kind = 0),
            "survey_responses[0].kind",
        ),
        (
            "survey without interaction or agent",
            with_survey(|s| s.interaction = None),
            "survey_responses[0].interaction",
        ),
        (
            "survey interaction key without id",
            with_survey(|s| s.interaction = Some(key("phone-platform", ""))),
            "survey_responses[0].interaction.external_id",
        ),
        (
            "survey in the future",
            with_survey(|s| s.responded_at = Some(far_future())),
            "survey_responses[0].responded_at",
        ),
        (
            "QA score above its maximum",
            with_qa(|q| q.score = 51.0),
            "qa_evaluations[0].score",
        ),
        (
            "QA negative score",
            with_qa(|q| q.score = -1.0),
            "qa_evaluations[0].score",
        ),
        (
            "QA zero maximum",
            with_qa(|q| q.max_score = 0.0),
            "qa_evaluations[0].max_score",
        ),
        (
            "QA rating outside 1-5",
            with_qa(|q| q.criterion_ratings[1].rating = 6),
            "qa_evaluations[0].criterion_ratings[1].rating",
        ),
        (
            "QA criterion rated twice",
            with_qa(|q| q.criterion_ratings[2].criterion = "attitude".into()),
            "qa_evaluations[0].criterion_ratings[2].criterion",
        ),
        (
            "QA missing evaluated_at",
            with_qa(|q| q.evaluated_at = None),
            "qa_evaluations[0].evaluated_at",
        ),
        (
            "unspecified compliance kind",
            Batch::Compliance(vec![pb::ComplianceCheck {
                kind: 0,
                ..compliance_check("cc-1", "ana")
            }]),
            "compliance_checks[0].kind",
        ),
        (
            "unspecified violation kind",
            Batch::Violations(vec![pb::Violation {
                kind: 0,
                ..violation("v-1", "ana")
            }]),
            "violations[0].kind",
        ),
        (
            "violation in the future",
            Batch::Violations(vec![pb::Violation {
                occurred_at: Some(far_future()),
                ..violation("v-1", "ana")
            }]),
            "violations[0].occurred_at",
        ),
        (
            "training without course",
            Batch::Training(vec![pb::TrainingAssignment {
                course_id: String::new(),
                ..training_assignment("t-1", "ana")
            }]),
            "training_assignments[0].course_id",
        ),
        (
            "training completed in the future",
            Batch::Training(vec![pb::TrainingAssignment {
                completed_at: Some(far_future()),
                ..training_assignment("t-1", "ana")
            }]),
            "training_assignments[0].completed_at",
        ),
        (
            "handling above logged-in time",
            with_time(|t| t.handling_seconds = 27_001),
            "agent_time[0].handling_seconds",
        ),
        (
            "logged-in above the day",
            with_time(|t| t.logged_in_seconds = 90_000),
            "agent_time[0].logged_in_seconds",
        ),
        (
            "negative scheduled time",
            with_time(|t| t.scheduled_seconds = -1),
            "agent_time[0].scheduled_seconds",
        ),
        (
            "day and interval both",
            with_time(|t| t.interval_start = Some(at("2026-11-02T00:00:00Z"))),
            "agent_time[0].day",
        ),
        (
            "malformed day",
            with_time(|t| t.day = "02.11.2026".into()),
            "agent_time[0].day",
        ),
        (
            "interval ending before it starts",
            with_time(|t| {
                t.day.clear();
                t.interval_start = Some(at("2026-11-02T10:00:00Z"));
                t.interval_end = Some(at("2026-11-02T09:00:00Z"));
            }),
            "agent_time[0].interval_end",
        ),
    ]
}
