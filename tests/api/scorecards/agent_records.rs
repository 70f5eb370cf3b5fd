//! `ListAgentRecords`: every record of every kind behind an agent's
//! numbers in a period, void ones flagged, each with the team it counts
//! for, in pages ordered by the instant that places it, then by kind.

use kpi_service::grpc::pb;

use crate::{
    on_both_backends,
    support::{
        app::{at, field_violations, spawn_app, Backend, TestApp},
        directory::{add_team, move_agent, put_agent},
        ingest::{
            ingest_agent_time, ingest_checks, ingest_interactions, ingest_qa, ingest_surveys,
            ingest_training, ingest_violations,
        },
        periods::{month, pay_period},
        records::{
            agent_day, call, compliance_check, evaluation, key, survey_about, training_assignment,
            violation_at, CALLS,
        },
    },
};

on_both_backends!(
    records_of_every_kind_page_by_instant_then_kind,
    each_record_names_its_team_and_whether_it_counts,
    bad_requests_are_refused,
);

/// Ana in red, moved to blue from Nov 15. November, by the instant that
/// places each record: d-1 (her Nov 2 working day, from 00:00), i-1 (call,
/// Nov 2 09:00) and s-1 (its CSAT, placed at the call's end), i-2 (call,
/// Nov 3, then voided), q-1 (QA of i-2, Nov 4: void with it), c-1
/// (compliance check, Nov 5), v-1 (violation, Nov 16, blue), t-1
/// (training due Nov 20, blue). Not hers or not November: i-9 (Oct 20),
/// bob's b-1.
async fn anas_november_records(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    put_agent(&app, "ana", "red").await;
    move_agent(&app, "ana", "blue", "2026-11-15").await;
    ingest_interactions(
        &app,
        vec![
            call("i-1", "ana", "2026-11-02T09:00:00Z"),
            call("i-2", "ana", "2026-11-03T09:00:00Z"),
            call("i-9", "ana", "2026-10-20T09:00:00Z"),
            call("b-1", "bob", "2026-11-02T09:00:00Z"),
        ],
    )
    .await;
    ingest_surveys(
        &app,
        vec![survey_about(
            "s-1",
            "i-1",
            pb::SurveyKind::Csat,
            5,
            "2026-11-02T12:00:00Z",
        )],
    )
    .await;
    ingest_qa(
        &app,
        vec![pb::QaEvaluation {
            interaction: Some(key(CALLS, "i-2")),
            ..evaluation("q-1", "ana", "2026-11-04T12:00:00Z", (80.0, 100.0), &[4])
        }],
    )
    .await;
    ingest_checks(&app, vec![compliance_check("c-1", "ana")]).await;
    ingest_violations(
        &app,
        vec![violation_at("v-1", "ana", "2026-11-16T08:10:00Z")],
    )
    .await;
    ingest_training(&app, vec![training_assignment("t-1", "ana")]).await;
    ingest_agent_time(&app, vec![agent_day("d-1", "ana", "2026-11-02")]).await;
    ingest_interactions(
        &app,
        vec![pb::Interaction {
            voided: true,
            ..call("i-2", "ana", "2026-11-03T09:00:00Z")
        }],
    )
    .await;
    app
}

async fn list(
    app: &TestApp,
    period: pb::PeriodSelector,
    page_size: i32,
    page_token: String,
) -> Result<pb::ListAgentRecordsResponse, tonic::Status> {
    app.scorecards()
        .list_agent_records(pb::ListAgentRecordsRequest {
            agent_id: "ana".into(),
            period: Some(period),
            page_size,
            page_token,
        })
        .await
        .map(tonic::Response::into_inner)
}

fn ids(records: &[pb::AgentRecord]) -> Vec<String> {
    records
        .iter()
        .map(|record| record.key.as_ref().unwrap().external_id.clone())
        .collect()
}

async fn records_of_every_kind_page_by_instant_then_kind(backend: Backend) {
    let app = anas_november_records(backend).await;

    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let page = list(&app, month("2026-11"), 3, token).await.unwrap();
        pages.push(ids(&page.records));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }

    assert_eq!(
        pages,
        vec![
            vec!["d-1", "i-1", "s-1"],
            vec!["i-2", "q-1", "c-1"],
            vec!["v-1", "t-1"],
        ]
    );
}

async fn each_record_names_its_team_and_whether_it_counts(backend: Backend) {
    let app = anas_november_records(backend).await;

    let records = list(&app, month("2026-11"), 0, String::new())
        .await
        .unwrap()
        .records;

    let described: Vec<(String, pb::RecordKind, String, bool)> = records
        .iter()
        .map(|record| {
            (
                record.key.as_ref().unwrap().external_id.clone(),
                record.kind(),
                record.team_id.clone(),
                record.voided,
            )
        })
        .collect();
    let row = |id: &str, kind, team: &str, voided| (id.to_owned(), kind, team.to_owned(), voided);
    use pb::RecordKind::*;
    assert_eq!(
        described,
        vec![
            row("d-1", AgentTime, "red", false),
            row("i-1", Interaction, "red", false),
            row("s-1", SurveyResponse, "red", false),
            row("i-2", Interaction, "red", true),
            // Linked to the void i-2: it counts nowhere either.
            row("q-1", QaEvaluation, "red", true),
            row("c-1", ComplianceCheck, "red", false),
            row("v-1", Violation, "blue", false),
            row("t-1", TrainingAssignment, "blue", false),
        ]
    );
    // The survey is placed at its call's end, not at its response.
    assert_eq!(records[2].count_time, Some(at("2026-11-02T09:00:00Z")));
    assert_eq!(records[2].agent_id, "ana");
}

async fn bad_requests_are_refused(backend: Backend) {
    let app = anas_november_records(backend).await;

    let negative = list(&app, month("2026-11"), -1, String::new())
        .await
        .unwrap_err();
    assert_eq!(field_violations(&negative)[0].0, "page_size");
    let forged = list(&app, month("2026-11"), 2, "not-a-token".into())
        .await
        .unwrap_err();
    assert_eq!(forged.code(), tonic::Code::InvalidArgument);
    // Pay periods are calendar months here.
    let half = list(&app, pay_period("2026-11-H1"), 0, String::new())
        .await
        .unwrap_err();
    assert_eq!(field_violations(&half)[0].0, "period.pay_period");
    let unknown = app
        .scorecards()
        .list_agent_records(pb::ListAgentRecordsRequest {
            agent_id: "nobody".into(),
            period: Some(month("2026-11")),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    // A calendar-month pay period works as a pay_period selector too.
    let by_id = list(&app, pay_period("2026-11"), 0, String::new())
        .await
        .unwrap();
    assert_eq!(by_id.records.len(), 8);
}
