//! Teams and agents are upserted and read back; unknown ids are refused.

use kpi_service::grpc::pb;
use tonic::Code;
use tonic_types::StatusExt;

use super::{agent, team};
use crate::{
    on_both_backends,
    support::{
        app::{error_reason, field_violations, spawn_app, Backend},
        directory::add_team,
    },
};

on_both_backends!(
    a_new_team_is_reported_created,
    upserting_a_known_team_renames_it,
    an_agent_is_created_in_its_team,
    an_agent_in_an_unknown_team_is_refused,
    a_team_upsert_without_a_team_is_invalid,
    an_unknown_agent_is_not_found_with_resource_info,
    an_unknown_team_is_not_found,
);

async fn a_new_team_is_reported_created(backend: Backend) {
    let app = spawn_app(backend).await;

    let created = app
        .directory()
        .upsert_team(team("red", "Red team"))
        .await
        .unwrap()
        .into_inner();

    assert!(created.created);
}

async fn upserting_a_known_team_renames_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut directory = app.directory();
    directory
        .upsert_team(team("red", "Red team"))
        .await
        .unwrap();

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
}

async fn an_agent_is_created_in_its_team(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;

    let ana = app
        .directory()
        .upsert_agent(agent("ana", "red"))
        .await
        .unwrap()
        .into_inner();

    assert!(ana.created);
    assert_eq!(ana.agent.unwrap().team_id, "red");
}

async fn an_agent_in_an_unknown_team_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;

    let status = app
        .directory()
        .upsert_agent(agent("bob", "no-such-team"))
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "agent.team_id");
}

async fn a_team_upsert_without_a_team_is_invalid(backend: Backend) {
    let app = spawn_app(backend).await;

    let status = app
        .directory()
        .upsert_team(pb::UpsertTeamRequest { team: None })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "team");
}

async fn an_unknown_agent_is_not_found_with_resource_info(backend: Backend) {
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
}

async fn an_unknown_team_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;

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
