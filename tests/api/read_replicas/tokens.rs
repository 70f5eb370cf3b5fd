//! The consistency token: a read that carries a write's token sees that
//! write, from the standby once it has replayed it and from the primary
//! until then; a token the service did not issue is refused.

use tonic::Code;

use super::{
    agent_november, app_with_standby, calls_counted, counted_by_agent, list_november,
    primary_reads, replica, replica_reads, standby::Standby, wait_until_replica_has, write_calls,
};
use crate::{
    helpers::{field_violations, spawn_app, Backend},
    kpi_fixtures::month,
    on_both_backends,
};
use kpi_service::grpc::pb;

/// Reads the primary served because a token asked for a write the standby
/// had not replayed.
const AFTER_TOKEN: usize = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consistency_token_routes_a_read_after_a_write() {
    let lease = Standby::lease().await;
    // A bound far longer than the test: only the token keeps a stale
    // standby from answering.
    let app = app_with_standby(&lease, 60_000).await;
    let first = write_calls(&app, &[("c1", "a1")]).await;
    wait_until_replica_has(&app, &first).await;

    lease.pause_replay();
    let second = write_calls(&app, &[("c2", "a1")]).await;
    assert!(second > first, "tokens follow the primary's log");

    // With the second write's token: the standby has not replayed it, so
    // the primary answers, with both calls.
    let (on_replica, after_token) = (replica_reads(&app), primary_reads(&app)[AFTER_TOKEN]);
    assert_eq!(calls_counted(&agent_november(&app, "a1", &second).await), 2);
    let listing = list_november(&app, &second).await;
    assert_eq!(counted_by_agent(&listing), [("a1".to_owned(), 2)]);
    assert_eq!(primary_reads(&app)[AFTER_TOKEN], after_token + 2);
    assert_eq!(replica_reads(&app), on_replica);
    // Without it, a listing may read the standby within the bound: the
    // first call only. (This is the staleness the token is for.)
    let listing = list_november(&app, "").await;
    assert_eq!(counted_by_agent(&listing), [("a1".to_owned(), 1)]);
    assert_eq!(replica_reads(&app), on_replica + 1);
    // A token the standby has replayed lets it serve even a single agent.
    assert_eq!(calls_counted(&agent_november(&app, "a1", &first).await), 1);
    assert_eq!(replica(&app).reads[1], 1, "one token read on the standby");

    lease.resume_replay();
    wait_until_replica_has(&app, &second).await;
    let on_replica = replica_reads(&app);
    assert_eq!(calls_counted(&agent_november(&app, "a1", &second).await), 2);
    assert_eq!(replica_reads(&app), on_replica + 1, "now on the standby");
}

on_both_backends!(a_token_the_service_did_not_issue_is_invalid_argument);

async fn a_token_the_service_did_not_issue_is_invalid_argument(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = write_calls(&app, &[("c1", "a1")]).await;
    assert_eq!(
        token.is_empty(),
        backend == Backend::Sqlite,
        "SQLite has nothing to wait for; PostgreSQL returns a token"
    );
    let status = app
        .scorecards()
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: Some(month("2026-11")),
            consistency_token: "c1.not-hex".into(),
            ..Default::default()
        })
        .await
        .expect_err("a forged token must be refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    let violations = field_violations(&status);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].0, "consistency_token");
}
