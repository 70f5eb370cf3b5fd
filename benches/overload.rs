//! Overload benchmark: `cargo bench --bench overload` (about a minute).
//!
//! Starts the release `kpi-service` binary as a child process (SQLite in a
//! temporary directory, or `KPI_OVERLOAD_DATABASE_URL`), seeds a month of
//! interactions for 20 agents, then measures single-agent month scorecards
//! - unloaded: one call at a time;
//! - at 4x the concurrency limit: `4 x limit` clients calling back to back
//!   for `KPI_OVERLOAD_SECONDS` (default 15), while a prober calls
//!   `grpc.health.v1.Health/Check` every 50 ms and the server's resident
//!   memory is sampled from `/proc`.
//!
//! It reports admitted-call p50/p99 against unloaded, the share shed,
//! health latency and peak RSS. It reports; it never fails on a figure.
//! The limit is the service's default unless `KPI_OVERLOAD_LIMIT` is set.
//!
//! Two rounds: clients that call again at once after being shed (the
//! worst case: shed calls are answered in well under a millisecond, so the
//! clients spin), then clients that wait the `grpc-retry-pushback-ms` the
//! server sends, as a gRPC client with a retry policy does.

#![allow(clippy::unwrap_used)]

#[path = "../tests/api/support/mod.rs"]
#[allow(dead_code, unused_imports)]
mod support;
/// The test suite's builders of an interaction and an ingest request.
mod fixtures {
    pub use crate::support::{ingest::interactions, records::interaction};
}

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use kpi_service::{configuration::Settings, grpc::pb};
use tonic::{transport::Channel, Code};
use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};

const AGENTS: usize = 20;
const CALLS_PER_AGENT: usize = 100;
/// Clients sharing one HTTP/2 connection.
const CLIENTS_PER_CONNECTION: usize = 16;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(database_url: &str, limit: usize, heavy_limit: usize) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_kpi-service"))
            .env("KPI__SERVER__LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("KPI__SERVER__MAX_CONCURRENT_REQUESTS", limit.to_string())
            .env(
                "KPI__SERVER__MAX_CONCURRENT_HEAVY_REQUESTS",
                heavy_limit.min(limit).to_string(),
            )
            .env("KPI__DATABASE__URL", database_url)
            .env("KPI__TELEMETRY__LOG_FILTER", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("cannot start the kpi-service binary");
        Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A `/proc/<pid>/status` field in KiB (Linux only).
    fn memory_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|line| line.starts_with(field))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    async fn channel(&self) -> Channel {
        for _ in 0..100 {
            if let Ok(channel) = Channel::from_shared(self.address.clone())
                .unwrap()
                .connect()
                .await
            {
                return channel;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not start listening");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

async fn wait_until_serving(channel: &Channel) {
    let mut health = HealthClient::new(channel.clone());
    for _ in 0..100 {
        if let Ok(reply) = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
        {
            if reply.into_inner().status == 1 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server never reported SERVING");
}

async fn seed(channel: &Channel) {
    let mut ingest = pb::ingest_service_client::IngestServiceClient::new(channel.clone());
    let items: Vec<pb::Interaction> = (0..AGENTS * CALLS_PER_AGENT)
        .map(|n| {
            let mut item =
                fixtures::interaction(&format!("call-{n}"), &format!("agent-{}", n % AGENTS));
            item.talk_seconds = 60 + (n % 600) as i64;
            item
        })
        .collect();
    for chunk in items.chunks(1_000) {
        ingest
            .ingest_interactions(fixtures::interactions(chunk.to_vec()))
            .await
            .unwrap();
    }
}

fn scorecard_request(n: usize) -> pb::GetAgentScorecardRequest {
    pb::GetAgentScorecardRequest {
        agent_id: format!("agent-{}", n % AGENTS),
        period: Some(pb::PeriodSelector {
            period: Some(pb::period_selector::Period::Month("2026-11".into())),
        }),
        ..Default::default()
    }
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1e3)
}

async fn unloaded(channel: &Channel, calls: usize) -> Vec<Duration> {
    let mut client = pb::scorecard_service_client::ScorecardServiceClient::new(channel.clone());
    let mut latencies = Vec::with_capacity(calls);
    for n in 0..calls {
        let started = Instant::now();
        client
            .get_agent_scorecard(scorecard_request(n))
            .await
            .unwrap();
        latencies.push(started.elapsed());
    }
    latencies.sort();
    latencies
}

#[derive(Default)]
struct LoadOutcome {
    admitted: Vec<Duration>,
    shed: Vec<Duration>,
    other: Vec<Code>,
}

async fn overload(
    server: &Server,
    clients: usize,
    seconds: u64,
    honour_pushback: bool,
) -> (LoadOutcome, Vec<Duration>, u64) {
    let outcome = Arc::new(Mutex::new(LoadOutcome::default()));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    let mut channel = server.channel().await;
    for client_number in 0..clients {
        if client_number % CLIENTS_PER_CONNECTION == 0 {
            channel = server.channel().await;
        }
        let mut client = pb::scorecard_service_client::ScorecardServiceClient::new(channel.clone());
        let outcome = outcome.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = client_number;
            while Instant::now() < until {
                let started = Instant::now();
                let result = client.get_agent_scorecard(scorecard_request(n)).await;
                let elapsed = started.elapsed();
                let pushback = match &result {
                    Err(status) if status.code() == Code::ResourceExhausted => status
                        .metadata()
                        .get("grpc-retry-pushback-ms")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.parse::<u64>().ok()),
                    _ => None,
                };
                {
                    let mut outcome = outcome.lock().unwrap();
                    match result {
                        Ok(_) => outcome.admitted.push(elapsed),
                        Err(status) if status.code() == Code::ResourceExhausted => {
                            outcome.shed.push(elapsed)
                        }
                        Err(status) => outcome.other.push(status.code()),
                    }
                }
                if let (true, Some(milliseconds)) = (honour_pushback, pushback) {
                    tokio::time::sleep(Duration::from_millis(milliseconds)).await;
                }
                n += 1;
            }
        }));
    }
    // Health, on a connection of its own, as a load balancer would probe.
    let health_channel = server.channel().await;
    let prober = tokio::spawn(async move {
        let mut health = HealthClient::new(health_channel);
        let mut latencies = Vec::new();
        while Instant::now() < until {
            let started = Instant::now();
            let answered = tokio::time::timeout(
                Duration::from_secs(1),
                health.check(HealthCheckRequest {
                    service: String::new(),
                }),
            )
            .await;
            latencies.push(match answered {
                Ok(Ok(_)) => started.elapsed(),
                _ => Duration::from_secs(1),
            });
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        latencies
    });
    let mut peak_sampled_kib = 0;
    while Instant::now() < until {
        peak_sampled_kib = peak_sampled_kib.max(server.memory_kib("VmRSS:").unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut health = prober.await.unwrap();
    health.sort();
    let mut outcome = Arc::try_unwrap(outcome).ok().unwrap().into_inner().unwrap();
    outcome.admitted.sort();
    outcome.shed.sort();
    (outcome, health, peak_sampled_kib)
}

fn report(
    quiet: &[Duration],
    outcome: &LoadOutcome,
    health: &[Duration],
    seconds: u64,
    honour_pushback: bool,
) {
    let total = outcome.admitted.len() + outcome.shed.len() + outcome.other.len();
    let shed_share = outcome.shed.len() as f64 * 100.0 / total.max(1) as f64;
    let health_fast = health
        .iter()
        .filter(|latency| **latency < Duration::from_millis(100))
        .count();
    let unloaded_p50 = percentile(quiet, 0.5);
    let unloaded_p99 = percentile(quiet, 0.99);
    let admitted_p50 = percentile(&outcome.admitted, 0.5);
    let admitted_p99 = percentile(&outcome.admitted, 0.99);
    if honour_pushback {
        println!("  clients waiting the pushback after being shed:");
    } else {
        println!("  clients calling again at once after being shed:");
    }
    println!(
        "    admitted            p50 {} p99 {}  ({:.1}x / {:.1}x unloaded p50 / p99)",
        ms(admitted_p50),
        ms(admitted_p99),
        admitted_p50.as_secs_f64() / unloaded_p50.as_secs_f64().max(1e-9),
        admitted_p99.as_secs_f64() / unloaded_p99.as_secs_f64().max(1e-9),
    );
    println!(
        "    calls               {total} ({:.0}/s): {} admitted ({:.0}/s), {} shed ({shed_share:.1} %, p99 {}), {} other {:?}",
        total as f64 / seconds as f64,
        outcome.admitted.len(),
        outcome.admitted.len() as f64 / seconds as f64,
        outcome.shed.len(),
        ms(percentile(&outcome.shed, 0.99)),
        outcome.other.len(),
        outcome.other.iter().take(5).collect::<Vec<_>>(),
    );
    println!(
        "    health checks       {} of {} under 100 ms; p50 {} max {}",
        health_fast,
        health.len(),
        ms(percentile(health, 0.5)),
        ms(health.last().copied().unwrap_or_default()),
    );
}

#[tokio::main]
async fn main() {
    let defaults = Settings::defaults().unwrap();
    let limit = env_or(
        "KPI_OVERLOAD_LIMIT",
        defaults.server.max_concurrent_requests,
    );
    let seconds = env_or("KPI_OVERLOAD_SECONDS", 15u64);
    let directory = std::env::temp_dir().join(format!("kpi-overload-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let database_url = std::env::var("KPI_OVERLOAD_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", directory.join("kpi.db").display()));
    let backend = database_url.split(':').next().unwrap_or("?").to_owned();

    let server = Server::start(
        &database_url,
        limit,
        defaults.server.max_concurrent_heavy_requests,
    );
    let channel = server.channel().await;
    wait_until_serving(&channel).await;
    seed(&channel).await;
    let _warm_up = unloaded(&channel, 50).await;
    let quiet = unloaded(&channel, 1_000).await;
    let resting_kib = server.memory_kib("VmRSS:").unwrap_or(0);

    let clients = 4 * limit;
    println!(
        "overload benchmark ({backend}): limit {limit}, {clients} clients (4x), {seconds} s a round"
    );
    println!(
        "  unloaded scorecard    p50 {} p99 {}; server RSS {} MiB",
        ms(percentile(&quiet, 0.5)),
        ms(percentile(&quiet, 0.99)),
        resting_kib / 1024
    );
    for honour_pushback in [false, true] {
        let (outcome, health, peak_sampled_kib) =
            overload(&server, clients, seconds, honour_pushback).await;
        let after_kib = server.memory_kib("VmRSS:").unwrap_or(0);
        let peak_kib = server.memory_kib("VmHWM:").unwrap_or(peak_sampled_kib);
        report(&quiet, &outcome, &health, seconds, honour_pushback);
        println!(
            "    server RSS          {} MiB peak so far (VmHWM), {} MiB after the round",
            peak_kib / 1024,
            after_kib / 1024,
        );
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&directory);
}
