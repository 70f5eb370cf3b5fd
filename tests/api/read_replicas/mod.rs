//! Read replicas: a real PostgreSQL streaming standby (`standby`, made by
//! `scripts/pg-standby.sh`) serving the reads that allow it, never staler
//! than `database.max_replica_lag_ms`, and a consistency token that routes
//! a read after a write. PostgreSQL only (SQLite has no standbys), except
//! the refusal of a bad token, which is the same on both.

mod routing;
mod standby;
mod tokens;

use std::time::{Duration, Instant};

use kpi_service::{
    grpc::pb,
    storage::{ConsistencyToken, ReplicaReport},
};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use crate::{
    helpers::{spawn_app_with, Backend, TestApp},
    kpi_fixtures::{call, interactions, kpi, month},
};
use standby::Lease;

/// How long a test waits for the standby to catch up or change state.
const PATIENCE: Duration = Duration::from_secs(30);

/// The application on a fresh PostgreSQL database, with the standby's copy
/// of that database as its one read replica.
async fn app_with_standby(lease: &Lease, max_replica_lag_ms: u64) -> TestApp {
    spawn_app_with(Backend::Postgres, |settings| {
        let name = settings
            .database
            .url
            .rsplit('/')
            .next()
            .expect("a database name")
            .to_owned();
        settings.database.read_replica_urls = vec![lease.url_of(&name)];
        settings.database.max_replica_lag_ms = max_replica_lag_ms;
    })
    .await
}

/// The one standby's state as the application sees it.
fn replica(app: &TestApp) -> ReplicaReport {
    app.database.replicas().reports().remove(0)
}

/// Reads the standby served so far (any preference).
fn replica_reads(app: &TestApp) -> u64 {
    replica(app).reads.iter().sum()
}

/// Reads the primary served so far, by preference: primary, replica-ok,
/// after a token.
fn primary_reads(app: &TestApp) -> [u64; 3] {
    app.database.replicas().primary_reads()
}

/// Ingests calls of (external id, agent) on 2026-11-02 and returns the
/// batch's consistency token.
async fn write_calls(app: &TestApp, calls: &[(&str, &str)]) -> String {
    let items = calls
        .iter()
        .map(|(id, agent)| call(id, agent, "2026-11-02T09:05:00Z"))
        .collect();
    app.ingest()
        .ingest_interactions(interactions(items))
        .await
        .expect("the batch failed")
        .into_inner()
        .consistency_token
}

/// Waits until the standby serves reads and has replayed past `token`.
async fn wait_until_replica_has(app: &TestApp, token: &str) {
    let lsn = ConsistencyToken::parse(token).expect("a token").lsn();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let report = replica(app);
        if report.serving && report.replay_lsn >= lsn {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the standby never caught up: {report:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The standby's `grpc.health.v1` status, once it is `wanted` (or panics
/// after the patience).
async fn wait_for_replica_health(app: &TestApp, wanted: ServingStatus) {
    let service = format!("replica:{}", replica(app).name);
    let mut client = HealthClient::new(app.channel.clone());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let status = client
            .check(HealthCheckRequest {
                service: service.clone(),
            })
            .await
            .map(|reply| reply.into_inner().status);
        if status.as_ref().is_ok_and(|status| *status == wanted as i32) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{service} never reported {wanted:?}: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many calls count in an agent's November: the sample size of AHT
/// (every `call` is one handled interaction of 300 s).
fn calls_counted(scorecard: &pb::Scorecard) -> i64 {
    kpi(scorecard, "aht").sample_size
}

/// ListAgentScorecards for November, by agent id, with `token`.
async fn list_november(app: &TestApp, token: &str) -> Vec<pb::AgentScorecard> {
    app.scorecards()
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: Some(month("2026-11")),
            consistency_token: token.into(),
            ..Default::default()
        })
        .await
        .expect("ListAgentScorecards failed")
        .into_inner()
        .scorecards
}

/// GetAgentScorecard for November, with `token`.
async fn agent_november(app: &TestApp, agent_id: &str, token: &str) -> pb::Scorecard {
    app.scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: agent_id.into(),
            period: Some(month("2026-11")),
            consistency_token: token.into(),
            ..Default::default()
        })
        .await
        .expect("GetAgentScorecard failed")
        .into_inner()
        .scorecard
        .expect("a scorecard")
}

/// The calls counted per agent of a listing.
fn counted_by_agent(listing: &[pb::AgentScorecard]) -> Vec<(String, i64)> {
    listing
        .iter()
        .map(|card| {
            (
                card.agent_id.clone(),
                calls_counted(card.scorecard.as_ref().expect("a scorecard")),
            )
        })
        .collect()
}
