//! With one streaming standby (`KPI_BENCH_STANDBY=1`, PostgreSQL only):
//! the service started with the standby as its read replica, and after
//! each pass
//!
//! - every page of the organisation list and of the breaches through the
//!   service (served by the standby) beside the same month's sums written
//!   by hand (a `GROUP BY agent_id` of every rollup column, not the
//!   service's statement) run directly on the standby, in the same run;
//! - the primary's single-agent p99, idle and during a payroll burst of
//!   `BURST_CALLS` concurrent organisation lists (every page), which the
//!   standby serves;
//! - where the service's reads went (its `/replicas` listing).
//!
//! The standby is made by `scripts/pg-standby.sh` and removed when the
//! benchmark exits.

use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

use kpi_service::{
    domain::{
        calendar::LocalDay,
        kpi::KpiSums,
        period::Period,
        scorecard::{judge, AppliedPolicy},
    },
    grpc::pb::{self, scorecard_service_client::ScorecardServiceClient},
    storage::Database,
};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::{
    data::{Directory, DECEMBER_START_SECONDS, NOVEMBER_START_SECONDS},
    queries::{list_all_breaches, list_all_scorecards, Latencies},
    server::{connect_own_pool, free_port, Service},
};

/// Concurrent organisation-wide listings of the payroll burst.
pub const BURST_CALLS: usize = 50;
/// Single-agent calls per p99.
const AGENT_CALLS: usize = 300;

/// A standby of the benchmark's PostgreSQL server, for its whole run.
pub struct Standby {
    pub port: u16,
    dir: PathBuf,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-standby.sh")
}

impl Standby {
    /// Starts one (removed by the script's watchdog if the benchmark dies).
    pub fn start() -> Standby {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("kpi-bench-standby-{}", std::process::id()));
        let status = Command::new(script())
            .arg("start")
            .arg(port.to_string())
            .arg(&dir)
            .arg(std::process::id().to_string())
            .status()
            .expect("cannot run scripts/pg-standby.sh");
        assert!(status.success(), "scripts/pg-standby.sh failed");
        Standby { port, dir }
    }

    /// The standby's copy of the database at `primary_url`.
    pub fn url_of(&self, primary_url: &str) -> String {
        let name = primary_url.rsplit('/').next().expect("a database name");
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    pub fn stop(self) {
        let _ = Command::new(script()).arg("stop").arg(&self.dir).status();
    }
}

/// The figures of one checkpoint with the standby.
#[derive(Debug, Clone, Default)]
pub struct ReplicaFigures {
    pub all_scorecards: Duration,
    pub all_breaches: Duration,
    pub bare_sql_on_standby: Duration,
    pub agent_idle: Latencies,
    pub agent_burst: Latencies,
    pub burst_elapsed: Duration,
    /// The service's `/replicas` line(s) after the measurements.
    pub routing: String,
    /// The service process's CPU per idle single-agent call (from /proc).
    pub service_cpu_per_agent_call: Duration,
    /// Judging 24 KPIs (`domain::scorecard::judge` on a full month's sums,
    /// the catalogue's default rules), in this process.
    pub judge_cpu: Duration,
}

/// One agent's month of sums with every KPI defined: 400 contacts.
fn month_of_sums() -> KpiSums {
    KpiSums {
        contacts: 400,
        worked_days: 20,
        handle_seconds: 400 * 300,
        responses_timed: 400,
        response_micros: 400 * 30_000_000,
        resolutions_timed: 380,
        resolution_micros: 380 * 600_000_000,
        first_contact_resolved: 300,
        resolved: 380,
        escalated: 12,
        transferred: 20,
        solo_resolved: 350,
        with_sla: 400,
        overdue: 15,
        agent_errors: 4,
        complaints: 2,
        qa_evaluations: 8,
        qa_score: 70.0,
        qa_max_score: 80.0,
        criterion_ratings: 24,
        criterion_rating_total: 90,
        csat_responses: 80,
        csat_satisfied: 66,
        nps_responses: 40,
        nps_promoters: 20,
        nps_detractors: 6,
        ces_responses: 30,
        ces_easy: 24,
        process_checks: 50,
        process_passed: 47,
        privacy_checks: 50,
        privacy_passed: 49,
        violations: 1,
        training_due: 3,
        training_on_time: 2,
        agent_time_records: 20,
        handling_seconds: 400 * 300,
        logged_in_seconds: 20 * 8 * 3600,
        scheduled_seconds: 20 * 8 * 3600,
    }
}

/// CPU of judging one agent's 24 KPIs, averaged over many calls.
fn judge_cpu() -> Duration {
    const CALLS: u32 = 20_000;
    let sums = month_of_sums();
    let policy = AppliedPolicy::from_version(None);
    let period = Period {
        start: chrono::DateTime::from_timestamp(NOVEMBER_START_SECONDS, 0).unwrap_or_default(),
        end: chrono::DateTime::from_timestamp(DECEMBER_START_SECONDS, 0).unwrap_or_default(),
    };
    let started = Instant::now();
    let mut judged = 0_usize;
    for _ in 0..CALLS {
        let scorecard = judge(&sums, policy.clone(), None, period, None);
        judged += std::hint::black_box(scorecard).values.len();
    }
    assert!(judged > 0);
    started.elapsed() / CALLS
}

/// Waits until the standby has replayed what the primary has flushed.
async fn wait_for_catch_up(primary: &Database, standby: &Database) {
    let position = |database: &Database, sql: &'static str| {
        let connection = database.connection().clone();
        async move {
            let row = connection
                .query_one(Statement::from_string(DatabaseBackend::Postgres, sql))
                .await
                .expect("WAL position")
                .expect("a row");
            row.try_get::<i64>("", "lsn").expect("an LSN")
        }
    };
    let target = position(
        primary,
        "SELECT (pg_current_wal_flush_lsn() - '0/0'::pg_lsn)::bigint AS lsn",
    )
    .await;
    let started = Instant::now();
    while position(
        standby,
        "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS lsn",
    )
    .await
        < target
    {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the standby never caught up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The service's lag watcher looks a few times per bound.
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// November's sums per agent, written by hand over `kpi_rollups`: every
/// column summed, grouped by agent, the month's days.
async fn bare_sql(database: &Database) -> Duration {
    let connection = database.connection();
    let columns: Vec<String> = connection
        .query_all(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT column_name FROM information_schema.columns \
             WHERE table_name = 'kpi_rollups' AND column_name NOT IN ('agent_id', 'team_id', 'day') \
             ORDER BY ordinal_position",
        ))
        .await
        .expect("rollup columns")
        .into_iter()
        .map(|row| row.try_get::<String>("", "column_name").expect("a name"))
        .collect();
    let sums: Vec<String> = columns
        .iter()
        .map(|column| format!("SUM({column}) AS {column}"))
        .collect();
    let day = |seconds: i64| {
        LocalDay::of_instant(
            chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default(),
            chrono_tz::UTC,
        )
        .number()
    };
    let sql = format!(
        "SELECT agent_id, {} FROM kpi_rollups WHERE day >= {} AND day < {} GROUP BY agent_id",
        sums.join(", "),
        day(NOVEMBER_START_SECONDS),
        day(DECEMBER_START_SECONDS)
    );
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        connection
            .query_all(Statement::from_string(
                DatabaseBackend::Postgres,
                sql.clone(),
            ))
            .await
            .expect("the hand-written SQL failed");
        times.push(started.elapsed());
    }
    times.sort();
    times[1]
}

/// `AGENT_CALLS` single-agent November scorecards, agents in turn.
async fn agent_calls(
    client: &mut ScorecardServiceClient<tonic::transport::Channel>,
    directory: &Directory,
) -> Latencies {
    let mut samples = Vec::with_capacity(AGENT_CALLS);
    for call in 0..AGENT_CALLS as u64 {
        let started = Instant::now();
        client
            .get_agent_scorecard(pb::GetAgentScorecardRequest {
                agent_id: directory.agent_id(call % directory.agents),
                period: Some(pb::PeriodSelector {
                    period: Some(pb::period_selector::Period::Month("2026-11".into())),
                }),
                ..Default::default()
            })
            .await
            .expect("GetAgentScorecard failed");
        samples.push(started.elapsed());
    }
    Latencies::of(samples)
}

/// The median of three runs of `run`.
async fn median<F, Fut>(mut run: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        run().await;
        times.push(started.elapsed());
    }
    times.sort();
    times[1]
}

/// Measures one checkpoint with the standby serving the service's
/// replica-ok reads.
pub async fn measure(
    service: &Service,
    standby: &Standby,
    directory: &Directory,
    operations: &str,
) -> ReplicaFigures {
    let standby_pool = connect_own_pool(&standby.url_of(service.url())).await;
    wait_for_catch_up(&service.database, &standby_pool).await;
    let channel = service.channel().await;
    let client = ScorecardServiceClient::new(channel.clone());
    let all_scorecards = median(|| {
        let mut client = client.clone();
        async move { list_all_scorecards(&mut client, pb::ScorecardOrder::AgentId).await }
    })
    .await;
    let all_breaches = median(|| {
        let mut client = client.clone();
        async move { list_all_breaches(&mut client).await }
    })
    .await;
    let bare_sql_on_standby = bare_sql(&standby_pool).await;
    let cpu_before = service.cpu_seconds();
    let agent_idle = agent_calls(&mut client.clone(), directory).await;
    let service_cpu_per_agent_call =
        Duration::from_secs_f64((service.cpu_seconds() - cpu_before) / AGENT_CALLS as f64);
    let burst_started = Instant::now();
    let burst: Vec<_> = (0..BURST_CALLS)
        .map(|_| {
            let mut client = ScorecardServiceClient::new(channel.clone());
            tokio::spawn(async move {
                list_all_scorecards(&mut client, pb::ScorecardOrder::AgentId).await
            })
        })
        .collect();
    let agent_burst = agent_calls(&mut client.clone(), directory).await;
    for call in burst {
        call.await.expect("a burst call panicked");
    }
    let burst_elapsed = burst_started.elapsed();
    standby_pool.close().await;
    ReplicaFigures {
        all_scorecards,
        all_breaches,
        bare_sql_on_standby,
        agent_idle,
        agent_burst,
        burst_elapsed,
        routing: http_get(operations, "/replicas").await,
        service_cpu_per_agent_call,
        judge_cpu: judge_cpu(),
    }
}

/// `GET path` from the service's operations listener (plain HTTP/1.1).
async fn http_get(address: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(address).await else {
        return "(operations listener unreachable)".into();
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return String::new();
    }
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    let reply = String::from_utf8_lossy(&reply).into_owned();
    reply
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.trim().to_owned())
        .unwrap_or(reply)
}

impl ReplicaFigures {
    /// The figures, each beside its same-run reference.
    pub fn print(&self, interactions: u64) {
        let ms = |duration: Duration| duration.as_secs_f64() * 1_000.0;
        let ratio = |service: Duration, reference: Duration| {
            ms(service) / ms(reference).max(f64::MIN_POSITIVE)
        };
        println!("\nWith one standby serving replica-ok reads, at {interactions} interactions:");
        println!(
            "  all agents' scorecards, every page (standby): {:.1} ms; hand-written GROUP BY on the standby {:.1} ms = {:.2}x",
            ms(self.all_scorecards),
            ms(self.bare_sql_on_standby),
            ratio(self.all_scorecards, self.bare_sql_on_standby)
        );
        println!(
            "  breaches, every page (standby): {:.1} ms = {:.2}x the same hand-written GROUP BY",
            ms(self.all_breaches),
            ratio(self.all_breaches, self.bare_sql_on_standby)
        );
        println!(
            "  primary single-agent p50/p99 idle: {:.2} / {:.2} ms; during {BURST_CALLS} concurrent organisation lists ({:.0} ms in all): {:.2} / {:.2} ms = {:.2}x idle p99",
            ms(self.agent_idle.p50),
            ms(self.agent_idle.p99),
            ms(self.burst_elapsed),
            ms(self.agent_burst.p50),
            ms(self.agent_burst.p99),
            ratio(self.agent_burst.p99, self.agent_idle.p99)
        );
        println!(
            "  service CPU per idle single-agent call: {:.0} us, of which judging 24 KPIs (measured in-process): {:.1} us",
            self.service_cpu_per_agent_call.as_secs_f64() * 1e6,
            self.judge_cpu.as_secs_f64() * 1e6
        );
        println!("  reads routed (GET /replicas): {}", self.routing);
    }
}
