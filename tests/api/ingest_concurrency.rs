//! Racing deliveries: outcomes say what each call did, and the rollups
//! count every record once.

use kpi_service::grpc::pb;

use crate::{
    fixtures::{interaction, interactions, outcomes},
    helpers::{field_violations, spawn_app, spawn_app_with, Backend},
    kpi_fixtures::{add_team, agent_scorecard, kpi, month, put_agent},
    on_both_backends,
};

on_both_backends!(
    concurrent_identical_deliveries_create_each_record_once,
    a_batch_may_register_only_so_many_new_agents,
);

async fn concurrent_identical_deliveries_create_each_record_once(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    // Known already: registering a new agent would itself serialise the race.
    put_agent(&app, "ana", "red").await;
    let batch: Vec<pb::Interaction> = (0..200)
        .map(|n| interaction(&format!("race-{n}"), "ana"))
        .collect();
    let senders = 16;
    let calls = (0..senders).map(|_| {
        let mut client = app.ingest();
        let request = interactions(batch.clone());
        tokio::spawn(async move { client.ingest_interactions(request).await })
    });
    let mut created = 0;
    let mut unchanged = 0;
    for call in calls {
        let reply = call.await.unwrap().expect("a racing delivery failed");
        for outcome in outcomes(&reply.into_inner().results) {
            match outcome {
                pb::IngestOutcome::Created => created += 1,
                pb::IngestOutcome::Unchanged => unchanged += 1,
                other => panic!("unexpected outcome {other:?}"),
            }
        }
    }
    assert_eq!((created, unchanged), (200, 200 * (senders - 1)));
    let scorecard = agent_scorecard(&app, "ana", month("2026-11")).await;
    assert_eq!(kpi(&scorecard, "contacts_handled").value, Some(200.0));
    assert_eq!(kpi(&scorecard, "aht").numerator, 200.0 * 300.0);
}

async fn a_batch_may_register_only_so_many_new_agents(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.ingest.max_new_agents_per_batch = 3;
    })
    .await;
    let batch = |agents: &[&str]| {
        interactions(
            agents
                .iter()
                .enumerate()
                .map(|(n, agent)| interaction(&format!("{agent}-{n}"), agent))
                .collect(),
        )
    };
    let refused = app
        .ingest()
        .ingest_interactions(batch(&["a1", "a2", "a2", "a3", "a4"]))
        .await
        .expect_err("four new agents in one batch must be refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    let violations = field_violations(&refused);
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].0, "interactions[4].agent_id");
    assert!(violations[0].1.contains("more than 3 agents"));
    assert_eq!(app.count_rows("agents").await, 0);
    assert_eq!(app.count_rows("interactions").await, 0);

    let accepted = app
        .ingest()
        .ingest_interactions(batch(&["a1", "a2", "a3", "a1"]))
        .await
        .expect("three new agents are within the limit")
        .into_inner();
    assert_eq!(accepted.registered_agent_ids, vec!["a1", "a2", "a3"]);
}
