//! An agent's month is judged by the policy of the team the agent belonged
//! to at its start, or, for an agent who joined during it, the first team
//! within it (catalogue, "Team membership").

use kpi_service::grpc::pb;
use pb::KpiStatus::{Breached, Met};

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        directory::{add_team, move_agent, put_agent},
        ingest::ingest_interactions,
        periods::month,
        policies::{at_most, create_policy},
        records::call,
        scorecards::{assert_judged, policy_id},
    },
};

use super::interaction_teams;

on_both_backends!(
    a_record_before_the_agents_first_team_counts_for_no_team,
    an_agents_month_is_judged_by_the_policy_of_the_team_at_its_start,
    the_month_after_a_move_is_judged_by_the_new_team,
    an_agent_who_joined_during_the_month_is_judged_by_the_first_team,
);

/// The ids of red's and blue's policies.
struct Policies {
    red: i64,
    blue: i64,
}

/// Red's policy meets every call's 300 s handle time (AHT <= 400), blue's
/// breaches it (AHT <= 200). Cai is red, then blue from Oct 16; eve has no
/// team until she joins blue on Oct 10. Cai's calls on Oct 5, Oct 20 and
/// Nov 3; eve's on Oct 5 and Oct 12.
async fn cai_and_eve_change_teams_in_october(backend: Backend) -> (TestApp, Policies) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    let red = create_policy(&app, "red", "2026-01-01", 10.0, vec![at_most("aht", 400.0)]).await;
    let blue = create_policy(
        &app,
        "blue",
        "2026-01-01",
        90.0,
        vec![at_most("aht", 200.0)],
    )
    .await;
    put_agent(&app, "cai", "red").await;
    move_agent(&app, "cai", "blue", "2026-10-16").await;
    put_agent(&app, "eve", "").await;
    move_agent(&app, "eve", "blue", "2026-10-10").await;
    ingest_interactions(
        &app,
        vec![
            call("c-1", "cai", "2026-10-05T10:00:00Z"),
            call("c-2", "cai", "2026-10-20T10:00:00Z"),
            call("e-1", "eve", "2026-10-05T10:00:00Z"),
            call("e-2", "eve", "2026-10-12T10:00:00Z"),
            call("c-3", "cai", "2026-11-03T10:00:00Z"),
        ],
    )
    .await;
    let policies = Policies {
        red: red.policy_version_id,
        blue: blue.policy_version_id,
    };
    (app, policies)
}

async fn cais_month(app: &TestApp, month_id: &str) -> pb::GetAgentScorecardResponse {
    app.scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "cai".into(),
            period: Some(month(month_id)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

async fn a_record_before_the_agents_first_team_counts_for_no_team(backend: Backend) {
    let (app, _) = cai_and_eve_change_teams_in_october(backend).await;

    let rows = interaction_teams(&app).await;

    assert!(rows.contains(&("e-1".to_owned(), None)));
    assert!(rows.contains(&("e-2".to_owned(), Some("blue".to_owned()))));
}

async fn an_agents_month_is_judged_by_the_policy_of_the_team_at_its_start(backend: Backend) {
    let (app, policies) = cai_and_eve_change_teams_in_october(backend).await;

    let response = cais_month(&app, "2026-10").await;

    // Cai was red on Oct 1, so red's policy judges his month (300 s meets
    // <= 400 s, margin 100), although half of it was spent in blue.
    assert_eq!(response.team_id, "red");
    let october = response.scorecard.unwrap();
    assert_eq!(policy_id(&october), policies.red);
    assert_judged(&october, "aht", Some(300.0), Met, Some(100.0));
}

async fn the_month_after_a_move_is_judged_by_the_new_team(backend: Backend) {
    let (app, policies) = cai_and_eve_change_teams_in_october(backend).await;

    let response = cais_month(&app, "2026-11").await;

    // Blue on Nov 1: 300 s breaches <= 200 s by 100.
    assert_eq!(response.team_id, "blue");
    let november = response.scorecard.unwrap();
    assert_eq!(policy_id(&november), policies.blue);
    assert_judged(&november, "aht", Some(300.0), Breached, Some(-100.0));
}

async fn an_agent_who_joined_during_the_month_is_judged_by_the_first_team(backend: Backend) {
    let (app, policies) = cai_and_eve_change_teams_in_october(backend).await;

    let listed = app
        .scorecards()
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: Some(month("2026-10")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    let judged: Vec<(String, String, i64)> = listed
        .scorecards
        .iter()
        .map(|card| {
            (
                card.agent_id.clone(),
                card.team_id.clone(),
                policy_id(card.scorecard.as_ref().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        judged,
        vec![
            ("cai".to_owned(), "red".to_owned(), policies.red),
            ("eve".to_owned(), "blue".to_owned(), policies.blue),
        ]
    );
    let eve = &listed.scorecards[1];
    assert_judged(
        eve.scorecard.as_ref().unwrap(),
        "aht",
        Some(300.0),
        Breached,
        Some(-100.0),
    );
}
