//! Peer values kept in one replica's memory are never served after a write
//! committed on another: the reading replica computes and keeps the
//! organisation's values (two reads), the other replica ingests, and the
//! reader's very next read has the new numbers (no waiting for an
//! announcement: each read checks the database's count of writes).

use kpi_service::grpc::pb;

use super::{Replica, Replicas};
use crate::kpi_fixtures::{call, month};

const MONTH: &str = "2025-03";

/// The organisation's pooled contacts handled in `ana`'s scorecard of
/// [`MONTH`], read with peers on `replica`.
async fn organisation_contacts(replica: &Replica) -> f64 {
    let scorecard = replica
        .scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "ana".into(),
            period: Some(month(MONTH)),
            include_peers: true,
            ..Default::default()
        })
        .await
        .expect("reading the scorecard failed")
        .into_inner()
        .scorecard
        .expect("no scorecard returned");
    let contacts = scorecard
        .kpis
        .iter()
        .find(|result| result.kpi_id == "contacts_handled")
        .expect("contacts_handled is in every scorecard");
    contacts
        .peers
        .as_ref()
        .and_then(|peers| peers.organisation.as_ref())
        .expect("organisation figures")
        .numerator
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn peers_read_on_one_replica_follow_a_write_on_another_at_once() {
    let replicas = Replicas::start(2).await;
    let (reader, writer) = (&replicas[0], &replicas[1]);
    writer
        .ingest_interactions(vec![call("first", "ana", &format!("{MONTH}-10T10:00:00Z"))])
        .await
        .expect("ingest failed");
    for round in 1..=5 {
        // ana's and bo's calls so far: `round` of them.
        assert_eq!(organisation_contacts(reader).await, f64::from(round));
        assert_eq!(organisation_contacts(reader).await, f64::from(round));
        writer
            .ingest_interactions(vec![call(
                &format!("more-{round}"),
                "bo",
                &format!("{MONTH}-11T10:00:00Z"),
            )])
            .await
            .expect("ingest failed");
        assert_eq!(
            organisation_contacts(reader).await,
            f64::from(round + 1),
            "round {round}: the reader served peers computed before the write"
        );
    }
}
