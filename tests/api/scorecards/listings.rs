//! A payroll run pages an open month while data keeps arriving: every agent
//! of the run appears exactly once, and a score-ordered listing whose
//! numbers moved is refused rather than skipping or repeating an agent.

use kpi_service::grpc::pb;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{
        app::{error_reason, spawn_app, Backend, TestApp},
        ingest::ingest_interactions,
        periods::month,
        records::call,
    },
};

on_both_backends!(
    a_listing_by_agent_id_returns_every_agent_once_while_data_arrives,
    a_listing_by_score_serves_the_next_page_while_the_numbers_stand,
    a_listing_by_score_refuses_a_page_computed_on_moved_numbers,
);

async fn page(
    app: &TestApp,
    order: pb::ScorecardOrder,
    token: &str,
) -> Result<pb::ListAgentScorecardsResponse, tonic::Status> {
    app.scorecards()
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: Some(month("2026-11")),
            order: order as i32,
            page_size: 2,
            page_token: token.into(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn a_listing_by_agent_id_returns_every_agent_once_while_data_arrives(backend: Backend) {
    let app = spawn_app(backend).await;
    let agents = ["a1", "a2", "a3", "a4", "a5"];
    ingest_interactions(
        &app,
        agents
            .iter()
            .map(|agent| call(&format!("{agent}-1"), agent, "2026-11-02T09:00:00Z"))
            .collect(),
    )
    .await;
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut round = 0;
    loop {
        let answer = page(&app, pb::ScorecardOrder::AgentId, &token)
            .await
            .unwrap();
        seen.extend(answer.scorecards.iter().map(|card| card.agent_id.clone()));
        if answer.next_page_token.is_empty() {
            break;
        }
        token = answer.next_page_token;
        // Between pages: more calls, and agents new to the directory both
        // before and after the cursor.
        round += 1;
        ingest_interactions(
            &app,
            vec![
                call(&format!("a1-x{round}"), "a1", "2026-11-03T09:00:00Z"),
                call(
                    &format!("a0-{round}"),
                    &format!("a0{round}"),
                    "2026-11-03T09:00:00Z",
                ),
                call(
                    &format!("a9-{round}"),
                    &format!("a9{round}"),
                    "2026-11-03T09:00:00Z",
                ),
            ],
        )
        .await;
    }
    assert_eq!(seen, agents);
}

/// Agents b1, b2 and b3 with one call each on Nov 2.
async fn three_agents(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    ingest_interactions(
        &app,
        ["b1", "b2", "b3"]
            .iter()
            .map(|agent| call(&format!("{agent}-1"), agent, "2026-11-02T09:00:00Z"))
            .collect(),
    )
    .await;
    app
}

async fn a_listing_by_score_serves_the_next_page_while_the_numbers_stand(backend: Backend) {
    let app = three_agents(backend).await;
    let first = page(&app, pb::ScorecardOrder::CompositeScoreDesc, "")
        .await
        .unwrap();
    assert_eq!(first.scorecards.len(), 2);

    let second = page(
        &app,
        pb::ScorecardOrder::CompositeScoreDesc,
        &first.next_page_token,
    )
    .await
    .unwrap();

    assert_eq!(second.scorecards.len(), 1);
}

async fn a_listing_by_score_refuses_a_page_computed_on_moved_numbers(backend: Backend) {
    let app = three_agents(backend).await;
    let first = page(&app, pb::ScorecardOrder::CompositeScoreDesc, "")
        .await
        .unwrap();

    // A correction moves the numbers: the old token is refused.
    let mut corrected = call("b2-1", "b2", "2026-11-02T09:00:00Z");
    corrected.escalated = true;
    ingest_interactions(&app, vec![corrected]).await;

    let refused = page(
        &app,
        pb::ScorecardOrder::CompositeScoreDesc,
        &first.next_page_token,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Code::Aborted);
    assert_eq!(error_reason(&refused).as_deref(), Some("DATA_CHANGED"));
}
