//! The pay-period mode (`KPI_BENCH_MODE=pay_periods`): a two-week pay
//! period closed, late records after the close, and the adjustment report
//! that lists them, beside hand-written SQL that counts (and lists) the
//! same records on the same database in the same run.
//!
//! Per backend: registers the directory; ingests `KPI_BENCH_INTERACTIONS`
//! interactions spread over the fortnight 2026-W41+2 (Oct 5-19, UTC)
//! through gRPC in batches of 1,000 (4 writers); closes the fortnight; sends
//! `KPI_BENCH_LATE_RECORDS` late records (80 % new interactions, 10 %
//! corrections, 10 % voids of stored ones); then times ListAdjustments
//! (every page, 500 agents each, with each agent's changed records), the
//! SQL baselines, a restatement and the comparison of version 1 with
//! version 2. It fails when the report does not list exactly the late
//! records.

use std::time::{Duration, Instant};

use kpi_service::grpc::pb::{
    self, ingest_service_client::IngestServiceClient, period_service_client::PeriodServiceClient,
};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

use crate::{
    data::Directory,
    ingest::{register_directory, BATCH},
    server::{Backend, Service},
};

/// 2026-10-05T00:00:00Z and 2026-10-19T00:00:00Z.
const FORTNIGHT_START_SECONDS: i64 = 1_791_158_400;
const FORTNIGHT_SECONDS: i64 = 14 * 86_400;
const FORTNIGHT: &str = "2026-W41+2";

/// The figures of one backend.
#[derive(Debug, Default)]
pub struct PayPeriodReport {
    pub backend: Option<Backend>,
    pub agents: u64,
    pub interactions: u64,
    pub late_records: u64,
    pub ingest: Duration,
    pub close: Duration,
    pub late_ingest: Duration,
    pub adjustments: Duration,
    pub adjustments_pages: u64,
    pub adjusted_agents: u64,
    pub listed_records: u64,
    pub reported_changed: i64,
    pub sql_count: Duration,
    pub sql_counted: i64,
    pub sql_list: Duration,
    pub sql_listed: u64,
    pub restate: Duration,
    pub compare_versions: Duration,
    pub compared_records: i64,
}

fn interaction(
    directory: &Directory,
    external_id: String,
    index: u64,
    talk: i64,
) -> pb::Interaction {
    let agent = index % directory.agents;
    // Spread over the fortnight, never on its last second.
    let ended = FORTNIGHT_START_SECONDS
        + i64::try_from(
            index.wrapping_mul(7_919) % u64::try_from(FORTNIGHT_SECONDS - 600).unwrap(),
        )
        .unwrap()
        + 600;
    let at = |seconds: i64| prost_types::Timestamp { seconds, nanos: 0 };
    pb::Interaction {
        source: "bench-pay".into(),
        external_id,
        agent_id: directory.agent_id(agent),
        channel: pb::Channel::Phone as i32,
        queued_at: Some(at(ended - 300)),
        first_response_at: Some(at(ended - 270)),
        ended_at: Some(at(ended)),
        resolved_at: Some(at(ended)),
        talk_seconds: talk,
        hold_seconds: 20,
        after_contact_work_seconds: 40,
        resolved: true,
        ..Default::default()
    }
}

async fn send(
    client: &mut IngestServiceClient<tonic::transport::Channel>,
    batch: Vec<pb::Interaction>,
) {
    for attempt in 0..5 {
        match client
            .ingest_interactions(pb::IngestInteractionsRequest {
                interactions: batch.clone(),
            })
            .await
        {
            Ok(_) => return,
            Err(status) if attempt < 4 => {
                eprintln!("batch retried: {status:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) => panic!("a batch failed: {status:?}"),
        }
    }
}

/// Concurrent writers for the base data (the late records go one batch
/// after the other, as a late feed would).
const WRITERS: usize = 4;

async fn ingest_all(service: &Service, records: Vec<pb::Interaction>, writers: usize) -> Duration {
    let batches: Vec<Vec<pb::Interaction>> = records
        .chunks(usize::try_from(BATCH).unwrap())
        .map(<[pb::Interaction]>::to_vec)
        .collect();
    let batches = std::sync::Arc::new(std::sync::Mutex::new(batches.into_iter()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let mut client = IngestServiceClient::new(service.channel().await);
        let batches = batches.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let next = batches.lock().unwrap().next();
                let Some(batch) = next else { return };
                send(&mut client, batch).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("a writer panicked");
    }
    started.elapsed()
}

fn placeholders(backend: DatabaseBackend, count: usize) -> Vec<String> {
    (1..=count)
        .map(|index| match backend {
            DatabaseBackend::Postgres => format!("${index}"),
            _ => "?".to_owned(),
        })
        .collect()
}

/// The baseline: records counted in the fortnight changed after
/// `since_us`, counted by hand, one statement per table (a linked survey
/// response by its interaction's end).
async fn sql_count(service: &Service, since_us: i64) -> (Duration, i64) {
    let connection = service.database.connection();
    let backend = connection.get_database_backend();
    let p = placeholders(backend, 5);
    let (start, end) = fortnight_micros();
    let started = Instant::now();
    let mut total = 0_i64;
    for (table, column) in [
        ("interactions", "ended_at_us"),
        ("qa_evaluations", "evaluated_at_us"),
        ("compliance_checks", "checked_at_us"),
        ("violations", "occurred_at_us"),
        ("training_assignments", "due_at_us"),
        ("agent_time", "starts_at_us"),
    ] {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE {column} >= {} AND {column} < {} \
             AND updated_at_us > {}",
            p[0], p[1], p[2]
        );
        total += count(
            service,
            sql,
            vec![start.into(), end.into(), since_us.into()],
        )
        .await;
    }
    let surveys = format!(
        "SELECT COUNT(*) AS n FROM survey_responses s LEFT JOIN interactions i \
         ON i.source = s.interaction_source AND i.external_id = s.interaction_external_id \
         WHERE s.updated_at_us > {} AND ((s.interaction_source IS NULL AND \
         s.responded_at_us >= {} AND s.responded_at_us < {}) OR \
         (i.ended_at_us >= {} AND i.ended_at_us < {}))",
        p[0], p[1], p[2], p[3], p[4]
    );
    total += count(
        service,
        surveys,
        vec![
            since_us.into(),
            start.into(),
            end.into(),
            start.into(),
            end.into(),
        ],
    )
    .await;
    (started.elapsed(), total)
}

/// The second baseline: the same interactions listed (key, agent, team,
/// revision, void flag, change time), by agent.
async fn sql_list(service: &Service, since_us: i64) -> (Duration, u64) {
    let connection = service.database.connection();
    let backend = connection.get_database_backend();
    let p = placeholders(backend, 3);
    let (start, end) = fortnight_micros();
    let started = Instant::now();
    let rows = connection
        .query_all(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT agent_id, team_id, source, external_id, revision, voided, updated_at_us \
                 FROM interactions WHERE ended_at_us >= {} AND ended_at_us < {} \
                 AND updated_at_us > {} ORDER BY agent_id, ended_at_us, id",
                p[0], p[1], p[2]
            ),
            vec![Value::from(start), end.into(), since_us.into()],
        ))
        .await
        .expect("the listing baseline failed");
    (started.elapsed(), rows.len() as u64)
}

async fn count(service: &Service, sql: String, values: Vec<Value>) -> i64 {
    let connection = service.database.connection();
    connection
        .query_one(Statement::from_sql_and_values(
            connection.get_database_backend(),
            sql,
            values,
        ))
        .await
        .expect("a baseline count failed")
        .map(|row| row.try_get::<i64>("", "n").expect("no count"))
        .unwrap_or_default()
}

fn fortnight_micros() -> (i64, i64) {
    (
        FORTNIGHT_START_SECONDS * 1_000_000,
        (FORTNIGHT_START_SECONDS + FORTNIGHT_SECONDS) * 1_000_000,
    )
}

/// Every page of the report; (elapsed, pages, agents, records listed,
/// records reported changed).
async fn all_adjustments(
    client: &mut PeriodServiceClient<tonic::transport::Channel>,
    snapshot_version: i32,
    compare_to_version: i32,
) -> (Duration, u64, u64, u64, i64) {
    let started = Instant::now();
    let (mut pages, mut agents, mut records) = (0, 0, 0);
    let mut page_token = String::new();
    loop {
        let page = client
            .list_adjustments(pb::ListAdjustmentsRequest {
                pay_period: FORTNIGHT.into(),
                snapshot_version,
                compare_to_version,
                include_records: true,
                page_size: 500,
                page_token,
                ..Default::default()
            })
            .await
            .expect("ListAdjustments failed")
            .into_inner();
        pages += 1;
        agents += page.agents.len() as u64;
        records += page
            .agents
            .iter()
            .map(|agent| agent.records.len() as u64)
            .sum::<u64>();
        let reported = page.records_changed_since_snapshot;
        page_token = page.next_page_token;
        if page_token.is_empty() {
            return (started.elapsed(), pages, agents, records, reported);
        }
    }
}

pub async fn run(
    backend: Backend,
    directory: Directory,
    interactions: u64,
    late: u64,
) -> PayPeriodReport {
    let service = Service::start_with(
        backend,
        None,
        vec![
            ("KPI__PAYROLL__PAY_PERIOD".into(), "two_weeks".into()),
            (
                "KPI__PAYROLL__TWO_WEEKS_FIRST_MONDAY".into(),
                "2026-10-05".into(),
            ),
        ],
    )
    .await;
    register_directory(&service, &directory).await;
    let mut report = PayPeriodReport {
        backend: Some(backend),
        agents: directory.agents,
        interactions,
        late_records: late,
        ..Default::default()
    };
    let base: Vec<pb::Interaction> = (0..interactions)
        .map(|index| interaction(&directory, format!("pp-{index}"), index, 240))
        .collect();
    report.ingest = ingest_all(&service, base, WRITERS).await;
    eprintln!("{}: {interactions} interactions ingested", backend.name());

    let mut periods = PeriodServiceClient::new(service.channel().await);
    let started = Instant::now();
    let closed = periods
        .close_period(pb::ClosePeriodRequest {
            pay_period: FORTNIGHT.into(),
            ..Default::default()
        })
        .await
        .expect("ClosePeriod failed")
        .into_inner()
        .period
        .expect("no period");
    report.close = started.elapsed();
    let taken = closed.versions[0].take_time.expect("no take time");
    let taken_us = taken.seconds * 1_000_000 + i64::from(taken.nanos / 1_000);

    // Late: 80 % new, 10 % corrected, 10 % voided (stored ones, distinct).
    let corrections = (late / 10).min(interactions / 2);
    let voids = corrections;
    let new = late - corrections - voids;
    let mut late_records: Vec<pb::Interaction> = (0..new)
        .map(|k| interaction(&directory, format!("late-{k}"), interactions + k, 240))
        .collect();
    late_records
        .extend((0..corrections).map(|k| interaction(&directory, format!("pp-{k}"), k, 600)));
    late_records.extend((0..voids).map(|k| {
        let index = interactions - 1 - k;
        pb::Interaction {
            voided: true,
            ..interaction(&directory, format!("pp-{index}"), index, 240)
        }
    }));
    report.late_records = late_records.len() as u64;
    report.late_ingest = ingest_all(&service, late_records, 1).await;
    eprintln!(
        "{}: {} late records sent",
        backend.name(),
        report.late_records
    );

    let (elapsed, pages, agents, records, reported) = all_adjustments(&mut periods, 0, 0).await;
    report.adjustments = elapsed;
    report.adjustments_pages = pages;
    report.adjusted_agents = agents;
    report.listed_records = records;
    report.reported_changed = reported;
    (report.sql_count, report.sql_counted) = sql_count(&service, taken_us).await;
    (report.sql_list, report.sql_listed) = sql_list(&service, taken_us).await;

    let started = Instant::now();
    periods
        .restate_period(pb::RestatePeriodRequest {
            pay_period: FORTNIGHT.into(),
            reason: "benchmark".into(),
            ..Default::default()
        })
        .await
        .expect("RestatePeriod failed");
    report.restate = started.elapsed();
    let (elapsed, _, _, _, compared) = all_adjustments(&mut periods, 1, 2).await;
    report.compare_versions = elapsed;
    report.compared_records = compared;
    service.stop().await;
    report
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

impl PayPeriodReport {
    pub fn print(&self) {
        let name = self.backend.map_or("?", |backend| backend.name());
        println!(
            "\n## Pay periods on {name}: {} agents, {} interactions in {FORTNIGHT}, {} late \
             records\n",
            self.agents, self.interactions, self.late_records
        );
        println!("| what | time (ms) | rows | vs. count SQL |");
        println!("|---|---:|---:|---:|");
        let row = |what: &str, time: Duration, rows: String| {
            println!(
                "| {what} | {:.1} | {rows} | {:.1}x |",
                ms(time),
                ms(time) / ms(self.sql_count).max(0.001)
            );
        };
        row(
            "ingest (gRPC, batches of 1,000)",
            self.ingest,
            self.interactions.to_string(),
        );
        row(
            "ClosePeriod (snapshot of every agent and team)",
            self.close,
            String::new(),
        );
        row(
            "late records ingest",
            self.late_ingest,
            self.late_records.to_string(),
        );
        row(
            &format!(
                "ListAdjustments, every page ({} pages, {} agents), with records",
                self.adjustments_pages, self.adjusted_agents
            ),
            self.adjustments,
            self.listed_records.to_string(),
        );
        row(
            "SQL: count the changed records (7 tables)",
            self.sql_count,
            self.sql_counted.to_string(),
        );
        row(
            "SQL: list the changed interactions",
            self.sql_list,
            self.sql_listed.to_string(),
        );
        row("RestatePeriod", self.restate, String::new());
        row(
            "ListAdjustments v1 against v2, every page",
            self.compare_versions,
            self.compared_records.to_string(),
        );
    }

    /// Data problems: the report must list exactly the late records.
    pub fn integrity_failures(&self) -> Vec<String> {
        let name = self.backend.map_or("?", |backend| backend.name());
        let late = i64::try_from(self.late_records).unwrap_or(i64::MAX);
        let mut failures = Vec::new();
        for (what, value) in [
            ("records_changed_since_snapshot", self.reported_changed),
            (
                "records listed",
                i64::try_from(self.listed_records).unwrap_or(i64::MAX),
            ),
            ("the SQL count", self.sql_counted),
            ("v1 against v2", self.compared_records),
        ] {
            if value != late {
                failures.push(format!(
                    "{name}: {what} is {value}, {late} late records were sent"
                ));
            }
        }
        failures
    }
}
