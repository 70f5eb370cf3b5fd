//! Racing first deliveries that name the same new agents: each agent is
//! reported in `registered_agent_ids` by exactly one reply, and audited by
//! exactly one event, whichever batch's insert added it. (The replicas'
//! version of the race is `replicas/registrations.rs`.)

use std::{collections::BTreeMap, time::Duration};

use kpi_service::grpc::pb::{
    self, audit_service_client::AuditServiceClient, ingest_service_client::IngestServiceClient,
};
use tonic::{transport::Channel, Code};

use crate::{
    fixtures::{interaction, interactions},
    helpers::{spawn_app_with, Backend},
    on_both_backends,
};

on_both_backends!(
    racing_first_deliveries_name_each_new_agent_once,
    a_known_agent_is_never_reported_as_registered,
);

/// The agents every racing batch names for the first time.
pub const NEW_AGENTS: [&str; 4] = ["new-ana", "new-bob", "new-cy", "new-dee"];

/// Sender `sender`'s batch: one interaction of its own per new agent (the
/// records differ, so only the registrations collide).
fn first_delivery(sender: usize) -> pb::IngestInteractionsRequest {
    interactions(
        NEW_AGENTS
            .iter()
            .map(|agent| interaction(&format!("sender-{sender}-{agent}"), agent))
            .collect(),
    )
}

/// Sends `senders` first deliveries at once, spread over `channels`, and
/// counts how many replies name each agent as registered. A call the
/// server shed or that lost a conflict wrote nothing and is sent again, as
/// a client with a retry policy would.
pub async fn race_first_deliveries(
    channels: &[Channel],
    senders: usize,
) -> BTreeMap<String, usize> {
    let calls = (0..senders).map(|sender| {
        let mut client = IngestServiceClient::new(channels[sender % channels.len()].clone());
        tokio::spawn(async move {
            // Batches naming the same agents record their scorecard changes
            // one after the other (see `service::changes`), so a shed call
            // may wait a few seconds for its turn, as a client with the
            // retry policy's backoff would.
            for _ in 0..100 {
                match client.ingest_interactions(first_delivery(sender)).await {
                    Ok(reply) => return reply.into_inner().registered_agent_ids,
                    Err(status)
                        if matches!(status.code(), Code::ResourceExhausted | Code::Aborted) =>
                    {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(status) => panic!("a first delivery failed: {status:?}"),
                }
            }
            panic!("a first delivery was shed 100 times");
        })
    });
    let mut named = BTreeMap::new();
    for call in futures_util::future::join_all(calls).await {
        for agent_id in call.unwrap() {
            *named.entry(agent_id).or_insert(0) += 1;
        }
    }
    named
}

/// How many `RECORDS_INGESTED` events of the audit trail name each agent
/// as registered (every page, read over gRPC).
pub async fn registrations_audited(channel: &Channel) -> BTreeMap<String, usize> {
    let mut client = AuditServiceClient::new(channel.clone());
    let mut audited = BTreeMap::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_audit_events(pb::ListAuditEventsRequest {
                kind: pb::AuditEventKind::RecordsIngested as i32,
                page_size: 1_000,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .expect("the audit trail could not be read")
            .into_inner();
        for event in page.events {
            let Some(pb::audit_event::Change::RecordsIngested(ingested)) = event.change else {
                panic!("a RECORDS_INGESTED event without its change: {event:?}");
            };
            for agent_id in ingested.registered_agent_ids {
                *audited.entry(agent_id).or_insert(0) += 1;
            }
        }
        if page.next_page_token.is_empty() {
            return audited;
        }
        page_token = page.next_page_token;
    }
}

/// `NEW_AGENTS`, each counted once.
pub fn each_new_agent_once() -> BTreeMap<String, usize> {
    NEW_AGENTS
        .iter()
        .map(|agent| (agent.to_string(), 1))
        .collect()
}

async fn racing_first_deliveries_name_each_new_agent_once(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        // Every call in at once: none is shed, all race.
        settings.server.max_concurrent_requests = 100;
    })
    .await;
    let named = race_first_deliveries(std::slice::from_ref(&app.channel), 80).await;
    assert_eq!(named, each_new_agent_once(), "registrations in the replies");
    assert_eq!(
        registrations_audited(&app.channel).await,
        each_new_agent_once(),
        "registrations in the audit trail"
    );
    assert_eq!(app.count_rows("agents").await, NEW_AGENTS.len() as i64);
    assert_eq!(
        app.count_rows("interactions").await,
        80 * NEW_AGENTS.len() as i64
    );
}

async fn a_known_agent_is_never_reported_as_registered(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let mut client = app.ingest();
    let first = client
        .ingest_interactions(first_delivery(0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.registered_agent_ids, NEW_AGENTS.to_vec());
    let second = client
        .ingest_interactions(first_delivery(1))
        .await
        .unwrap()
        .into_inner();
    assert!(second.registered_agent_ids.is_empty(), "{second:?}");
    assert_eq!(
        registrations_audited(&app.channel).await,
        each_new_agent_once()
    );
}
