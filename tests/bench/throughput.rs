//! Throughput benchmark: `cargo bench --bench throughput`.
//!
//! Reports figures and ratios to a baseline measured in the same run; it
//! never fails on timing. For each backend it measures
//! - the baseline: the database's own multi-row INSERT of the same
//!   interaction rows, 1,000 per statement, in one transaction per batch;
//! - ingestion through the real gRPC server (`IngestInteractions`, batches
//!   of 1,000: validation, replay detection, upsert, commit);
//! - a replay of the same batches (every item UNCHANGED);
//! - a month scorecard of one agent, and the scorecards of every agent.
//!
//! Sizes: `KPI_BENCH_ROWS` interactions (default 20,000) over 100 agents.

#![allow(clippy::unwrap_used)]

#[path = "../api/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::time::{Duration, Instant};

use fixtures::{interaction, interactions};
use helpers::{spawn_app, Backend, TestApp};
use kpi_service::grpc::pb;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

const BATCH: usize = 1_000;
const AGENTS: usize = 100;

fn rows() -> usize {
    std::env::var("KPI_BENCH_ROWS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(20_000)
}

fn batch(number: usize, prefix: &str) -> Vec<pb::Interaction> {
    (0..BATCH)
        .map(|index| {
            let n = number * BATCH + index;
            let mut item = interaction(&format!("{prefix}-{n}"), &format!("agent-{}", n % AGENTS));
            item.talk_seconds = 60 + (n % 600) as i64;
            item
        })
        .collect()
}

/// The same rows inserted by hand: what the database itself can do.
async fn baseline_insert(app: &TestApp, total: usize) -> Duration {
    let connection = app.database.connection();
    let backend = connection.get_database_backend();
    let started = Instant::now();
    for number in 0..total / BATCH {
        let mut sql = String::from(
            "INSERT INTO interactions (source, external_id, revision, voided, content_hash, ingested_at_us, \
             updated_at_us, agent_id, team_id, channel, queued_at_us, first_response_at_us, ended_at_us, \
             resolved_at_us, sla_due_at_us, talk_seconds, hold_seconds, after_contact_work_seconds, resolved, \
             first_contact_resolved, escalated, transferred, agent_error, complaint) VALUES ",
        );
        for index in 0..BATCH {
            let n = number * BATCH + index;
            if index > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('baseline', 'b-{n}', NULL, false, 'x', 0, 0, 'agent-{}', NULL, 'phone', 1793606400000000, \
                 1793606430000000, 1793606700000000, 1793606700000000, NULL, {}, 20, 40, true, true, false, false, \
                 false, false)",
                n % AGENTS,
                60 + n % 600
            ));
        }
        let transaction = connection.begin().await.unwrap();
        transaction
            .execute(Statement::from_string(backend, sql))
            .await
            .unwrap();
        transaction.commit().await.unwrap();
    }
    started.elapsed()
}

async fn ingest_all(app: &TestApp, total: usize, prefix: &str) -> Duration {
    let mut client = app.ingest();
    let started = Instant::now();
    for number in 0..total / BATCH {
        client
            .ingest_interactions(interactions(batch(number, prefix)))
            .await
            .unwrap();
    }
    started.elapsed()
}

fn month() -> Option<pb::PeriodSelector> {
    Some(pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Month("2026-11".into())),
    })
}

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

async fn run(backend: Backend) {
    let total = rows() / BATCH * BATCH;
    let app = spawn_app(backend).await;

    let baseline = baseline_insert(&app, total).await;
    let ingest = ingest_all(&app, total, "svc").await;
    let replay = ingest_all(&app, total, "svc").await;

    let mut scorecards =
        pb::scorecard_service_client::ScorecardServiceClient::new(app.channel.clone());
    let started = Instant::now();
    scorecards
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "agent-7".into(),
            period: month(),
            ..Default::default()
        })
        .await
        .unwrap();
    let one_scorecard = started.elapsed();
    let started = Instant::now();
    let listed = scorecards
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: month(),
            page_size: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let all_scorecards = started.elapsed();

    println!("\n{backend:?}: {total} interactions, batches of {BATCH}, {AGENTS} agents");
    println!(
        "  baseline multi-row INSERT   {:>9.0} rows/s  ({:.2?})",
        per_second(total, baseline),
        baseline
    );
    println!(
        "  IngestInteractions (new)    {:>9.0} rows/s  ({:.2?})  ratio to baseline {:.2}",
        per_second(total, ingest),
        ingest,
        baseline.as_secs_f64() / ingest.as_secs_f64()
    );
    println!(
        "  IngestInteractions (replay) {:>9.0} rows/s  ({:.2?})  ratio to baseline {:.2}",
        per_second(total, replay),
        replay,
        baseline.as_secs_f64() / replay.as_secs_f64()
    );
    println!(
        "  GetAgentScorecard (month, {} rows of that agent): {:.2?}",
        2 * total / AGENTS,
        one_scorecard
    );
    println!(
        "  ListAgentScorecards (month, {} agents, {} rows): {:.2?}",
        listed.scorecards.len(),
        2 * total,
        all_scorecards
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // useful either: the benchmark always runs in full when invoked.
    run(Backend::Sqlite).await;
    run(Backend::Postgres).await;
}
