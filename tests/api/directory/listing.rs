//! Listing teams and agents pages through every item exactly once; page
//! tokens belong to their query.

use kpi_service::grpc::pb;
use tonic::Code;

use super::{agent, team};
use crate::{
    on_both_backends,
    support::app::{field_violations, spawn_app, Backend, TestApp},
};

on_both_backends!(
    teams_page_through_every_team_exactly_once,
    a_teams_agents_page_in_id_order,
    a_page_token_is_bound_to_its_team_filter,
    bad_page_requests_are_invalid,
    listing_the_agents_of_an_unknown_team_is_not_found,
);

/// Seven teams, team-0 to team-6; agents 0, 2 and 4 in team-0, 1 and 3 in
/// team-1.
async fn seven_teams_and_five_agents(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    let mut directory = app.directory();
    for n in 0..7 {
        directory
            .upsert_team(team(&format!("team-{n}"), ""))
            .await
            .unwrap();
    }
    for n in 0..5 {
        let team_id = if n % 2 == 0 { "team-0" } else { "team-1" };
        directory
            .upsert_agent(agent(&format!("agent-{n}"), team_id))
            .await
            .unwrap();
    }
    app
}

fn agents_of_team_0(page_token: &str) -> pb::ListAgentsRequest {
    pb::ListAgentsRequest {
        page_size: 2,
        page_token: page_token.into(),
        team_id: "team-0".into(),
    }
}

fn agent_ids(page: &pb::ListAgentsResponse) -> Vec<&str> {
    page.agents
        .iter()
        .map(|agent| agent.agent_id.as_str())
        .collect()
}

async fn teams_page_through_every_team_exactly_once(backend: Backend) {
    let app = seven_teams_and_five_agents(backend).await;
    let mut directory = app.directory();

    let mut seen = Vec::new();
    let mut page_sizes = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = directory
            .list_teams(pb::ListTeamsRequest {
                page_size: 3,
                page_token: page_token.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        page_sizes.push(page.teams.len());
        seen.extend(page.teams.into_iter().map(|team| team.team_id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }

    assert_eq!(page_sizes, vec![3, 3, 1]);
    let expected: Vec<String> = (0..7).map(|n| format!("team-{n}")).collect();
    assert_eq!(seen, expected);
}

async fn a_teams_agents_page_in_id_order(backend: Backend) {
    let app = seven_teams_and_five_agents(backend).await;
    let mut directory = app.directory();

    let first = directory
        .list_agents(agents_of_team_0(""))
        .await
        .unwrap()
        .into_inner();
    let second = directory
        .list_agents(agents_of_team_0(&first.next_page_token))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(agent_ids(&first), vec!["agent-0", "agent-2"]);
    assert_eq!(agent_ids(&second), vec!["agent-4"]);
    assert!(second.next_page_token.is_empty());
}

async fn a_page_token_is_bound_to_its_team_filter(backend: Backend) {
    let app = seven_teams_and_five_agents(backend).await;
    let mut directory = app.directory();
    let first = directory
        .list_agents(agents_of_team_0(""))
        .await
        .unwrap()
        .into_inner();

    let status = directory
        .list_agents(pb::ListAgentsRequest {
            team_id: "team-1".into(),
            ..agents_of_team_0(&first.next_page_token)
        })
        .await
        .unwrap_err();

    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "a token is bound to its filter"
    );
    assert_eq!(field_violations(&status)[0].0, "page_token");
}

async fn bad_page_requests_are_invalid(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        ("negative page size", -1, "", "page_size"),
        ("garbage token", 0, "garbage", "page_token"),
    ];
    for (case, page_size, page_token, field) in cases {
        let status = app
            .directory()
            .list_teams(pb::ListTeamsRequest {
                page_size,
                page_token: page_token.into(),
            })
            .await
            .expect_err(case);
        assert_eq!(status.code(), Code::InvalidArgument, "{case}");
        assert_eq!(field_violations(&status)[0].0, field, "{case}");
    }
}

async fn listing_the_agents_of_an_unknown_team_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;

    let status = app
        .directory()
        .list_agents(pb::ListAgentsRequest {
            page_size: 0,
            page_token: String::new(),
            team_id: "ghost".into(),
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::NotFound);
}
