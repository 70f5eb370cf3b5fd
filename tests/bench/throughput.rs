//! Throughput benchmark: `cargo bench --bench throughput`.
//!
//! Runs the release `kpi-service` binary as a subprocess on a fresh
//! database, talks to it over gRPC, and reports figures beside baselines
//! measured in the same run; it never fails on timing. Per backend:
//!
//! 1. registers the teams and agents (DirectoryService);
//! 2. baseline: the database's own bulk write of the same rows into a
//!    same-shaped table (PostgreSQL `COPY`, SQLite multi-row `INSERT`);
//! 3. ingests the interactions, then their linked CSAT responses, through
//!    gRPC in batches of 1,000 with concurrent writers, in passes (see
//!    `data.rs`), while probing one agent's scorecard latency;
//! 4. after each pass (the checkpoint, then the full size) measures the
//!    November queries against SQL on the rollups and on raw rows, and the
//!    peak memory of a freshly restarted service under 50 concurrent
//!    organisation-wide calls;
//! 5. after the last pass, the reads of a period in progress (`pace.rs`):
//!    a scorecard with forecast and peers against the plain scorecard, and
//!    the organisation's breaches with forecast misses against the plain
//!    list, as of the same instant (`KPI_BENCH_PACE=0` skips them).
//! 6. at the end (`KPI_BENCH_GRADED`, default 1): the November list and
//!    breaches under a binary organisation policy, then under a graded one
//!    with bonus tiers and 100 agent goals (`graded.rs`).
//!
//! It exits non-zero when data went missing: a batch lost after every
//! retry, or rollups whose contacts or CSAT responses differ from what was
//! sent (see `BackendReport::integrity_failures`).
//!
//! Environment: `KPI_BENCH_AGENTS` (1000, in `KPI_BENCH_TEAMS` = 20 teams),
//! `KPI_BENCH_INTERACTIONS` (2,000,000), `KPI_BENCH_CHECKPOINT` (500,000),
//! `KPI_BENCH_WRITERS` (4), `KPI_BENCH_BACKENDS` ("postgres,sqlite"),
//! `KPI_TEST_POSTGRES_URL` (the PostgreSQL server's admin URL),
//! `KPI_BENCH_STANDBY` (0; 1: PostgreSQL runs with one streaming standby
//! as the service's read replica, and `replica.rs` measures with it),
//! `KPI_BENCH_MODE` (`full`, the default; `intraday`: only the ingest, the
//! intraday trends against their hand-written SQL over raw rows and over
//! slot rollups (`intraday.rs`, `hourly.rs`), and unless `KPI_BENCH_PACE=0`
//! the reads of a period in progress, `KPI_BENCH_ROUNDS` times (1);
//! `pay_periods`: only the pay-period close and adjustment report with
//! `KPI_BENCH_LATE_RECORDS` late records, see `pay_periods.rs`;
//! `changes`: the change-feed mode of `changes.rs`, PostgreSQL only, with
//! `KPI_BENCH_WATCHERS` (20) and `KPI_BENCH_RECONNECTS` (100);
//! `graded`: only the ingest and the graded-vs-binary comparison of
//! `graded.rs`),
//! `KPI_BENCH_AUTOANALYZE` (1; 0 turns off the autovacuum stand-in of
//! `autoanalyze.rs`), `KPI_BENCH_KEEP_DATABASE` (set: the PostgreSQL
//! database is kept for inspection instead of dropped).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod autoanalyze;
mod baseline;
mod changes;
mod data;
mod graded;
mod hourly;
mod ingest;
mod intraday;
mod pace;
mod pay_periods;
mod queries;
mod recompute;
mod replica;
mod report;
mod server;
mod slot_upserts;

use std::time::Instant;

use data::{passes, Directory, Kind};
use report::{BackendReport, Checkpoint};
use sea_orm::{ConnectionTrait, Statement};
use server::{Backend, Service};

/// The benchmark's size and shape, from the environment.
struct Config {
    directory: Directory,
    interactions: u64,
    checkpoint: u64,
    writers: usize,
    backends: Vec<Backend>,
    /// Stand in for autovacuum's ANALYZE when the PostgreSQL server has it off.
    auto_analyze: bool,
    /// PostgreSQL with one streaming standby as the read replica.
    standby: bool,
    /// `KPI_BENCH_MODE=intraday`: ingest, then only the intraday trends.
    intraday_only: bool,
    /// Measure the reads of a period in progress (`pace.rs`).
    pace: bool,
    /// Measure graded plans against a binary policy at the end (`graded.rs`).
    graded: bool,
    /// `KPI_BENCH_MODE=intraday`: how many times the reads are measured
    /// after the last pass (`KPI_BENCH_ROUNDS`, default 1).
    rounds: usize,
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, got {value:?}")),
        Err(_) => default,
    }
}

impl Config {
    fn from_env() -> Config {
        let backends = std::env::var("KPI_BENCH_BACKENDS")
            .unwrap_or_else(|_| "postgres,sqlite".to_owned())
            .split(',')
            .map(|name| match name.trim().to_ascii_lowercase().as_str() {
                "postgres" | "postgresql" | "pg" => Backend::Postgres,
                "sqlite" => Backend::Sqlite,
                other => panic!("KPI_BENCH_BACKENDS: unknown backend {other:?}"),
            })
            .collect();
        Config {
            directory: Directory {
                agents: env_number("KPI_BENCH_AGENTS", 1_000).max(1),
                teams: env_number("KPI_BENCH_TEAMS", 20).max(1),
            },
            interactions: env_number("KPI_BENCH_INTERACTIONS", 2_000_000).max(1),
            checkpoint: env_number("KPI_BENCH_CHECKPOINT", 500_000).max(1),
            writers: usize::try_from(env_number("KPI_BENCH_WRITERS", 4).max(1)).unwrap(),
            backends,
            auto_analyze: env_number("KPI_BENCH_AUTOANALYZE", 1) != 0,
            standby: env_number("KPI_BENCH_STANDBY", 0) != 0,
            intraday_only: match std::env::var("KPI_BENCH_MODE").as_deref() {
                Err(_) | Ok("full" | "pay_periods" | "changes" | "graded") => false,
                Ok("intraday") => true,
                Ok(other) => {
                    panic!("KPI_BENCH_MODE: unknown mode {other:?} (full, intraday, pay_periods, changes or graded)")
                }
            },
            pace: env_number("KPI_BENCH_PACE", 1) != 0,
            graded: env_number("KPI_BENCH_GRADED", 1) != 0,
            rounds: usize::try_from(env_number("KPI_BENCH_ROUNDS", 1).max(1)).unwrap(),
        }
    }
}

fn progress(backend: Backend, started: Instant, message: &str) {
    eprintln!(
        "[{:>7.1} s] {}: {message}",
        started.elapsed().as_secs_f64(),
        backend.name()
    );
}

async fn postgres_deadlocks(service: &Service) -> Option<i64> {
    if service.backend != Backend::Postgres {
        return None;
    }
    let connection = service.database.connection();
    let row = connection
        .query_one(Statement::from_string(
            connection.get_database_backend(),
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
        ))
        .await
        .ok()??;
    row.try_get("", "deadlocks").ok()
}

async fn run(backend: Backend, config: &Config) -> BackendReport {
    let started = Instant::now();
    let directory = config.directory;
    let passes = passes(config.interactions, config.checkpoint);
    let standby = (config.standby && backend == Backend::Postgres).then(replica::Standby::start);
    let mut service = Service::start(backend, standby.as_ref()).await;
    ingest::register_directory(&service, &directory).await;
    progress(backend, started, "directory registered; baseline");
    let mut report = BackendReport {
        backend: Some(backend),
        agents: directory.agents,
        teams: directory.teams,
        writers: config.writers,
        surveys_sent: passes.iter().map(|pass| pass.surveys()).sum(),
        intraday_only: config.intraday_only,
        ..Default::default()
    };
    if !config.intraday_only {
        report.interactions_baseline = baseline::measure(
            &service,
            &directory,
            &passes,
            Kind::Interactions,
            config.writers,
        )
        .await;
        report.surveys_baseline =
            baseline::measure(&service, &directory, &passes, Kind::Surveys, config.writers).await;
    }

    let auto_analyze = if config.auto_analyze {
        autoanalyze::AutoAnalyze::start_if_needed(&service).await
    } else {
        None
    };
    for pass in &passes {
        progress(backend, started, &format!("ingesting up to {}", pass.end));
        let probe = if config.intraday_only {
            None
        } else {
            Some(queries::LoadedProbe::start(&service, &directory).await)
        };
        let cpu_before = service.cpu_seconds();
        let mut checkpoint = Checkpoint {
            interactions: pass.end,
            ..Default::default()
        };
        for kind in [Kind::Interactions, Kind::Surveys] {
            let (timed, errors) =
                ingest::ingest_pass(&service, &directory, pass, kind, config.writers).await;
            report.errors.absorb(errors);
            match kind {
                Kind::Interactions => checkpoint.interactions_ingest = timed,
                Kind::Surveys => checkpoint.surveys_ingest = timed,
            }
        }
        checkpoint.ingest_cpu_seconds = service.cpu_seconds() - cpu_before;
        if let Some(probe) = probe {
            checkpoint.loaded = probe.finish().await;
        }
        if let Some(auto_analyze) = &auto_analyze {
            auto_analyze.settle().await;
        }
        progress(backend, started, "slot rollups (hourly, quarter-hourly)");
        report.slot_tables = hourly::build(&service).await;
        let last_pass = passes.last().map(|last| last.end) == Some(pass.end);
        let rounds = if config.intraday_only && last_pass {
            config.rounds
        } else {
            1
        };
        for round in 0..rounds {
            progress(
                backend,
                started,
                &format!("intraday trends, round {}", round + 1),
            );
            checkpoint
                .intraday
                .push(intraday::measure(&service, &directory).await);
            if config.intraday_only && last_pass && config.pace {
                progress(
                    backend,
                    started,
                    "a period in progress: forecasts and peers",
                );
                report
                    .pace
                    .push(pace::measure(&service, &directory, round).await);
            }
            if last_pass {
                progress(backend, started, "slot rollups' upserts");
                report
                    .upserts
                    .push(slot_upserts::measure(&service, &directory, pass).await);
            }
        }
        if config.intraday_only {
            report.checkpoints.push(checkpoint);
            continue;
        }
        progress(backend, started, "queries");
        checkpoint.queries = queries::measure(&service, &directory).await;
        checkpoint.memory_after_queries = service.memory();
        if let (Some(standby), Some(operations)) = (&standby, service.operations.clone()) {
            progress(backend, started, "queries with the standby");
            replica::measure(&service, standby, &directory, &operations)
                .await
                .print(pass.end);
        }
        // A fresh process: the peak is then the query path's alone.
        service.restart().await;
        checkpoint.peak_was_reset = service.reset_peak_memory();
        checkpoint.concurrent_elapsed = queries::concurrent_organisation_calls(&service).await;
        checkpoint.memory_concurrent = service.memory();
        report.checkpoints.push(checkpoint);
    }
    if let Some(last) = passes.last().filter(|_| !config.intraday_only) {
        report.recompute = recompute::measure(&service, &directory, last).await;
    }
    if config.pace && !config.intraday_only {
        progress(
            backend,
            started,
            "a period in progress: forecasts and peers",
        );
        report
            .pace
            .push(pace::measure(&service, &directory, 0).await);
    }
    if config.graded && !config.intraday_only {
        progress(backend, started, "graded plans vs a binary policy");
        report.graded = Some(graded::measure(&service, &directory).await);
    }
    if let Some(auto_analyze) = auto_analyze {
        report.stand_in_analyzes = Some(auto_analyze.finish().await);
    }
    report.rollup_totals = queries::rollup_totals(&service).await;
    report.deadlocks = postgres_deadlocks(&service).await;
    progress(backend, started, "done");
    service.stop().await;
    if let Some(standby) = standby {
        standby.stop();
    }
    report
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter: the
    // benchmark always runs in full when invoked.
    let config = Config::from_env();
    if std::env::var("KPI_BENCH_MODE").as_deref() == Ok("changes") {
        let report = changes::run(config.directory, config.interactions, config.writers).await;
        report.print(&config.directory, config.interactions, config.writers);
        if report.lost + report.doubled > 0 {
            eprintln!("changes lost or doubled");
            std::process::exit(1);
        }
        return;
    }
    if std::env::var("KPI_BENCH_MODE").as_deref() == Ok("graded") {
        for backend in &config.backends {
            let figures = graded::run(
                *backend,
                &config.directory,
                config.interactions,
                config.writers,
                config.auto_analyze,
            )
            .await;
            println!(
                "\n## Graded plans on {}: {} agents, {} interactions",
                backend.name(),
                config.directory.agents,
                config.interactions
            );
            graded::print(&figures);
        }
        return;
    }
    let mut failures = Vec::new();
    if std::env::var("KPI_BENCH_MODE").as_deref() == Ok("pay_periods") {
        let late = env_number("KPI_BENCH_LATE_RECORDS", 10_000).max(10);
        for backend in &config.backends {
            let report =
                pay_periods::run(*backend, config.directory, config.interactions, late).await;
            report.print();
            failures.extend(report.integrity_failures());
        }
    }
    let backends = if std::env::var("KPI_BENCH_MODE").as_deref() == Ok("pay_periods") {
        &[][..]
    } else {
        &config.backends[..]
    };
    for backend in backends {
        // Printed as soon as a backend is done, so a long run shows progress.
        let report = run(*backend, &config).await;
        report.print();
        failures.extend(report.integrity_failures());
    }
    // Timings never fail the run; lost or miscounted data does.
    if !failures.is_empty() {
        eprintln!("\nData-integrity failures:");
        for failure in &failures {
            eprintln!("- {failure}");
        }
        std::process::exit(1);
    }
}
