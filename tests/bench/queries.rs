//! The November queries, through gRPC and, as references, by SQL executed
//! directly on the database: the rollup GROUP BY the service itself runs
//! (`storage::rollups::read::grouped_sums`), and a raw GROUP BY over the
//! interactions.
//!
//! It is longer than most files on purpose: each query stands next to the
//! SQL it is measured against, so that a change to one is made beside the
//! other.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use kpi_service::{
    domain::calendar::LocalDay,
    grpc::pb::{self, scorecard_service_client::ScorecardServiceClient},
    storage::{
        facts::FactScope,
        rollups::{
            read::{grouped_sums_statement, Grouping},
            ROLLUP_TABLE,
        },
        Database,
    },
};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use tonic::transport::Channel;

use crate::{
    data::{Directory, DECEMBER_START_SECONDS, NOVEMBER_START_SECONDS},
    server::{connect_channel, connect_own_pool, Service},
};

/// Calls of the one-agent scorecard per measurement.
pub const SCORECARD_CALLS: usize = 1_000;
/// Repetitions of the organisation-wide figures (the median is reported).
const REPETITIONS: usize = 3;
/// Concurrent organisation-wide calls of the memory test.
pub const CONCURRENT_CALLS: usize = 50;

fn november() -> Option<pb::PeriodSelector> {
    Some(pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Month("2026-11".into())),
    })
}

/// Latency percentiles of a series of calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latencies {
    pub calls: usize,
    pub p50: Duration,
    pub p99: Duration,
}

impl Latencies {
    pub fn of(mut samples: Vec<Duration>) -> Latencies {
        samples.sort();
        let at = |fraction: f64| {
            let position = ((samples.len() as f64 * fraction).ceil() as usize).max(1) - 1;
            samples.get(position).copied().unwrap_or_default()
        };
        Latencies {
            calls: samples.len(),
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

/// One agent's November scorecard, agents taken in turn.
async fn agent_scorecard(
    client: &mut ScorecardServiceClient<Channel>,
    directory: &Directory,
    call: u64,
) -> Duration {
    let started = Instant::now();
    client
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: probed_agent(directory, call),
            period: november(),
            ..Default::default()
        })
        .await
        .expect("GetAgentScorecard failed");
    started.elapsed()
}

fn probed_agent(directory: &Directory, call: u64) -> String {
    directory.agent_id((call * 7) % directory.agents)
}

/// The rollup SQL the service runs for that agent's month, on the
/// benchmark's own pool: the same round trip without the service.
async fn agent_rollup_sql(database: &Database, directory: &Directory, call: u64) -> Duration {
    let agents = [probed_agent(directory, call)];
    let statement = rollup_statement(
        database.connection().get_database_backend(),
        FactScope::Agents(&agents),
        Grouping::Agent,
    );
    let started = Instant::now();
    database
        .connection()
        .query_all(statement)
        .await
        .expect("the one-agent rollup SQL failed");
    started.elapsed()
}

/// The one-agent scorecard through the service and its rollup SQL.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProbeLatencies {
    pub service: Latencies,
    pub sql: Latencies,
}

/// `SCORECARD_CALLS` sequential calls on an otherwise idle service, each
/// followed by the same agent's SQL.
pub async fn agent_scorecards_unloaded(service: &Service, directory: &Directory) -> ProbeLatencies {
    let mut client = ScorecardServiceClient::new(service.channel().await);
    // Warm the connection and the policy cache first.
    agent_scorecard(&mut client, directory, 0).await;
    agent_rollup_sql(&service.database, directory, 0).await;
    let mut calls = Vec::with_capacity(SCORECARD_CALLS);
    let mut sql = Vec::with_capacity(SCORECARD_CALLS);
    for call in 0..SCORECARD_CALLS as u64 {
        calls.push(agent_scorecard(&mut client, directory, call).await);
        sql.push(agent_rollup_sql(&service.database, directory, call).await);
    }
    ProbeLatencies {
        service: Latencies::of(calls),
        sql: Latencies::of(sql),
    }
}

/// Calls the one-agent scorecard, then its SQL, every 20 ms until
/// stopped: started beside an ingest to measure latency under load. It
/// runs on a thread and runtime of its own, with its own database pool, so
/// that it times the service and the database, not the wait for a worker
/// of the benchmark's runtime, which is busy building the writers' batches.
pub struct LoadedProbe {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(Vec<Duration>, Vec<Duration>)>,
}

impl LoadedProbe {
    pub async fn start(service: &Service, directory: &Directory) -> LoadedProbe {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, directory) = (stop.clone(), *directory);
        let (endpoint, url) = (service.endpoint.clone(), service.url().to_owned());
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cannot build the probe's runtime");
            runtime.block_on(async move {
                let mut client = ScorecardServiceClient::new(connect_channel(&endpoint).await);
                let database = connect_own_pool(&url).await;
                let _ = ready_tx.send(());
                let (mut calls, mut sql) = (Vec::new(), Vec::new());
                let mut call = 0;
                while !flag.load(Ordering::Relaxed) {
                    calls.push(agent_scorecard(&mut client, &directory, call).await);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    sql.push(agent_rollup_sql(&database, &directory, call).await);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    call += 1;
                }
                database.close().await;
                (calls, sql)
            })
        });
        ready_rx.await.expect("the probe did not start");
        LoadedProbe { stop, thread }
    }

    pub async fn finish(self) -> ProbeLatencies {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread;
        let (calls, sql) = tokio::task::spawn_blocking(move || thread.join())
            .await
            .expect("the probe's join failed")
            .expect("the probe panicked");
        ProbeLatencies {
            service: Latencies::of(calls),
            sql: Latencies::of(sql),
        }
    }
}

/// The median of `REPETITIONS` runs of `run`, with what the last returned.
pub async fn median_of<F, Fut, T>(mut run: F) -> (Duration, T)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..REPETITIONS {
        let started = Instant::now();
        last = Some(run().await);
        times.push(started.elapsed());
    }
    times.sort();
    (
        times[REPETITIONS / 2],
        last.expect("at least one repetition"),
    )
}

/// Every page of `ListAgentScorecards`; returns the number of scorecards.
pub async fn list_all_scorecards(
    client: &mut ScorecardServiceClient<Channel>,
    order: pb::ScorecardOrder,
) -> usize {
    let mut page_token = String::new();
    let mut count = 0;
    loop {
        let reply = client
            .list_agent_scorecards(pb::ListAgentScorecardsRequest {
                period: november(),
                order: order as i32,
                page_size: 500,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await;
        let page = match reply {
            Err(status) if status.code() == tonic::Code::ResourceExhausted => {
                wait_pushback(&status).await;
                continue;
            }
            other => other.expect("ListAgentScorecards failed").into_inner(),
        };
        count += page.scorecards.len();
        if page.next_page_token.is_empty() {
            return count;
        }
        page_token = page.next_page_token;
    }
}

/// Every page of `ListThresholdBreaches`; returns the number of breaches.
pub async fn list_all_breaches(client: &mut ScorecardServiceClient<Channel>) -> usize {
    let mut page_token = String::new();
    let mut count = 0;
    loop {
        let reply = client
            .list_threshold_breaches(pb::ListThresholdBreachesRequest {
                period: november(),
                page_size: 1_000,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await;
        let page = match reply {
            Err(status) if status.code() == tonic::Code::ResourceExhausted => {
                wait_pushback(&status).await;
                continue;
            }
            other => other.expect("ListThresholdBreaches failed").into_inner(),
        };
        count += page.breaches.len();
        if page.next_page_token.is_empty() {
            return count;
        }
        page_token = page.next_page_token;
    }
}

/// Waits as long as a shed call's `grpc-retry-pushback-ms` asks (the
/// service limits concurrent organisation-wide calls; a well-behaved
/// payroll client retries after the delay).
pub async fn wait_pushback(status: &tonic::Status) {
    let millis = status
        .metadata()
        .get("grpc-retry-pushback-ms")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse().ok())
        .unwrap_or(100u64);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}

fn placeholder(backend: DatabaseBackend, position: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${position}"),
        _ => "?".to_owned(),
    }
}

/// The rollup GROUP BY the service runs (its own statement builder), for
/// November: by agent (all agents, or one team's) or by day (a team's
/// trend).
pub fn rollup_sql(backend: DatabaseBackend, team: Option<&str>, by_day: bool) -> Statement {
    let scope = match team {
        Some(team) => FactScope::Team(team),
        None => FactScope::Organisation,
    };
    let grouping = if by_day {
        Grouping::Day
    } else {
        Grouping::Agent
    };
    rollup_statement(backend, scope, grouping)
}

/// November's rollup GROUP BY for `scope`.
fn rollup_statement(
    backend: DatabaseBackend,
    scope: FactScope<'_>,
    grouping: Grouping,
) -> Statement {
    // The benchmark runs in UTC.
    let day = |seconds: i64| {
        LocalDay::of_instant(
            chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default(),
            chrono_tz::UTC,
        )
    };
    grouped_sums_statement(
        backend,
        scope,
        day(NOVEMBER_START_SECONDS),
        day(DECEMBER_START_SECONDS),
        grouping,
    )
}

/// A raw GROUP BY over November's interactions (the sums of the
/// interaction KPIs only, no surveys): what reading raw rows costs.
fn raw_sql(backend: DatabaseBackend) -> Statement {
    let micros = |seconds: i64| seconds * 1_000_000;
    let flag = |column: &str| format!("SUM(CASE WHEN {column} THEN 1 ELSE 0 END) AS {column}");
    let sql = format!(
        "SELECT agent_id, COUNT(*) AS contacts, \
         SUM(talk_seconds + hold_seconds + after_contact_work_seconds) AS handle_seconds, \
         SUM(first_response_at_us - queued_at_us) AS response_micros, \
         SUM(CASE WHEN sla_due_at_us IS NOT NULL AND first_response_at_us > sla_due_at_us \
         THEN 1 ELSE 0 END) AS overdue, {}, {}, {}, {}, {}, {} \
         FROM interactions WHERE NOT voided AND ended_at_us >= {} AND ended_at_us < {} \
         GROUP BY agent_id",
        flag("resolved"),
        flag("first_contact_resolved"),
        flag("escalated"),
        flag("transferred"),
        flag("agent_error"),
        flag("complaint"),
        placeholder(backend, 1),
        placeholder(backend, 2),
    );
    Statement::from_sql_and_values(
        backend,
        sql,
        [
            micros(NOVEMBER_START_SECONDS).into(),
            micros(DECEMBER_START_SECONDS).into(),
        ],
    )
}

/// Runs a statement and fetches every row; returns the row count.
pub async fn run_sql(service: &Service, statement: Statement) -> usize {
    service
        .database
        .connection()
        .query_all(statement)
        .await
        .expect("reference SQL failed")
        .len()
}

/// The organisation-wide and team figures at one checkpoint.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryFigures {
    pub unloaded: ProbeLatencies,
    pub all_scorecards: Duration,
    pub scorecards_listed: usize,
    pub rollup_by_agent: Duration,
    pub all_breaches: Duration,
    pub breaches_listed: usize,
    pub team_scorecard: Duration,
    pub rollup_team: Duration,
    pub team_trend: Duration,
    pub rollup_team_by_day: Duration,
    pub raw_group_by: Duration,
}

/// Measures every query figure once the ingest of a pass is done.
pub async fn measure(service: &Service, directory: &Directory) -> QueryFigures {
    let backend = service.database.connection().get_database_backend();
    let mut client = ScorecardServiceClient::new(service.channel().await);
    let team = directory.team_id(0);
    let kpi_ids: Vec<String> = client
        .list_kpis(pb::ListKpisRequest {})
        .await
        .expect("ListKpis failed")
        .into_inner()
        .kpis
        .into_iter()
        .map(|kpi| kpi.kpi_id)
        .collect();

    let unloaded = agent_scorecards_unloaded(service, directory).await;
    let (all_scorecards, scorecards_listed) = median_of(|| {
        let mut client = client.clone();
        async move { list_all_scorecards(&mut client, pb::ScorecardOrder::AgentId).await }
    })
    .await;
    let (rollup_by_agent, _) =
        median_of(|| run_sql(service, rollup_sql(backend, None, false))).await;
    let (all_breaches, breaches_listed) = median_of(|| {
        let mut client = client.clone();
        async move { list_all_breaches(&mut client).await }
    })
    .await;
    let (team_scorecard, _) = median_of(|| {
        let mut client = client.clone();
        let team_id = team.clone();
        async move {
            client
                .get_team_scorecard(pb::GetTeamScorecardRequest {
                    team_id,
                    period: november(),
                    ..Default::default()
                })
                .await
                .expect("GetTeamScorecard failed");
        }
    })
    .await;
    let (rollup_team, _) =
        median_of(|| run_sql(service, rollup_sql(backend, Some(&team), false))).await;
    let (team_trend, _) = median_of(|| {
        let mut client = client.clone();
        let (team_id, kpi_ids) = (team.clone(), kpi_ids.clone());
        async move {
            client
                .get_kpi_trend(pb::GetKpiTrendRequest {
                    subject: Some(pb::get_kpi_trend_request::Subject::TeamId(team_id)),
                    kpi_ids,
                    period: november(),
                    granularity: pb::TrendGranularity::Day as i32,
                    consistency_token: String::new(),
                })
                .await
                .expect("GetKpiTrend failed");
        }
    })
    .await;
    let (rollup_team_by_day, _) =
        median_of(|| run_sql(service, rollup_sql(backend, Some(&team), true))).await;
    let (raw_group_by, _) = median_of(|| run_sql(service, raw_sql(backend))).await;
    QueryFigures {
        unloaded,
        all_scorecards,
        scorecards_listed,
        rollup_by_agent,
        all_breaches,
        breaches_listed,
        team_scorecard,
        rollup_team,
        team_trend,
        rollup_team_by_day,
        raw_group_by,
    }
}

/// `CONCURRENT_CALLS` organisation-wide listings at once (half the
/// scorecards by composite score, half the breaches, all pages each).
pub async fn concurrent_organisation_calls(service: &Service) -> Duration {
    let channel = service.channel().await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for call in 0..CONCURRENT_CALLS {
        let mut client = ScorecardServiceClient::new(channel.clone());
        tasks.push(tokio::spawn(async move {
            if call % 2 == 0 {
                list_all_scorecards(&mut client, pb::ScorecardOrder::CompositeScoreDesc).await
            } else {
                list_all_breaches(&mut client).await
            }
        }));
    }
    for task in tasks {
        task.await.expect("a concurrent call panicked");
    }
    started.elapsed()
}

/// Sums every rollup's contacts and CSAT responses: what was counted.
pub async fn rollup_totals(service: &Service) -> (i64, i64) {
    let connection = service.database.connection();
    let row = connection
        .query_one(Statement::from_string(
            connection.get_database_backend(),
            format!(
                "SELECT CAST(COALESCE(SUM(contacts), 0) AS BIGINT) AS contacts, \
                 CAST(COALESCE(SUM(csat_responses), 0) AS BIGINT) AS csat FROM {ROLLUP_TABLE}"
            ),
        ))
        .await
        .expect("rollup totals failed")
        .expect("no totals row");
    (
        row.try_get("", "contacts").expect("contacts"),
        row.try_get("", "csat").expect("csat"),
    )
}
