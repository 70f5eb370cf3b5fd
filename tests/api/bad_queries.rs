//! Bad scorecard queries get clear errors, never an empty success.

use kpi_service::grpc::pb;

use tonic::Code;

use crate::{
    helpers::{at, error_reason, field_violations, spawn_app, Backend},
    kpi_fixtures::*,
    on_both_backends,
};

on_both_backends!(bad_queries_are_rejected_clearly);

fn invalid_fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(error_reason(status).as_deref(), Some("INVALID_FIELDS"));
    field_violations(status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

fn assert_not_found(status: &tonic::Status, reason: &str) {
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert_eq!(error_reason(status).as_deref(), Some(reason));
}

async fn bad_queries_are_rejected_clearly(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    ingest_interactions(
        &app,
        vec![
            call("c-1", "ana", "2026-11-02T09:05:00Z"),
            call("c-2", "bob", "2026-11-02T09:05:00Z"),
        ],
    )
    .await;
    let mut client = app.scorecards();
    let november = || Some(month("2026-11"));

    // Unknown agent or team.
    let status = client
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "ghost".into(),
            period: november(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_not_found(&status, "AGENT_NOT_FOUND");
    let status = client
        .get_team_scorecard(pb::GetTeamScorecardRequest {
            team_id: "ghost-team".into(),
            period: november(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_not_found(&status, "TEAM_NOT_FOUND");
    let status = client
        .list_agent_interactions(pb::ListAgentInteractionsRequest {
            agent_id: "ghost".into(),
            period: november(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_not_found(&status, "AGENT_NOT_FOUND");
    let status = client
        .list_threshold_breaches(pb::ListThresholdBreachesRequest {
            team_id: "ghost-team".into(),
            period: november(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_not_found(&status, "TEAM_NOT_FOUND");

    // Bad periods.
    let without_end = pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Custom(pb::TimeRange {
            start_time: Some(at("2026-11-01T00:00:00Z")),
            end_time: None,
        })),
    };
    let bad_periods = [
        ("missing", None),
        ("empty", Some(pb::PeriodSelector { period: None })),
        ("month 13", Some(day("2026-13-01"))),
        ("not a month", Some(month("November"))),
        ("not a week", Some(iso_week("2026-11"))),
        (
            "end before start",
            Some(custom("2026-11-10T00:00:00Z", "2026-11-01T00:00:00Z")),
        ),
        (
            "367 days",
            Some(custom("2025-10-01T00:00:00Z", "2026-10-03T00:00:00Z")),
        ),
        ("no end", Some(without_end)),
    ];
    for (case, period) in bad_periods {
        let status = client
            .get_agent_scorecard(pb::GetAgentScorecardRequest {
                agent_id: "ana".into(),
                period,
                ..Default::default()
            })
            .await
            .expect_err(case);
        let fields = invalid_fields(&status);
        assert!(
            fields.iter().any(|field| field.starts_with("period")),
            "{case}: {fields:?}"
        );
    }
    // 366 days is the longest period allowed.
    let longest = custom("2025-11-03T00:00:00Z", "2026-11-04T00:00:00Z");
    let scorecard = agent_scorecard(&app, "ana", longest).await;
    assert_eq!(kpi(&scorecard, "contacts_handled").value, Some(1.0));
    let status = client
        .list_threshold_breaches(pb::ListThresholdBreachesRequest::default())
        .await
        .unwrap_err();
    assert!(invalid_fields(&status)
        .iter()
        .any(|field| field.starts_with("period")));

    // Unknown KPI ids.
    let status = client
        .list_threshold_breaches(pb::ListThresholdBreachesRequest {
            period: november(),
            kpi_ids: vec!["bogus".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(invalid_fields(&status).contains(&"kpi_ids[0]".to_string()));
    let status = client
        .get_kpi_trend(pb::GetKpiTrendRequest {
            subject: Some(pb::get_kpi_trend_request::Subject::AgentId("ana".into())),
            kpi_ids: vec!["aht".into(), "bogus".into()],
            period: november(),
            granularity: pb::TrendGranularity::Week as i32,
        })
        .await
        .unwrap_err();
    assert!(invalid_fields(&status).contains(&"kpi_ids[1]".to_string()));

    // Negative page sizes.
    let status = client
        .list_threshold_breaches(pb::ListThresholdBreachesRequest {
            period: november(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(invalid_fields(&status).contains(&"page_size".to_string()));
    let status = client
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: november(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(invalid_fields(&status).contains(&"page_size".to_string()));
    let status = client
        .list_agent_interactions(pb::ListAgentInteractionsRequest {
            agent_id: "ana".into(),
            period: november(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(invalid_fields(&status).contains(&"page_size".to_string()));

    // A page token belongs to the query it was issued for.
    let first = client
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: november(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.scorecards.len(), 1);
    assert_eq!(first.scorecards[0].agent_id, "ana");
    assert!(!first.next_page_token.is_empty(), "bob is still to come");
    let status = client
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            team_id: "red".into(),
            period: november(),
            page_size: 1,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(invalid_fields(&status).contains(&"page_token".to_string()));
    let status = client
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: november(),
            page_token: "not-a-token".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(invalid_fields(&status).contains(&"page_token".to_string()));
    // Used as issued, the token gives the second and last page.
    let second = client
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: november(),
            page_size: 1,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.scorecards.len(), 1);
    assert_eq!(second.scorecards[0].agent_id, "bob");
    assert!(second.next_page_token.is_empty());
}
