//! The change-feed mode (`KPI_BENCH_MODE=changes`, PostgreSQL): what
//! recording changes costs ingest, how fast changes reach watchers on two
//! replicas, and whether any is lost or doubled across forced reconnects.
//!
//! 1. Without: a service with `changes.record_ingest = false` ingests the
//!    interactions with the writers; its throughput is the baseline.
//! 2. With: a fresh database, two replicas, changes recorded; the same
//!    ingest while `KPI_BENCH_WATCHERS` watchers (half on each replica, each
//!    following one team) read every change and reconnect from their last
//!    cursor every few messages until `KPI_BENCH_RECONNECTS` reconnects
//!    were made in all. Meanwhile a probe writes one interaction every
//!    100 ms on replica A and a watcher on replica B times its arrival, and
//!    a bare `LISTEN/NOTIFY` round trip is timed the same way on the same
//!    database: latency = receipt minus the moment the write (the RPC, or
//!    the `NOTIFY` statement) was acknowledged to its writer.
//! 3. Each watcher's changes are compared with `ListScorecardChanges` of
//!    its filter: lost and doubled changes are counted (and fail the run).

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use kpi_service::grpc::pb::{self, change_service_client::ChangeServiceClient};
use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::Mutex;
use tonic::transport::Channel;

use crate::{
    data::{passes, Directory, Kind},
    ingest::{self, Timed},
    server::{connect_channel, Backend, Service},
};

/// What the mode measured.
#[derive(Debug, Default)]
pub struct ChangeReport {
    pub without: Option<Timed>,
    pub with: Option<Timed>,
    pub changes_written: usize,
    pub watchers: usize,
    pub reconnects: usize,
    pub lost: usize,
    pub doubled: usize,
    pub delivered: usize,
    pub feed_latency_ms: Vec<f64>,
    pub notify_latency_ms: Vec<f64>,
}

fn percentile(values: &[f64], fraction: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index]
}

impl ChangeReport {
    pub fn print(&self, directory: &Directory, interactions: u64, writers: usize) {
        let rate = |timed: &Option<Timed>| timed.as_ref().map_or(f64::NAN, Timed::rows_per_second);
        let (without, with) = (rate(&self.without), rate(&self.with));
        println!("\n## Change feed (PostgreSQL)\n");
        println!(
            "{} agents in {} teams, {interactions} interactions in batches of 1,000, \
             {writers} writers; {} watchers on two replicas",
            directory.agents, directory.teams, self.watchers
        );
        println!("\n| measure | figure |\n|---|---|");
        println!("| ingest without changes | {without:.0} interactions/s |");
        println!("| ingest with changes recorded | {with:.0} interactions/s |");
        println!("| ratio (target >= 0.9) | {:.2} |", with / without);
        println!("| changes recorded | {} |", self.changes_written);
        println!(
            "| change delivery, write acknowledged -> watcher on the other replica, p50 / p99 \
             ({} probes) | {:.1} / {:.1} ms |",
            self.feed_latency_ms.len(),
            percentile(&self.feed_latency_ms, 0.5),
            percentile(&self.feed_latency_ms, 0.99)
        );
        println!(
            "| bare LISTEN/NOTIFY round trip, same run, p50 / p99 ({} pings) | {:.1} / {:.1} ms |",
            self.notify_latency_ms.len(),
            percentile(&self.notify_latency_ms, 0.5),
            percentile(&self.notify_latency_ms, 0.99)
        );
        println!(
            "| p99 ratio (target <= 3) | {:.1} |",
            percentile(&self.feed_latency_ms, 0.99) / percentile(&self.notify_latency_ms, 0.99)
        );
        println!(
            "| watcher deliveries checked / forced reconnects / lost / doubled | {} / {} / {} / {} |",
            self.delivered, self.reconnects, self.lost, self.doubled
        );
    }
}

async fn latest_cursor(channel: &Channel) -> String {
    ChangeServiceClient::new(channel.clone())
        .list_scorecard_changes(pb::ListScorecardChangesRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("ListScorecardChanges failed")
        .into_inner()
        .latest_cursor
}

async fn list_all(
    channel: &Channel,
    filter: &pb::ScorecardChangeFilter,
    since: &str,
) -> Vec<String> {
    let mut client = ChangeServiceClient::new(channel.clone());
    let (mut cursors, mut token) = (Vec::new(), String::new());
    loop {
        let page = client
            .list_scorecard_changes(pb::ListScorecardChangesRequest {
                filter: Some(filter.clone()),
                since_cursor: since.to_owned(),
                page_size: 1000,
                page_token: token,
            })
            .await
            .expect("ListScorecardChanges failed")
            .into_inner();
        cursors.extend(page.changes.into_iter().map(|change| change.cursor));
        if page.next_page_token.is_empty() {
            return cursors;
        }
        token = page.next_page_token;
    }
}

/// A watcher of one team: reads until `done` and its progress reaches the
/// latest cursor, reconnecting from its last cursor every `every`
/// messages while `budget` allows. Returns every change cursor received.
async fn watcher(
    channel: Channel,
    filter: pb::ScorecardChangeFilter,
    start: String,
    every: usize,
    budget: Arc<AtomicUsize>,
    reconnects: Arc<AtomicUsize>,
    done: Arc<Mutex<Option<String>>>,
) -> Vec<String> {
    let mut client = ChangeServiceClient::new(channel);
    let (mut cursor, mut received) = (start, Vec::new());
    loop {
        let mut stream = match client
            .watch_scorecard_changes(pb::WatchScorecardChangesRequest {
                filter: Some(filter.clone()),
                since_cursor: cursor.clone(),
            })
            .await
        {
            Ok(stream) => stream.into_inner(),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let mut messages = 0;
        loop {
            let next = tokio::time::timeout(Duration::from_millis(500), stream.message()).await;
            match next {
                Ok(Ok(Some(message))) => {
                    received.extend(message.changes.into_iter().map(|change| change.cursor));
                    cursor = message.progress_cursor;
                    messages += 1;
                }
                Ok(_) => break,
                Err(_) => {}
            }
            if let Some(latest) = done.lock().await.as_ref() {
                if &cursor == latest {
                    return received;
                }
            }
            let reconnect = messages >= every
                && budget
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                        left.checked_sub(1)
                    })
                    .is_ok();
            if reconnect {
                reconnects.fetch_add(1, Ordering::SeqCst);
                break;
            }
        }
    }
}

/// Ingests one interaction of the probe agent every 100 ms on `writer`
/// and times its arrival at a watcher on `reader`.
async fn probe(writer: Channel, reader: Channel, stop: Arc<AtomicBool>) -> Vec<f64> {
    let filter = pb::ScorecardChangeFilter {
        agent_ids: vec!["probe-agent".into()],
        ..Default::default()
    };
    let mut ingest = pb::ingest_service_client::IngestServiceClient::new(writer);
    // The agent exists before the watch names it.
    let first = probe_call(0);
    ingest
        .ingest_interactions(pb::IngestInteractionsRequest {
            interactions: vec![first],
        })
        .await
        .expect("the probe's first write failed");
    let start = latest_cursor(&reader).await;
    let mut stream = ChangeServiceClient::new(reader)
        .watch_scorecard_changes(pb::WatchScorecardChangesRequest {
            filter: Some(filter),
            since_cursor: start,
        })
        .await
        .expect("the probe's watch failed")
        .into_inner();
    let mut latencies = Vec::new();
    let mut index = 1;
    while !stop.load(Ordering::SeqCst) {
        let call = probe_call(index);
        index += 1;
        let reply = ingest
            .ingest_interactions(pb::IngestInteractionsRequest {
                interactions: vec![call],
            })
            .await;
        let acknowledged = Instant::now();
        if reply.is_err() {
            continue;
        }
        // The batch's changes arrive together (one message, under 100).
        loop {
            match tokio::time::timeout(Duration::from_secs(10), stream.message()).await {
                Ok(Ok(Some(message))) if !message.changes.is_empty() => {
                    let elapsed = Instant::now().saturating_duration_since(acknowledged);
                    latencies.push(elapsed.as_secs_f64() * 1000.0);
                    break;
                }
                Ok(Ok(Some(_))) => {}
                _ => return latencies,
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    latencies
}

fn probe_call(index: u64) -> pb::Interaction {
    let ended = crate::data::NOVEMBER_START_SECONDS + 9 * 3600 + index as i64;
    let at = |seconds: i64| prost_types::Timestamp { seconds, nanos: 0 };
    pb::Interaction {
        source: "bench-probe".into(),
        external_id: format!("probe-{index}"),
        agent_id: "probe-agent".into(),
        channel: pb::Channel::Phone as i32,
        queued_at: Some(at(ended - 300)),
        ended_at: Some(at(ended)),
        talk_seconds: 240 + (index % 60) as i64,
        ..Default::default()
    }
}

/// A bare `LISTEN/NOTIFY` round trip every 100 ms on the service's
/// database: receipt minus the `NOTIFY` statement's completion.
async fn notify_pings(url: String, stop: Arc<AtomicBool>) -> Vec<f64> {
    let mut listener = PgListener::connect(&url).await.expect("cannot LISTEN");
    listener
        .listen("kpi_bench_ping")
        .await
        .expect("cannot LISTEN");
    let notifier = crate::server::connect_own_pool(&url).await;
    let mut latencies = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        use sea_orm::ConnectionTrait;
        notifier
            .connection()
            .execute_unprepared("NOTIFY kpi_bench_ping, 'ping'")
            .await
            .expect("NOTIFY failed");
        let acknowledged = Instant::now();
        if tokio::time::timeout(Duration::from_secs(10), listener.recv())
            .await
            .is_ok()
        {
            let elapsed = Instant::now().saturating_duration_since(acknowledged);
            latencies.push(elapsed.as_secs_f64() * 1000.0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    latencies
}

pub async fn run(directory: Directory, interactions: u64, writers: usize) -> ChangeReport {
    let watchers = crate::env_number("KPI_BENCH_WATCHERS", 20).max(1) as usize;
    let reconnect_budget = crate::env_number("KPI_BENCH_RECONNECTS", 100) as usize;
    let pass = passes(interactions, interactions)[0];
    let mut report = ChangeReport {
        watchers,
        ..Default::default()
    };

    eprintln!("changes: ingest without recording");
    let service = Service::start_with(
        Backend::Postgres,
        None,
        vec![("KPI__CHANGES__RECORD_INGEST".into(), "false".into())],
    )
    .await;
    ingest::register_directory(&service, &directory).await;
    let (timed, errors) =
        ingest::ingest_pass(&service, &directory, &pass, Kind::Interactions, writers).await;
    assert_eq!(errors.lost_batches, 0, "batches were lost");
    report.without = Some(timed);
    service.stop().await;

    eprintln!("changes: ingest with recording, two replicas, {watchers} watchers");
    let service = Service::start_with(
        Backend::Postgres,
        None,
        vec![
            ("KPI__CHANGES__RECORD_INGEST".into(), "true".into()),
            ("KPI__CHANGES__MAX_STREAMS".into(), "1000".into()),
            ("KPI__DATABASE__MAX_CONNECTIONS".into(), "16".into()),
        ],
    )
    .await;
    ingest::register_directory(&service, &directory).await;
    let (mut replica_b, endpoint_b) = service.replica().await;
    let channel_a = service.channel().await;
    let channel_b = connect_channel(&endpoint_b).await;
    let start = latest_cursor(&channel_a).await;
    let budget = Arc::new(AtomicUsize::new(reconnect_budget));
    let reconnects = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(Mutex::new(None));
    let mut tasks = Vec::new();
    for index in 0..watchers {
        let team = directory.team_id(index as u64 % directory.teams);
        let filter = pb::ScorecardChangeFilter {
            team_ids: vec![team],
            ..Default::default()
        };
        let channel = if index % 2 == 0 {
            channel_a.clone()
        } else {
            channel_b.clone()
        };
        let every = 5 + index % 7;
        tasks.push((
            filter.clone(),
            tokio::spawn(watcher(
                channel,
                filter,
                start.clone(),
                every,
                budget.clone(),
                reconnects.clone(),
                done.clone(),
            )),
        ));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let probe_task = tokio::spawn(probe(channel_a.clone(), channel_b.clone(), stop.clone()));
    let ping_task = tokio::spawn(notify_pings(service.url().to_owned(), stop.clone()));
    let (timed, errors) =
        ingest::ingest_pass(&service, &directory, &pass, Kind::Interactions, writers).await;
    assert_eq!(errors.lost_batches, 0, "batches were lost");
    report.with = Some(timed);
    stop.store(true, Ordering::SeqCst);
    report.feed_latency_ms = probe_task.await.expect("the probe panicked");
    report.notify_latency_ms = ping_task.await.expect("the pings panicked");

    eprintln!("changes: checking every watcher against the listing");
    let latest = latest_cursor(&channel_a).await;
    *done.lock().await = Some(latest);
    for (filter, task) in tasks {
        let received = tokio::time::timeout(Duration::from_secs(600), task)
            .await
            .expect("a watcher never caught up")
            .expect("a watcher panicked");
        let listed = list_all(&channel_a, &filter, &start).await;
        let listed_set: HashSet<&String> = listed.iter().collect();
        let received_set: HashSet<&String> = received.iter().collect();
        report.doubled += received.len() - received_set.len();
        report.lost += listed_set.difference(&received_set).count();
        report.delivered += received.len();
    }
    report.reconnects = reconnects.load(Ordering::SeqCst);
    report.changes_written = list_all(&channel_a, &pb::ScorecardChangeFilter::default(), &start)
        .await
        .len();
    replica_b.start_kill().ok();
    replica_b.wait().await.ok();
    service.stop().await;
    report
}
