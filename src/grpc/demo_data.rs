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

/// 2026-11-`day` at `hour`:`minute` UTC.
fn at(day: i64, hour: i64, minute: i64) -> prost_types::Timestamp {
    // 2026-11-01T00:00:00Z.
    const NOVEMBER_FIRST: i64 = 1_793_491_200;
    prost_types::Timestamp {
        seconds: NOVEMBER_FIRST + (day - 1) * 86_400 + hour * 3_600 + minute * 60,
        nanos: 0,
    }
}

fn key(source: &str, external_id: &str) -> pb::RecordKey {
    pb::RecordKey {
        source: source.into(),
        external_id: external_id.into(),
    }
}

/// A call handled on 2026-11-`day` from 09:00: answered after 30 s, ended
/// after talk + hold, wrap-up after that.
struct Call<'a> {
    external_id: String,
    agent_id: &'a str,
    channel: pb::Channel,
    day: i64,
    talk_seconds: i64,
    hold_seconds: i64,
    wrap_up_seconds: i64,
    first_contact_resolved: bool,
}

impl Call<'_> {
    fn into_interaction(self) -> pb::Interaction {
        let queued = at(self.day, 9, 0);
        let offset = |seconds: i64| prost_types::Timestamp {
            seconds: queued.seconds + seconds,
            nanos: 0,
        };
        let ended = 30 + self.talk_seconds + self.hold_seconds;
        pb::Interaction {
            source: "phone-platform".into(),
            external_id: self.external_id,
            agent_id: self.agent_id.into(),
            channel: self.channel as i32,
            queued_at: Some(queued),
            first_response_at: Some(offset(30)),
            ended_at: Some(offset(ended)),
            resolved_at: Some(offset(ended)),
            sla_due_at: Some(offset(60)),
            talk_seconds: self.talk_seconds,
            hold_seconds: self.hold_seconds,
            after_contact_work_seconds: self.wrap_up_seconds,
            resolved: true,
            first_contact_resolved: self.first_contact_resolved,
            ..Default::default()
        }
    }
}

/// The README's 20 calls: 240 s talk + 20 s hold + 40 s wrap-up, 17 of them
/// resolved on first contact.
fn ana_calls() -> Vec<pb::Interaction> {
    (0..20)
        .map(|n| {
            Call {
                external_id: format!("ana-call-{n:02}"),
                agent_id: "ana",
                channel: pb::Channel::Phone,
                day: 2 + n,
                talk_seconds: 240,
                hold_seconds: 20,
                wrap_up_seconds: 40,
                first_contact_resolved: n < 17,
            }
            .into_interaction()
        })
        .collect()
}

/// The README's 20 CSAT responses, one per call, 17 scoring 4 or 5.
fn ana_csat() -> Vec<pb::SurveyResponse> {
    (0..20)
        .map(|n: i32| {
            let score = if n < 17 { 4 + n % 2 } else { 2 };
            csat(
                &format!("csat-ana-{n:02}"),
                &format!("ana-call-{n:02}"),
                score,
            )
        })
        .collect()
}

/// 12 long calls, 6 resolved on first contact.
fn ben_calls() -> Vec<pb::Interaction> {
    (0..12)
        .map(|n| {
            Call {
                external_id: format!("ben-call-{n:02}"),
                agent_id: "ben",
                channel: pb::Channel::Phone,
                day: 3 + n,
                talk_seconds: 400,
                hold_seconds: 60,
                wrap_up_seconds: 80,
                first_contact_resolved: n % 2 == 0,
            }
            .into_interaction()
        })
        .collect()
}

/// 10 CSAT responses for Ben, 6 satisfied.
fn ben_csat() -> Vec<pb::SurveyResponse> {
    (0..10)
        .map(|n| {
            csat(
                &format!("csat-ben-{n:02}"),
                &format!("ben-call-{n:02}"),
                if n < 6 { 5 } else { 3 },
            )
        })
        .collect()
}

/// 15 quick chats, 14 resolved on first contact.
fn chloe_chats() -> Vec<pb::Interaction> {
    (0..15)
        .map(|n| {
            Call {
                external_id: format!("chloe-chat-{n:02}"),
                agent_id: "chloe",
                channel: pb::Channel::Chat,
                day: 2 + n,
                talk_seconds: 180,
                hold_seconds: 0,
                wrap_up_seconds: 30,
                first_contact_resolved: n != 7,
            }
            .into_interaction()
        })
        .collect()
}

/// 8 NPS answers for Chloe: 6 promoters, 1 passive, 1 detractor.
fn chloe_nps() -> Vec<pb::SurveyResponse> {
    [10, 9, 10, 9, 10, 9, 8, 5]
        .into_iter()
        .enumerate()
        .map(|(n, score)| pb::SurveyResponse {
            source: "survey-tool".into(),
            external_id: format!("nps-chloe-{n:02}"),
            interaction: Some(key("phone-platform", &format!("chloe-chat-{n:02}"))),
            kind: pb::SurveyKind::Nps as i32,
            score,
            responded_at: Some(at(3 + n as i64, 18, 0)),
            ..Default::default()
        })
        .collect()
}

fn csat(external_id: &str, call: &str, score: i32) -> pb::SurveyResponse {
    pb::SurveyResponse {
        source: "survey-tool".into(),
        external_id: external_id.into(),
        interaction: Some(key("phone-platform", call)),
        kind: pb::SurveyKind::Csat as i32,
        score,
        responded_at: Some(at(22, 10, 0)),
        ..Default::default()
    }
}

fn qa_evaluation(external_id: &str, agent_id: &str, call: &str, score: f64) -> pb::QaEvaluation {
    pb::QaEvaluation {
        source: "qa-tool".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        interaction: Some(key("phone-platform", call)),
        evaluated_at: Some(at(16, 14, 0)),
        score,
        max_score: 50.0,
        criterion_ratings: vec![
            pb::CriterionRating {
                criterion: "greeting".into(),
                rating: 5,
            },
            pb::CriterionRating {
                criterion: "resolution".into(),
                rating: 4,
            },
        ],
        ..Default::default()
    }
}

fn compliance(
    external_id: &str,
    agent_id: &str,
    kind: pb::ComplianceKind,
    passed: bool,
    day: i64,
) -> pb::ComplianceCheck {
    pb::ComplianceCheck {
        source: "compliance-audit".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        kind: kind as i32,
        passed,
        checked_at: Some(at(day, 16, 0)),
        ..Default::default()
    }
}

fn agent_day(
    external_id: &str,
    agent_id: &str,
    day: &str,
    logged_in_seconds: i64,
    handling_seconds: i64,
) -> pb::AgentTime {
    pb::AgentTime {
        source: "workforce".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        day: day.into(),
        scheduled_seconds: 28_800,
        logged_in_seconds,
        handling_seconds,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_in_november_2026() {
        let first = at(1, 0, 0);
        let expected = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap();
        assert_eq!(first.seconds, expected.timestamp());
        assert_eq!(
            at(2, 9, 30).seconds - first.seconds,
            86_400 + 9 * 3_600 + 30 * 60
        );
    }

    #[test]
    fn ana_matches_the_readme() {
        let calls = ana_calls();
        assert_eq!(calls.len(), 20);
        let handle: i64 = calls
            .iter()
            .map(|call| call.talk_seconds + call.hold_seconds + call.after_contact_work_seconds)
            .sum();
        assert_eq!(handle, 6000);
        assert_eq!(
            calls
                .iter()
                .filter(|call| call.first_contact_resolved)
                .count(),
            17
        );
        let satisfied = ana_csat().iter().filter(|survey| survey.score >= 4).count();
        assert_eq!(satisfied, 17);
    }
}
