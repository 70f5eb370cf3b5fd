//! Agents a record names are registered on first sight, without a team,
//! up to `ingest.max_new_agents_per_batch` per batch.

use kpi_service::grpc::pb;

use crate::{
    on_both_backends,
    support::{
        app::{field_violations, spawn_app, spawn_app_with, Backend, TestApp},
        directory::get_agent,
        ingest::{ingest_interactions, interactions},
        records::interaction,
    },
};

on_both_backends!(
    unknown_agents_are_registered_on_first_sight_once_each,
    a_registered_agent_has_no_team,
    a_known_agent_is_not_registered_again,
    a_batch_with_too_many_new_agents_is_refused_at_the_first_one_over,
    a_batch_refused_for_too_many_new_agents_writes_nothing,
    new_agents_within_the_limit_are_registered,
);

fn three_calls_of_two_new_agents() -> Vec<pb::Interaction> {
    vec![
        interaction("call-1", "new-agent"),
        interaction("call-2", "new-agent"),
        interaction("call-3", "other-new-agent"),
    ]
}

async fn unknown_agents_are_registered_on_first_sight_once_each(backend: Backend) {
    let app = spawn_app(backend).await;

    let reply = app
        .ingest()
        .ingest_interactions(interactions(three_calls_of_two_new_agents()))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(
        reply.registered_agent_ids,
        vec!["new-agent", "other-new-agent"]
    );
}

async fn a_registered_agent_has_no_team(backend: Backend) {
    let app = spawn_app(backend).await;

    ingest_interactions(&app, three_calls_of_two_new_agents()).await;

    assert_eq!(get_agent(&app, "new-agent").await.team_id, "");
}

async fn a_known_agent_is_not_registered_again(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, three_calls_of_two_new_agents()).await;

    let reply = app
        .ingest()
        .ingest_interactions(interactions(vec![interaction("call-4", "new-agent")]))
        .await
        .unwrap()
        .into_inner();

    assert!(
        reply.registered_agent_ids.is_empty(),
        "registered only once"
    );
}

/// An app that registers at most three new agents per batch.
async fn three_new_agents_per_batch(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.ingest.max_new_agents_per_batch = 3;
    })
    .await
}

/// One interaction per named agent, in order.
fn one_call_each(agents: &[&str]) -> pb::IngestInteractionsRequest {
    interactions(
        agents
            .iter()
            .enumerate()
            .map(|(n, agent)| interaction(&format!("{agent}-{n}"), agent))
            .collect(),
    )
}

/// Four new agents: a1, a2 (twice), a3, then a4 at index 4.
const FOUR_NEW_AGENTS: [&str; 5] = ["a1", "a2", "a2", "a3", "a4"];

async fn a_batch_with_too_many_new_agents_is_refused_at_the_first_one_over(backend: Backend) {
    let app = three_new_agents_per_batch(backend).await;

    let refused = app
        .ingest()
        .ingest_interactions(one_call_each(&FOUR_NEW_AGENTS))
        .await
        .expect_err("four new agents in one batch must be refused");

    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    let violations = field_violations(&refused);
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].0, "interactions[4].agent_id");
    assert!(violations[0].1.contains("more than 3 agents"));
}

async fn a_batch_refused_for_too_many_new_agents_writes_nothing(backend: Backend) {
    let app = three_new_agents_per_batch(backend).await;

    let _refused = app
        .ingest()
        .ingest_interactions(one_call_each(&FOUR_NEW_AGENTS))
        .await
        .expect_err("four new agents in one batch must be refused");

    assert_eq!(app.count_rows("agents").await, 0);
    assert_eq!(app.count_rows("interactions").await, 0);
}

async fn new_agents_within_the_limit_are_registered(backend: Backend) {
    let app = three_new_agents_per_batch(backend).await;

    let accepted = app
        .ingest()
        .ingest_interactions(one_call_each(&["a1", "a2", "a3", "a1"]))
        .await
        .expect("three new agents are within the limit")
        .into_inner();

    assert_eq!(accepted.registered_agent_ids, vec!["a1", "a2", "a3"]);
}
