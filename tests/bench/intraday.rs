//! Intraday trends (`GetKpiTrend` by QUARTER_HOUR and HOUR) against the
//! SQL that computes the same buckets directly: one agent's quarter-hours
//! over one day (96 buckets) and hours over an ISO week (168), for the 13
//! interaction KPIs and CSAT. The reference is hand-written for the
//! benchmark's UTC zone (a bucket is `(ended_at_us - start) / step`): one
//! GROUP BY over the agent's interactions and one over the CSAT responses
//! linked to them, sent on the benchmark's own pool right after each call.
//! The service's buckets are checked against it (contacts and CSAT
//! responses per bucket): a difference is a data-integrity failure.

use std::time::{Duration, Instant};

use kpi_service::grpc::pb::{self, scorecard_service_client::ScorecardServiceClient};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use tonic::transport::Channel;

use crate::{
    data::{Directory, NOVEMBER_START_SECONDS},
    hourly::{self, Slots, HOURS, QUARTERS},
    queries::Latencies,
    server::Service,
};

/// Calls of each trend per measurement (each followed by its SQL).
const CALLS: usize = 200;
const MICROS: i64 = 1_000_000;
const DAY_SECONDS: i64 = 86_400;

/// The KPIs asked for: those the reference SQL computes.
const KPIS: [&str; 14] = [
    "contacts_handled",
    "contacts_per_day",
    "aht",
    "avg_response_time",
    "avg_resolution_time",
    "fcr_rate",
    "resolution_rate",
    "escalation_rate",
    "transfer_rate",
    "solo_resolution_rate",
    "overdue_rate",
    "error_rate",
    "complaint_rate",
    "csat",
];

/// One intraday shape: a period and its bucket size.
#[derive(Debug, Clone, Copy)]
struct Shape {
    granularity: pb::TrendGranularity,
    /// Start of the period, seconds since the epoch (UTC).
    start_seconds: i64,
    days: i64,
    step_seconds: i64,
    /// The slot rollups that would answer it.
    slots: Slots,
}

impl Shape {
    fn period(&self) -> pb::PeriodSelector {
        let timestamp = |seconds| prost_types::Timestamp { seconds, nanos: 0 };
        pb::PeriodSelector {
            period: Some(pb::period_selector::Period::Custom(pb::TimeRange {
                start_time: Some(timestamp(self.start_seconds)),
                end_time: Some(timestamp(self.start_seconds + self.days * DAY_SECONDS)),
            })),
        }
    }

    fn buckets(&self) -> usize {
        usize::try_from(self.days * DAY_SECONDS / self.step_seconds).unwrap_or(0)
    }
}

/// Tuesday 10 November 2026 in quarter-hours, and the ISO week of Monday
/// 9 November in hours.
fn shapes() -> [Shape; 2] {
    [
        Shape {
            granularity: pb::TrendGranularity::QuarterHour,
            start_seconds: NOVEMBER_START_SECONDS + 9 * DAY_SECONDS,
            days: 1,
            step_seconds: 900,
            slots: QUARTERS,
        },
        Shape {
            granularity: pb::TrendGranularity::Hour,
            start_seconds: NOVEMBER_START_SECONDS + 8 * DAY_SECONDS,
            days: 7,
            step_seconds: 3_600,
            slots: HOURS,
        },
    ]
}

/// The service and its reference for one shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct IntradayFigure {
    pub buckets: usize,
    pub service: Latencies,
    pub sql: Latencies,
    /// The same buckets by hand-written SQL over slot rollups (`hourly.rs`).
    pub rollup_sql: Latencies,
    /// Records behind the agent's buckets, as the SQL counted them.
    pub contacts: i64,
}

/// Both shapes, and whether every bucket agreed.
#[derive(Debug, Clone, Copy, Default)]
pub struct IntradayFigures {
    pub quarter_hours_of_a_day: IntradayFigure,
    pub hours_of_a_week: IntradayFigure,
    pub mismatches: usize,
}

/// A numbered placeholder: each statement uses some values twice.
fn placeholder(backend: DatabaseBackend, position: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${position}"),
        _ => format!("?{position}"),
    }
}

/// The two hand-written statements: the agent's interaction sums and its
/// linked CSAT responses, per bucket.
fn reference_sql(backend: DatabaseBackend, shape: &Shape, agent_id: &str) -> [Statement; 2] {
    let p = |position| placeholder(backend, position);
    let flag = |column: &str| format!("SUM(CASE WHEN {column} THEN 1 ELSE 0 END) AS {column}");
    let interactions = format!(
        "SELECT (ended_at_us - {start}) / {step} AS bucket, COUNT(*) AS contacts, \
         SUM(talk_seconds + hold_seconds + after_contact_work_seconds) AS handle_seconds, \
         SUM(CASE WHEN first_response_at_us IS NOT NULL THEN 1 ELSE 0 END) AS responses_timed, \
         SUM(first_response_at_us - queued_at_us) AS response_micros, \
         SUM(CASE WHEN resolved AND resolved_at_us IS NOT NULL THEN 1 ELSE 0 END) AS resolutions_timed, \
         SUM(CASE WHEN resolved THEN resolved_at_us - queued_at_us ELSE 0 END) AS resolution_micros, \
         SUM(CASE WHEN resolved AND NOT escalated AND NOT transferred THEN 1 ELSE 0 END) AS solo, \
         SUM(CASE WHEN sla_due_at_us IS NOT NULL THEN 1 ELSE 0 END) AS with_sla, \
         SUM(CASE WHEN sla_due_at_us IS NOT NULL AND (first_response_at_us IS NULL \
         OR first_response_at_us > sla_due_at_us) THEN 1 ELSE 0 END) AS overdue, \
         {}, {}, {}, {}, {}, {} \
         FROM interactions WHERE agent_id = {agent} AND NOT voided \
         AND ended_at_us >= {start} AND ended_at_us < {end} GROUP BY bucket ORDER BY bucket",
        flag("resolved"),
        flag("first_contact_resolved"),
        flag("escalated"),
        flag("transferred"),
        flag("agent_error"),
        flag("complaint"),
        start = p(1),
        end = p(2),
        step = p(3),
        agent = p(4),
    );
    let surveys = format!(
        "SELECT (i.ended_at_us - {start}) / {step} AS bucket, COUNT(*) AS responses, \
         SUM(CASE WHEN s.score >= 4 THEN 1 ELSE 0 END) AS satisfied \
         FROM survey_responses s JOIN interactions i \
         ON i.source = s.interaction_source AND i.external_id = s.interaction_external_id \
         WHERE i.agent_id = {agent} AND NOT i.voided AND NOT s.voided AND s.kind = 'csat' \
         AND i.ended_at_us >= {start} AND i.ended_at_us < {end} GROUP BY bucket ORDER BY bucket",
        start = p(1),
        end = p(2),
        step = p(3),
        agent = p(4),
    );
    let start_us = shape.start_seconds * MICROS;
    let values = || -> [sea_orm::Value; 4] {
        [
            start_us.into(),
            (start_us + shape.days * DAY_SECONDS * MICROS).into(),
            (shape.step_seconds * MICROS).into(),
            agent_id.to_owned().into(),
        ]
    };
    [
        Statement::from_sql_and_values(backend, interactions, values()),
        Statement::from_sql_and_values(backend, surveys, values()),
    ]
}

/// Contacts and CSAT responses per bucket, as the reference SQL has them.
type Counts = Vec<(i64, i64)>;

async fn run_reference(service: &Service, shape: &Shape, agent_id: &str) -> (Duration, Counts) {
    let connection = service.database.connection();
    let [interactions, surveys] = reference_sql(connection.get_database_backend(), shape, agent_id);
    let started = Instant::now();
    let interaction_rows = connection
        .query_all(interactions)
        .await
        .expect("reference SQL");
    let survey_rows = connection.query_all(surveys).await.expect("reference SQL");
    let elapsed = started.elapsed();
    let mut counts = vec![(0, 0); shape.buckets()];
    let index = |row: &sea_orm::QueryResult| {
        let bucket: i64 = row.try_get("", "bucket").expect("bucket");
        usize::try_from(bucket).expect("a bucket index")
    };
    for row in &interaction_rows {
        counts[index(row)].0 = row.try_get("", "contacts").expect("contacts");
    }
    for row in &survey_rows {
        counts[index(row)].1 = row.try_get("", "responses").expect("responses");
    }
    (elapsed, counts)
}

/// The same buckets from the slot rollups.
async fn run_rollup_reference(
    service: &Service,
    shape: &Shape,
    agent_id: &str,
) -> (Duration, Counts) {
    let connection = service.database.connection();
    let statement = hourly::reference_sql(
        connection.get_database_backend(),
        &shape.slots,
        agent_id,
        shape.start_seconds / DAY_SECONDS,
        shape.days,
    );
    let started = Instant::now();
    let rows = connection.query_all(statement).await.expect("rollup SQL");
    let elapsed = started.elapsed();
    let mut counts = vec![(0, 0); shape.buckets()];
    for row in &rows {
        let bucket: i64 = row.try_get("", "bucket").expect("bucket");
        let bucket = usize::try_from(bucket).expect("a bucket index");
        counts[bucket] = (
            row.try_get("", "contacts").expect("contacts"),
            row.try_get("", "responses").expect("responses"),
        );
    }
    (elapsed, counts)
}

async fn call_service(
    client: &mut ScorecardServiceClient<Channel>,
    shape: &Shape,
    agent_id: &str,
) -> (Duration, Counts) {
    let started = Instant::now();
    let buckets = client
        .get_kpi_trend(pb::GetKpiTrendRequest {
            subject: Some(pb::get_kpi_trend_request::Subject::AgentId(
                agent_id.to_owned(),
            )),
            kpi_ids: KPIS.iter().map(|kpi| kpi.to_string()).collect(),
            period: Some(shape.period()),
            granularity: shape.granularity as i32,
            ..Default::default()
        })
        .await
        .expect("GetKpiTrend failed")
        .into_inner()
        .buckets;
    let elapsed = started.elapsed();
    let counts = buckets
        .iter()
        .map(|bucket| {
            let contacts = bucket.values[0].numerator as i64;
            let csat = bucket.values[KPIS.len() - 1].sample_size;
            (contacts, csat)
        })
        .collect();
    (elapsed, counts)
}

async fn measure_shape(
    service: &Service,
    directory: &Directory,
    shape: Shape,
) -> (IntradayFigure, usize) {
    let mut client = ScorecardServiceClient::new(service.channel().await);
    let agent = |call: usize| directory.agent_id((call as u64 * 7) % directory.agents);
    // Warm the connection.
    call_service(&mut client, &shape, &agent(0)).await;
    let (mut calls, mut sql) = (Vec::with_capacity(CALLS), Vec::with_capacity(CALLS));
    let mut rollup_sql = Vec::with_capacity(CALLS);
    let (mut mismatches, mut contacts) = (0, 0);
    for call in 0..CALLS {
        let agent_id = agent(call);
        let (service_time, answered) = call_service(&mut client, &shape, &agent_id).await;
        let (sql_time, reference) = run_reference(service, &shape, &agent_id).await;
        let (rollup_time, from_rollups) = run_rollup_reference(service, &shape, &agent_id).await;
        if answered != reference || from_rollups != reference {
            mismatches += 1;
        }
        rollup_sql.push(rollup_time);
        contacts += reference.iter().map(|(contacts, _)| contacts).sum::<i64>();
        calls.push(service_time);
        sql.push(sql_time);
    }
    let figure = IntradayFigure {
        buckets: shape.buckets(),
        service: Latencies::of(calls),
        sql: Latencies::of(sql),
        rollup_sql: Latencies::of(rollup_sql),
        contacts: contacts / CALLS as i64,
    };
    (figure, mismatches)
}

/// Measures both shapes, `CALLS` agents each (taken in turn).
pub async fn measure(service: &Service, directory: &Directory) -> IntradayFigures {
    let [quarters, hours] = shapes();
    let (quarter_hours_of_a_day, quarter_mismatches) =
        measure_shape(service, directory, quarters).await;
    let (hours_of_a_week, hour_mismatches) = measure_shape(service, directory, hours).await;
    IntradayFigures {
        quarter_hours_of_a_day,
        hours_of_a_week,
        mismatches: quarter_mismatches + hour_mismatches,
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1_000.0)
}

fn ratio(service: Duration, reference: Duration) -> String {
    format!("{:.1}×", service.as_secs_f64() / reference.as_secs_f64())
}

/// The intraday table: per row (a checkpoint or a round), both shapes'
/// p50 and p99 against their reference SQL over raw rows, and the same
/// buckets' SQL over slot rollups (`hourly.rs`).
pub fn print_table(rows: &[(String, IntradayFigures)]) {
    println!(
        "| intraday trend, one agent, 14 KPIs, {CALLS} calls each followed by both SQLs | run | service p50 (p99) | SQL over raw rows p50 (p99) | ratio p50 (p99) | SQL over slot rollups p50 (p99) | target |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (run, figures) in rows {
        for (name, figure) in [
            ("quarter-hours of one day", &figures.quarter_hours_of_a_day),
            ("hours of one ISO week", &figures.hours_of_a_week),
        ] {
            println!(
                "| {name} ({} buckets, {} contacts on average) | {run} | {} ({}) | {} ({}) | **{}** ({}) | {} ({}) | ≤ 2× |",
                figure.buckets,
                figure.contacts,
                ms(figure.service.p50),
                ms(figure.service.p99),
                ms(figure.sql.p50),
                ms(figure.sql.p99),
                ratio(figure.service.p50, figure.sql.p50),
                ratio(figure.service.p99, figure.sql.p99),
                ms(figure.rollup_sql.p50),
                ms(figure.rollup_sql.p99),
            );
        }
    }
    println!();
}
