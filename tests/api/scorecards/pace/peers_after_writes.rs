//! Peers are read from the process's memory while nothing changed, and
//! never after a write committed: each scenario reads an agent's peers
//! twice (the second read is served from memory), writes, and reads
//! again, expecting the numbers of the new data.

use kpi_service::grpc::pb;

use super::peers::{peers, peers_card, ranks, seed};
use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend},
        directory::put_agent,
        ingest::ingest_surveys,
        records::csat_scores,
    },
};

on_both_backends!(
    peers_follow_records_ingested_after_they_were_read,
    peers_follow_an_agent_registered_after_they_were_read,
);

fn organisation(peers: &pb::KpiPeers) -> (f64, f64) {
    let pooled = peers.organisation.as_ref().expect("organisation figures");
    (pooled.numerator, pooled.denominator)
}

async fn peers_follow_records_ingested_after_they_were_read(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    // The seed's organisation CSAT: 36 / 41 (see `peers::seed`); CSAT
    // ranks among dan 100, bea 90, ana 80, cai 80: ana 3rd of 4.
    for _ in 0..2 {
        let ana = peers_card(&app, "ana").await;
        assert_eq!(organisation(peers(&ana, "csat")), (36.0, 41.0));
        assert_eq!(ranks(peers(&ana, "csat")).2, Some(3));
    }
    // Ten unsatisfied responses for dan: his CSAT 10 / 20 = 50 %, the
    // organisation's 36 / 51; bea 90 ranks 1st, ana and cai 80 2nd,
    // dan 4th.
    ingest_surveys(
        &app,
        csat_scores("dan-late", "dan", &[1; 10], "2026-11-11T12:00:00Z"),
    )
    .await;
    let ana = peers_card(&app, "ana").await;
    assert_eq!(organisation(peers(&ana, "csat")), (36.0, 51.0));
    assert_eq!(
        (ranks(peers(&ana, "csat")).2, ranks(peers(&ana, "csat")).3),
        (Some(2), Some(4))
    );
}

async fn peers_follow_an_agent_registered_after_they_were_read(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    // Contacts handled is a count: every agent of the directory ranks,
    // with or without records (ana, bea, cai, eve, dan and fay: 6).
    for _ in 0..2 {
        let ana = peers_card(&app, "ana").await;
        assert_eq!(ranks(peers(&ana, "contacts_handled")).3, Some(6));
    }
    // gus joins north with no records: 7 in the organisation, 5 in north
    // (ana, bea, cai, eve and gus).
    put_agent(&app, "gus", "north").await;
    let ana = peers_card(&app, "ana").await;
    let contacts = ranks(peers(&ana, "contacts_handled"));
    assert_eq!((contacts.1, contacts.3), (Some(5), Some(7)));
}
