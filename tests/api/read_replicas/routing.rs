//! Where reads go: organisation-wide reads on the standby with the same
//! numbers as the primary, and back on the primary once the standby is
//! known to be further behind than the bound.

use std::time::Duration;

use kpi_service::grpc::pb;
use tonic_health::pb::health_check_response::ServingStatus;

use super::{
    agent_november, app_with_standby, calls_counted, counted_by_agent, list_november,
    primary_reads, replica_reads, standby::Standby, wait_for_replica_health,
    wait_until_replica_has, write_calls,
};
use crate::kpi_fixtures::month;

/// Reads the primary served at the request of a use case that allowed a
/// replica: fallbacks.
const REPLICA_OK: usize = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisation_reads_served_by_the_standby_match_the_primary() {
    let lease = Standby::lease().await;
    let app = app_with_standby(&lease, 2_000).await;
    // a1 handles two calls, a2 one; each call's handle time is
    // 240 + 20 + 40 = 300 s, so both AHTs are 300 s, over 2 and 1 calls.
    let token = write_calls(&app, &[("c1", "a1"), ("c2", "a1"), ("c3", "a2")]).await;
    assert!(!token.is_empty(), "a PostgreSQL write returns a token");
    wait_until_replica_has(&app, &token).await;
    wait_for_replica_health(&app, ServingStatus::Serving).await;

    let (on_replica, fallbacks) = (replica_reads(&app), primary_reads(&app)[REPLICA_OK]);
    let listing = list_november(&app, "").await;
    assert_eq!(
        replica_reads(&app),
        on_replica + 1,
        "the listing ran on the standby"
    );
    assert_eq!(primary_reads(&app)[REPLICA_OK], fallbacks, "no fallback");
    assert_eq!(
        counted_by_agent(&listing),
        [("a1".to_owned(), 2), ("a2".to_owned(), 1)]
    );
    // The primary's answer for each agent (single-agent reads stay there)
    // is the standby's, KPI for KPI.
    for card in &listing {
        let listed = card.scorecard.as_ref().expect("a scorecard");
        let primary = agent_november(&app, &card.agent_id, "").await;
        assert_eq!(listed.kpis, primary.kpis, "{}", card.agent_id);
    }
    assert_eq!(
        replica_reads(&app),
        on_replica + 1,
        "agent reads on the primary"
    );

    // Breaches and trends run on the standby too.
    app.scorecards()
        .list_threshold_breaches(pb::ListThresholdBreachesRequest {
            period: Some(month("2026-11")),
            include_at_risk: true,
            ..Default::default()
        })
        .await
        .expect("ListThresholdBreaches failed");
    let trend = app
        .scorecards()
        .get_kpi_trend(pb::GetKpiTrendRequest {
            subject: Some(pb::get_kpi_trend_request::Subject::AgentId("a1".into())),
            kpi_ids: vec!["aht".into()],
            period: Some(month("2026-11")),
            granularity: pb::TrendGranularity::Month as i32,
            consistency_token: String::new(),
        })
        .await
        .expect("GetKpiTrend failed")
        .into_inner();
    assert_eq!(trend.buckets.len(), 1);
    assert_eq!(trend.buckets[0].values[0].sample_size, 2, "a1's two calls");
    assert_eq!(replica_reads(&app), on_replica + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_standby_does_not_serve_stale_numbers_past_the_bound() {
    let lease = Standby::lease().await;
    let bound = Duration::from_millis(400);
    let app = app_with_standby(&lease, bound.as_millis() as u64).await;
    let token = write_calls(&app, &[("c1", "a1")]).await;
    wait_until_replica_has(&app, &token).await;

    lease.pause_replay();
    write_calls(&app, &[("c2", "a1")]).await;
    // Once the bound has passed, the standby is known to miss a write
    // older than the bound: every read has both calls.
    tokio::time::sleep(bound).await;
    let (on_replica, fallbacks) = (replica_reads(&app), primary_reads(&app)[REPLICA_OK]);
    for _ in 0..3 {
        let listing = list_november(&app, "").await;
        assert_eq!(counted_by_agent(&listing), [("a1".to_owned(), 2)]);
    }
    assert_eq!(
        replica_reads(&app),
        on_replica,
        "the lagging standby served nothing"
    );
    assert_eq!(
        primary_reads(&app)[REPLICA_OK],
        fallbacks + 3,
        "the primary did"
    );
    wait_for_replica_health(&app, ServingStatus::NotServing).await;

    // Replay resumed, the standby catches up and serves again.
    lease.resume_replay();
    let token = write_calls(&app, &[("c3", "a2")]).await;
    wait_until_replica_has(&app, &token).await;
    wait_for_replica_health(&app, ServingStatus::Serving).await;
    let on_replica = replica_reads(&app);
    let listing = list_november(&app, "").await;
    assert_eq!(replica_reads(&app), on_replica + 1);
    assert_eq!(
        counted_by_agent(&listing),
        [("a1".to_owned(), 2), ("a2".to_owned(), 1)]
    );
    assert_eq!(
        calls_counted(&agent_november(&app, "a1", "").await),
        2,
        "the primary agrees"
    );
}
