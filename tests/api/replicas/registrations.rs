//! Racing first deliveries over three replicas: every process believes the
//! agents new, yet each agent is reported registered by exactly one reply
//! and audited once, by the batch whose insert added it.

use crate::ingest::racing_registrations::{
    each_new_agent_once, race_first_deliveries, registrations_audited, NEW_AGENTS,
};

use super::Replicas;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_first_deliveries_over_replicas_name_each_new_agent_once() {
    let replicas = Replicas::start(3).await;
    let channels: Vec<_> = replicas
        .replicas
        .iter()
        .map(|replica| replica.channel.clone())
        .collect();
    let named = race_first_deliveries(&channels, 80).await;
    assert_eq!(named, each_new_agent_once(), "registrations in the replies");
    for replica in &replicas.replicas {
        assert_eq!(
            registrations_audited(&replica.channel).await,
            each_new_agent_once(),
            "registrations in the audit trail"
        );
    }
    assert_eq!(NEW_AGENTS.len(), named.len());
}
