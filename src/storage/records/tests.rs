//! A record written as its row and read back contributes exactly what the
//! record itself contributes: the batch computes a written row's new
//! contribution from the record (never reading the row back), and the raw
//! path from the row, so the two must agree for every kind.

use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, Iden, Iterable, TryIntoModel, Value};

use super::{RecordEntity, RecordTable, RowContext, StoredRow};
use crate::domain::records::{
    Channel, ComplianceKind, CriterionRating, NewAgentTime, NewComplianceCheck, NewInteraction,
    NewQaEvaluation, NewSurveyResponse, NewTrainingAssignment, NewViolation, RecordKey, RecordMeta,
    SurveyKind, SurveySubject, ViolationKind,
};

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_793_000_000 + seconds, 0).unwrap()
}

fn meta(external_id: &str, voided: bool) -> RecordMeta {
    RecordMeta {
        key: RecordKey {
            source: "src".into(),
            external_id: external_id.into(),
        },
        revision: Some(3),
        voided,
    }
}

/// Writes `record` as its row (recorded for `team`), reads the row back,
/// and compares what both contribute.
fn assert_round_trip<R: RecordTable>(record: &R, team: Option<&str>) {
    let context = RowContext {
        revision: record.meta().revision,
        content_hash: record.fingerprint(),
        now_us: 0,
        team_id: team.map(str::to_owned),
    };
    let mut active = record.to_active_model(&context);
    let id = <R::Entity as EntityTrait>::Column::iter()
        .find(|column| column.to_string() == "id")
        .unwrap();
    sea_orm::ActiveModelTrait::set(&mut active, id, Value::BigInt(Some(1)));
    let row: <R::Entity as RecordEntity>::Row = active.try_into_model().unwrap();
    assert_eq!(row.key(), record.meta().key);
    assert_eq!(row.version().content_hash, record.fingerprint());
    assert_eq!(
        row.contribution().unwrap(),
        record.contribution(team.map(str::to_owned)),
        "{}",
        R::KIND
    );
}

fn call(voided: bool) -> NewInteraction {
    NewInteraction {
        meta: meta("call", voided),
        agent_id: "ana".into(),
        team_id: Some("red".into()),
        channel: Channel::Chat,
        queued_at: at(0),
        first_response_at: Some(at(20)),
        ended_at: at(400),
        resolved_at: Some(at(400)),
        sla_due_at: Some(at(60)),
        talk_seconds: 300,
        hold_seconds: 30,
        after_contact_work_seconds: 45,
        resolved: true,
        first_contact_resolved: true,
        escalated: false,
        transferred: true,
        agent_error: false,
        complaint: true,
    }
}

#[test]
fn every_kind_contributes_the_same_from_its_record_and_its_row() {
    for voided in [false, true] {
        assert_round_trip(&call(voided), Some("red"));
        for subject in [
            SurveySubject::Interaction {
                interaction: meta("call", false).key,
                agent_id: Some("ana".into()),
            },
            SurveySubject::Agent("ana".into()),
        ] {
            let survey = NewSurveyResponse {
                meta: meta("survey", voided),
                subject,
                kind: SurveyKind::Nps,
                score: 9,
                responded_at: at(900),
            };
            assert_round_trip(&survey, Some("blue"));
        }
        let evaluation = NewQaEvaluation {
            meta: meta("qa", voided),
            agent_id: "bob".into(),
            interaction: Some(meta("call", false).key),
            evaluated_at: at(5_000),
            score: 42.5,
            max_score: 50.0,
            criterion_ratings: vec![
                CriterionRating {
                    criterion: "greeting".into(),
                    rating: 4,
                },
                CriterionRating {
                    criterion: "closing".into(),
                    rating: 2,
                },
            ],
        };
        assert_round_trip(&evaluation, None);
        let check = NewComplianceCheck {
            meta: meta("check", voided),
            agent_id: "ana".into(),
            kind: ComplianceKind::Privacy,
            passed: false,
            checked_at: at(7),
        };
        assert_round_trip(&check, Some("red"));
        let violation = NewViolation {
            meta: meta("violation", voided),
            agent_id: "ana".into(),
            kind: ViolationKind::LateArrival,
            occurred_at: at(8),
        };
        assert_round_trip(&violation, Some("red"));
        let training = NewTrainingAssignment {
            meta: meta("course", voided),
            agent_id: "ana".into(),
            course_id: "gdpr".into(),
            due_at: at(86_400),
            completed_at: Some(at(90_000)),
        };
        assert_round_trip(&training, Some("red"));
        let time = NewAgentTime {
            meta: meta("shift", voided),
            agent_id: "ana".into(),
            starts_at: at(0),
            ends_at: at(28_800),
            scheduled_seconds: 28_800,
            logged_in_seconds: 27_000,
            handling_seconds: 20_000,
        };
        assert_round_trip(&time, None);
    }
}
