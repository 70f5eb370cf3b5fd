//! `kpi-service demo-data`: a client of the public API that loads the
//! README's worked example (agent `ana`, November 2026) and a small
//! realistic set around it, so that a newcomer's first
//! `GetAgentScorecard` answers what the README shows. Every record has a
//! fixed natural key, so loading twice changes nothing (all UNCHANGED).
//!
//! The set: teams `support-east` and `support-west`; `ana` (east) exactly
//! as the README describes, 20 calls and 20 CSAT responses and nothing
//! else; `ben` (east), slow and often not resolving first time, so he has
//! breaches; `chloe` (west), a chat agent with NPS, QA, compliance,
//! training and working time. No policy is stored: the catalogue defaults
//! judge everything, as in the README.

mod records;

use records::{
    agent_day, ana_calls, ana_csat, at, ben_calls, ben_csat, chloe_chats, chloe_nps, compliance,
    qa_evaluation,
};
use tonic::transport::Channel;

use super::pb::{
    self, directory_service_client::DirectoryServiceClient,
    ingest_service_client::IngestServiceClient,
};

/// What loading did: items per outcome, over every ingest call.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoDataReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub other: usize,
}

impl DemoDataReport {
    fn add(&mut self, results: &[pb::IngestResult]) {
        for result in results {
            match pb::IngestOutcome::try_from(result.outcome) {
                Ok(pb::IngestOutcome::Created) => self.created += 1,
                Ok(pb::IngestOutcome::Updated) => self.updated += 1,
                Ok(pb::IngestOutcome::Unchanged) => self.unchanged += 1,
                _ => self.other += 1,
            }
        }
    }
}

/// Loads the demo set through the API on `channel`.
pub async fn load(channel: Channel) -> Result<DemoDataReport, tonic::Status> {
    let mut directory = DirectoryServiceClient::new(channel.clone());
    for (team_id, display_name) in [
        ("support-east", "Support East"),
        ("support-west", "Support West"),
    ] {
        directory
            .upsert_team(pb::UpsertTeamRequest {
                team: Some(pb::Team {
                    team_id: team_id.into(),
                    display_name: display_name.into(),
                    ..Default::default()
                }),
            })
            .await?;
    }
    for (agent_id, display_name, team_id) in [
        ("ana", "Ana Lima", "support-east"),
        ("ben", "Ben Okafor", "support-east"),
        ("chloe", "Chloe Martin", "support-west"),
    ] {
        directory
            .upsert_agent(pb::UpsertAgentRequest {
                agent: Some(pb::Agent {
                    agent_id: agent_id.into(),
                    display_name: display_name.into(),
                    team_id: team_id.into(),
                    ..Default::default()
                }),
                // A first team: it holds since before any record, so the
                // demo's November records count for it.
                ..Default::default()
            })
            .await?;
    }

    let mut ingest = IngestServiceClient::new(channel);
    let mut report = DemoDataReport::default();
    let mut calls = ana_calls();
    calls.extend(ben_calls());
    calls.extend(chloe_chats());
    let reply = ingest
        .ingest_interactions(pb::IngestInteractionsRequest {
            interactions: calls,
        })
        .await?;
    report.add(&reply.into_inner().results);

    let mut surveys = ana_csat();
    surveys.extend(ben_csat());
    surveys.extend(chloe_nps());
    let reply = ingest
        .ingest_survey_responses(pb::IngestSurveyResponsesRequest {
            survey_responses: surveys,
        })
        .await?;
    report.add(&reply.into_inner().results);

    let reply = ingest
        .ingest_qa_evaluations(pb::IngestQaEvaluationsRequest {
            qa_evaluations: vec![
                qa_evaluation("qa-ben-1", "ben", "ben-call-03", 38.0),
                qa_evaluation("qa-chloe-1", "chloe", "chloe-chat-02", 48.0),
            ],
        })
        .await?;
    report.add(&reply.into_inner().results);

    let reply = ingest
        .ingest_compliance_checks(pb::IngestComplianceChecksRequest {
            compliance_checks: vec![
                compliance("cc-ben-1", "ben", pb::ComplianceKind::Process, false, 6),
                compliance("cc-ben-2", "ben", pb::ComplianceKind::Privacy, true, 9),
                compliance("cc-chloe-1", "chloe", pb::ComplianceKind::Privacy, true, 10),
            ],
        })
        .await?;
    report.add(&reply.into_inner().results);

    let reply = ingest
        .ingest_violations(pb::IngestViolationsRequest {
            violations: vec![pb::Violation {
                source: "workforce".into(),
                external_id: "vio-ben-1".into(),
                agent_id: "ben".into(),
                kind: pb::ViolationKind::LateArrival as i32,
                occurred_at: Some(at(12, 8, 20)),
                ..Default::default()
            }],
        })
        .await?;
    report.add(&reply.into_inner().results);

    let reply = ingest
        .ingest_training_assignments(pb::IngestTrainingAssignmentsRequest {
            training_assignments: vec![
                pb::TrainingAssignment {
                    source: "lms".into(),
                    external_id: "train-ben-gdpr".into(),
                    agent_id: "ben".into(),
                    course_id: "gdpr-basics".into(),
                    due_at: Some(at(20, 17, 0)),
                    completed_at: Some(at(18, 15, 0)),
                    ..Default::default()
                },
                pb::TrainingAssignment {
                    source: "lms".into(),
                    external_id: "train-chloe-deescalation".into(),
                    agent_id: "chloe".into(),
                    course_id: "de-escalation".into(),
                    due_at: Some(at(19, 17, 0)),
                    completed_at: Some(at(17, 11, 0)),
                    ..Default::default()
                },
            ],
        })
        .await?;
    report.add(&reply.into_inner().results);

    let reply = ingest
        .ingest_agent_time(pb::IngestAgentTimeRequest {
            agent_time: vec![
                agent_day("time-ben-2026-11-03", "ben", "2026-11-03", 27_000, 16_200),
                agent_day(
                    "time-chloe-2026-11-03",
                    "chloe",
                    "2026-11-03",
                    28_200,
                    21_600,
                ),
            ],
        })
        .await?;
    report.add(&reply.into_inner().results);
    Ok(report)
}
