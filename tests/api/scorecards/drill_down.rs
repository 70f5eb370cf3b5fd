//! The drill-down to the interactions behind a score: the period's
//! interactions of an agent by end time, as stored, in pages.

use kpi_service::grpc::pb;

use crate::{
    on_both_backends,
    support::{
        app::{at, spawn_app, Backend, TestApp},
        ingest::ingest_interactions,
        periods::month,
        records::call,
        scorecards::{agent_scorecard, kpi},
    },
};

on_both_backends!(
    drill_down_pages_through_the_periods_interactions_by_end_time,
    drill_down_shows_the_stored_correction,
    drill_down_without_a_page_size_returns_every_interaction,
    drill_down_lists_what_the_scorecard_counts,
);

/// Ana's calls: i-1 (Nov 3), i-2 (Nov 2), i-3 (Nov 4, then voided), i-4
/// (October), i-5 (Nov 10, then corrected to 500 s talk); one of bob's.
/// November's, by ended_at: i-2, i-1, i-5.
async fn anas_calls_with_a_void_and_a_correction(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    ingest_interactions(
        &app,
        vec![
            call("i-1", "ana", "2026-11-03T10:00:00Z"),
            call("i-2", "ana", "2026-11-02T09:00:00Z"),
            call("i-3", "ana", "2026-11-04T09:00:00Z"),
            call("i-4", "ana", "2026-10-20T09:00:00Z"),
            call("i-5", "ana", "2026-11-10T09:00:00Z"),
            call("other", "bob", "2026-11-05T09:00:00Z"),
        ],
    )
    .await;
    ingest_interactions(
        &app,
        vec![
            pb::Interaction {
                voided: true,
                ..call("i-3", "ana", "2026-11-04T09:00:00Z")
            },
            pb::Interaction {
                talk_seconds: 500,
                ..call("i-5", "ana", "2026-11-10T09:00:00Z")
            },
        ],
    )
    .await;
    app
}

async fn page(
    app: &TestApp,
    page_size: i32,
    page_token: &str,
) -> pb::ListAgentInteractionsResponse {
    app.scorecards()
        .list_agent_interactions(pb::ListAgentInteractionsRequest {
            agent_id: "ana".into(),
            period: Some(month("2026-11")),
            page_size,
            page_token: page_token.into(),
        })
        .await
        .unwrap()
        .into_inner()
}

fn ids(reply: &pb::ListAgentInteractionsResponse) -> Vec<String> {
    reply
        .interactions
        .iter()
        .map(|stored| stored.interaction.as_ref().unwrap().external_id.clone())
        .collect()
}

async fn drill_down_pages_through_the_periods_interactions_by_end_time(backend: Backend) {
    let app = anas_calls_with_a_void_and_a_correction(backend).await;

    let first = page(&app, 2, "").await;
    let second = page(&app, 2, &first.next_page_token).await;

    // Not i-3 (void), i-4 (October) or bob's.
    assert_eq!(ids(&first), vec!["i-2", "i-1"]);
    assert!(!first.next_page_token.is_empty());
    assert_eq!(ids(&second), vec!["i-5"]);
    assert!(second.next_page_token.is_empty());
}

async fn drill_down_shows_the_stored_correction(backend: Backend) {
    let app = anas_calls_with_a_void_and_a_correction(backend).await;

    let whole = page(&app, 0, "").await;

    let corrected = whole
        .interactions
        .iter()
        .find(|stored| stored.interaction.as_ref().unwrap().external_id == "i-5")
        .unwrap();
    assert_eq!(corrected.interaction.as_ref().unwrap().talk_seconds, 500);
    assert_eq!(
        corrected.interaction.as_ref().unwrap().ended_at,
        Some(at("2026-11-10T09:00:00Z"))
    );
    assert_eq!(corrected.recorded_team_id, "");
}

async fn drill_down_without_a_page_size_returns_every_interaction(backend: Backend) {
    let app = anas_calls_with_a_void_and_a_correction(backend).await;

    let whole = page(&app, 0, "").await;

    assert_eq!(ids(&whole), vec!["i-2", "i-1", "i-5"]);
    assert!(whole.next_page_token.is_empty());
}

async fn drill_down_lists_what_the_scorecard_counts(backend: Backend) {
    let app = anas_calls_with_a_void_and_a_correction(backend).await;

    let whole = page(&app, 0, "").await;
    let scorecard = agent_scorecard(&app, "ana", month("2026-11")).await;

    assert_eq!(
        kpi(&scorecard, "contacts_handled").value,
        Some(whole.interactions.len() as f64)
    );
    assert_eq!(kpi(&scorecard, "contacts_handled").value, Some(3.0));
}
