//! The directory of teams and agents.

use kpi_service::grpc::pb;
use tonic::Code;
use tonic_types::StatusExt;

use crate::{
    helpers::{error_reason, field_violations, spawn_app, Backend},
    on_both_backends,
};

on_both_backends!(
    teams_and_agents_are_upserted_and_read_back,
    unknown_ids_are_not_found_with_resource_info,
    listing_pages_through_every_item_exactly_once,
    bad_page_requests_are_invalid_arguments,
);

fn team(team_id: &str, name: &str) -> pb::UpsertTeamRequest {
    pb::UpsertTeamRequest {
        team: Some(pb::Team {
            team_id: team_id.into(),
            display_name: name.into(),
            ..Default::default()
        }),
    }
}

fn agent(agent_id: &str, team_id: &str) -> pb::UpsertAgentRequest {
    pb::UpsertAgentRequest {
        agent: Some(pb::Agent {
            agent_id: agent_id.into(),
            team_id: team_id.into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn teams_and_agents_are_upserted_and_read_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut directory = app.directory();

    let created = directory
        .upsert_team(team("red", "Red team"))
        .await
        .unwrap()
        .into_inner();
    assert!(created.created);
    let renamed = directory
        .upsert_team(team("red", "Team Red"))
        .await
        .unwrap()
        .into_inner();
    assert!(!renamed.created);
    let stored = directory
        .get_team(pb::GetTeamRequest {
            team_id: "red".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .team
        .unwrap();
    assert_eq!(stored.display_name, "Team Red");
    assert!(stored.create_time.is_some() && stored.update_time.is_some());

    let ana = directory
        .upsert_agent(agent("ana", "red"))
        .await
        .unwrap()
        .into_inner();
    assert!(ana.created);
    assert_eq!(ana.agent.unwrap().team_id, "red");

    let status = directory
        .upsert_agent(agent("bob", "no-such-team"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "agent.team_id");
    let status = directory
        .upsert_team(pb::UpsertTeamRequest { team: None })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "team");
}

async fn unknown_ids_are_not_found_with_resource_info(backend: Backend) {
    let app = spawn_app(backend).await;
    let status = app
        .directory()
        .get_agent(pb::GetAgentRequest {
            agent_id: "ghost".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(error_reason(&status).as_deref(), Some("AGENT_NOT_FOUND"));
    let resource = status
        .get_details_resource_info()
        .expect("a ResourceInfo detail");
    assert_eq!(
        (
            resource.resource_type.as_str(),
            resource.resource_name.as_str()
        ),
        ("agent", "ghost")
    );

    let status = app
        .directory()
        .get_team(pb::GetTeamRequest {
            team_id: "ghost".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(error_reason(&status).as_deref(), Some("TEAM_NOT_FOUND"));
}

async fn listing_pages_through_every_item_exactly_once(backend: Backend) {
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

    let first = directory
        .list_agents(pb::ListAgentsRequest {
            page_size: 2,
            page_token: String::new(),
            team_id: "team-0".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        first
            .agents
            .iter()
            .map(|a| a.agent_id.as_str())
            .collect::<Vec<_>>(),
        vec!["agent-0", "agent-2"]
    );
    let second = directory
        .list_agents(pb::ListAgentsRequest {
            page_size: 2,
            page_token: first.next_page_token.clone(),
            team_id: "team-0".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        second
            .agents
            .iter()
            .map(|a| a.agent_id.as_str())
            .collect::<Vec<_>>(),
        vec!["agent-4"]
    );
    assert!(second.next_page_token.is_empty());

    let status = directory
        .list_agents(pb::ListAgentsRequest {
            page_size: 2,
            page_token: first.next_page_token,
            team_id: "team-1".into(),
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

async fn bad_page_requests_are_invalid_arguments(backend: Backend) {
    let app = spawn_app(backend).await;
    let status = app
        .directory()
        .list_teams(pb::ListTeamsRequest {
            page_size: -1,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "page_size");

    let status = app
        .directory()
        .list_teams(pb::ListTeamsRequest {
            page_size: 0,
            page_token: "garbage".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "page_token");

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
