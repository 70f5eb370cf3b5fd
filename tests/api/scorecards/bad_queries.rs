//! Bad scorecard queries get clear errors, never an empty success.

use kpi_service::grpc::pb;
use tonic::{Code, Status};

use crate::{
    on_both_backends,
    support::{
        app::{at, error_reason, field_violations, spawn_app, Backend, TestApp},
        directory::add_team,
        ingest::ingest_interactions,
        periods::{custom, day, iso_week, month},
        records::call,
        scorecards::{agent_scorecard, kpi},
    },
};

on_both_backends!(
    an_unknown_agent_or_team_is_not_found,
    a_malformed_or_missing_period_is_invalid,
    a_period_of_366_days_is_the_longest_allowed,
    breaches_without_a_period_are_invalid,
    an_unknown_kpi_id_is_invalid_at_its_index,
    a_negative_page_size_is_invalid,
    a_page_token_is_bound_to_its_query,
    a_page_token_that_was_never_issued_is_invalid,
    a_page_token_used_as_issued_gives_the_next_page,
);

/// Team red (no members); ana and bob with one call each on Nov 2.
async fn ana_and_bob_in_november(backend: Backend) -> TestApp {
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
    app
}

fn november() -> Option<pb::PeriodSelector> {
    Some(month("2026-11"))
}

/// The violated fields of an INVALID_ARGUMENT with reason INVALID_FIELDS.
fn invalid_fields(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(error_reason(status).as_deref(), Some("INVALID_FIELDS"));
    field_violations(status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

async fn an_unknown_agent_or_team_is_not_found(backend: Backend) {
    let app = ana_and_bob_in_november(backend).await;
    let mut client = app.scorecards();

    let refusals = [
        (
            "agent scorecard",
            client
                .get_agent_scorecard(pb::GetAgentScorecardRequest {
                    agent_id: "ghost".into(),
                    period: november(),
                    ..Default::default()
                })
                .await
                .map(drop),
            "AGENT_NOT_FOUND",
        ),
        (
            "team scorecard",
            client
                .get_team_scorecard(pb::GetTeamScorecardRequest {
                    team_id: "ghost-team".into(),
                    period: november(),
                    ..Default::default()
                })
                .await
                .map(drop),
            "TEAM_NOT_FOUND",
        ),
        (
            "drill-down",
            client
                .list_agent_interactions(pb::ListAgentInteractionsRequest {
                    agent_id: "ghost".into(),
                    period: november(),
                    ..Default::default()
                })
                .await
                .map(drop),
            "AGENT_NOT_FOUND",
        ),
        (
            "breaches of a team",
            client
                .list_threshold_breaches(pb::ListThresholdBreachesRequest {
                    team_id: "ghost-team".into(),
                    period: november(),
                    ..Default::default()
                })
                .await
                .map(drop),
            "TEAM_NOT_FOUND",
        ),
    ];

    for (case, outcome, reason) in refusals {
        let status = outcome.expect_err(case);
        assert_eq!(status.code(), Code::NotFound, "{case}: {status:?}");
        assert_eq!(error_reason(&status).as_deref(), Some(reason), "{case}");
    }
}

async fn a_malformed_or_missing_period_is_invalid(backend: Backend) {
    let app = ana_and_bob_in_november(backend).await;
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
        let status = app
            .scorecards()
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
}

async fn a_period_of_366_days_is_the_longest_allowed(backend: Backend) {
    let app = ana_and_bob_in_november(backend).await;

    let longest = custom("2025-11-03T00:00:00Z", "2026-11-04T00:00:00Z");
    let scorecard = agent_scorecard(&app, "ana", longest).await;

    assert_eq!(kpi(&scorecard, "contacts_handled").value, Some(1.0));
}

async fn breaches_without_a_period_are_invalid(backend: Backend) {
    let app = ana_and_bob_in_november(backend).await;

    let status = app
        .scorecards()
        .list_threshold_breaches(pb::ListThresholdBreachesRequest::default())
        .await
        .unwrap_err();

    assert!(invalid_fields(&status)
        .iter()
        .any(|field| field.starts_with("period")));
}

async fn an_unknown_kpi_id_is_invalid_at_its_index(backend: Backend) {
    let app = ana_and_bob_in_november(backend).await;
    let mut client = app.scorecards();

    let breaches = client
        .list_threshold_breaches(pb::ListThresholdBreachesRequest {
            period: november(),
            kpi_ids: vec!["bogus".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    let trend = client
        .get_kpi_trend(pb::GetKpiTrendRequest {
            consistency_token: String::new(),
            subject: Some(pb::get_kpi_trend_request::Subject::AgentId("ana".into())),
            kpi_ids: vec!["aht".into(), "bogus".into()],
            period: november(),
            granularity: pb::TrendGranularity::Week as i32,
        })
        .await
        .unwrap_err();

    assert!(invalid_fields(&breaches).contains(&"kpi_ids[0]".to_string()));
    assert!(invalid_fields(&trend).contains(&"kpi_ids[1]".to_string()));
}

async fn a_negative_page_size_is_invalid(backend: Backend) {
    let app = ana_and_bob_in_november(backend).await;
    let mut client = app.scorecards();

    let refusals = [
        (
            "breaches",
            client
                .list_threshold_breaches(pb::ListThresholdBreachesRequest {
                    period: november(),
                    page_size: -1,
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        (
            "agent scorecards",
            client
                .list_agent_scorecards(pb::ListAgentScorecardsRequest {
                    period: november(),
                    page_size: -1,
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        (
            "drill-down",
            client
                .list_agent_interactions(pb::ListAgentInteractionsRequest {
                    agent_id: "ana".into(),
                    period: november(),
                    page_size: -1,
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
    ];

    for (case, outcome) in refusals {
        let status = outcome.expect_err(case);
        assert!(
            invalid_fields(&status).contains(&"page_size".to_string()),
            "{case}"
        );
    }
}

fn scorecards_of_november(page_size: i32, page_token: &str) -> pb::ListAgentScorecardsRequest {
    pb::ListAgentScorecardsRequest {
        period: november(),
        page_size,
        page_token: page_token.into(),
        ..Default::default()
    }
}

async fn first_page_of_one(app: &TestApp) -> pb::ListAgentScorecardsResponse {
    app.scorecards()
        .list_agent_scorecards(scorecards_of_november(1, ""))
        .await
        .unwrap()
        .into_inner()
}

async fn a_page_token_is_bound_to_its_query(backend: Backend) {
    let app = ana_and_bob_in_november(backend).await;
    let first = first_page_of_one(&app).await;

    let status = app
        .scorecards()
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            team_id: "red".into(),
            ..scorecards_of_november(1, &first.next_page_token)
        })
        .await
        .unwrap_err();

    assert!(invalid_fields(&status).contains(&"page_token".to_string()));
}

async fn a_page_token_that_was_never_issued_is_invalid(backend: Backend) {
    let app = ana_and_bob_in_november(backend).await;

    let status = app
        .scorecards()
        .list_agent_scorecards(scorecards_of_november(0, "not-a-token"))
        .await
        .unwrap_err();

    assert!(invalid_fields(&status).contains(&"page_token".to_string()));
}

async fn a_page_token_used_as_issued_gives_the_next_page(backend: Backend) {
    let app = ana_and_bob_in_november(backend).await;
    let first = first_page_of_one(&app).await;
    assert_eq!(first.scorecards.len(), 1);
    assert_eq!(first.scorecards[0].agent_id, "ana");
    assert!(!first.next_page_token.is_empty(), "bob is still to come");

    let second = app
        .scorecards()
        .list_agent_scorecards(scorecards_of_november(1, &first.next_page_token))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(second.scorecards.len(), 1);
    assert_eq!(second.scorecards[0].agent_id, "bob");
    assert!(second.next_page_token.is_empty());
}
