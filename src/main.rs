//! The `kpi-service` binary: `serve` (the default), `migrate`, or
//! `demo-data` (load the README's example into a running server).

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::{Parser, Subcommand};
use kpi_service::{configuration::Settings, startup::Application, storage::Database, telemetry};

/// Customer-service KPI service (gRPC).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Optional TOML settings file; `KPI__*` environment variables override it.
    #[arg(long, short, env = "KPI_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve gRPC until SIGTERM or Ctrl-C (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the README's worked example and a small demo set into a running
    /// server through its public API (safe to repeat).
    DemoData {
        /// The server's gRPC address.
        #[arg(long, default_value = "http://127.0.0.1:50051")]
        address: String,
    },
    /// Operate the daily rollups.
    #[command(subcommand)]
    Rollups(RollupsCommand),
    /// Ask a running service whether it is ready: exit 0 when its
    /// operations listener answers 200 (for a container HEALTHCHECK).
    Probe {
        /// The probe to ask (`/readyz` for readiness, `/healthz` for liveness).
        #[arg(long, default_value = "http://127.0.0.1:9090/readyz")]
        url: String,
    },
}

#[derive(Subcommand)]
enum RollupsCommand {
    /// Recompute every rollup from the stored records in the configured
    /// reporting.time_zone (after changing it), in one transaction.
    Rebuild,
    /// Recompute every rollup from the stored records and compare; exits 1
    /// on any difference.
    Verify,
}

/// Runs the command; a failure is logged as one line (one JSON object in
/// JSON mode, with the whole chain of causes) and exits 1.
#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            telemetry::init_before_settings();
            return failed(&anyhow::Error::new(error));
        }
    };
    let telemetry = telemetry::init(&settings.telemetry);
    let outcome = run(cli.command.unwrap_or(Command::Serve), settings).await;
    telemetry.flush().await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => failed(&error),
    }
}

fn failed(error: &anyhow::Error) -> ExitCode {
    tracing::error!(error = %format!("{error:#}"), "kpi-service failed");
    ExitCode::FAILURE
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let application = Application::build(settings).await?;
            application.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate => {
            let database = Database::connect(&settings.database)
                .await
                .context("could not connect to the database")?;
            database.migrate().await.context("migration failed")?;
            tracing::info!("database migrated");
            Ok(())
        }
        Command::DemoData { address } => load_demo_data(address).await,
        Command::Rollups(command) => run_rollups(command, &settings).await,
        Command::Probe { url } => {
            telemetry::scrape::probe(&url, std::time::Duration::from_secs(3)).await
        }
    }
}

async fn run_rollups(command: RollupsCommand, settings: &Settings) -> anyhow::Result<()> {
    let database = Database::connect(&settings.database)
        .await
        .context("could not connect to the database")?;
    let zone = settings.reporting.time_zone();
    match command {
        RollupsCommand::Rebuild => {
            let days = database
                .rebuild_rollups(zone)
                .await
                .context("rebuilding the rollups failed")?;
            tracing::info!(days, zone = zone.name(), "rollups rebuilt");
            Ok(())
        }
        RollupsCommand::Verify => {
            if let Some(built_for) = database.rollup_zone().await? {
                if built_for != zone.name() {
                    anyhow::bail!(
                        "the rollups were built for {built_for}, not {}; run `kpi-service rollups rebuild`",
                        zone.name()
                    );
                }
            }
            let report = database
                .verify_rollups(zone)
                .await
                .context("verifying the rollups failed")?;
            for difference in &report.differences {
                tracing::error!(
                    agent_id = %difference.key.agent_id,
                    team_id = %difference.key.team_id,
                    day = %difference.key.day,
                    columns = ?difference.columns(),
                    "rollup differs from the raw records"
                );
            }
            tracing::info!(
                days = report.days_checked,
                keys = report.keys_checked,
                differences = report.differences.len(),
                "rollups verified"
            );
            if !report.differences.is_empty() {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

async fn load_demo_data(address: String) -> anyhow::Result<()> {
    let channel = tonic::transport::Endpoint::from_shared(address.clone())
        .with_context(|| format!("{address:?} is not a URL like http://127.0.0.1:50051"))?
        .connect()
        .await
        .with_context(|| format!("could not connect to {address}"))?;
    let report = kpi_service::grpc::demo_data::load(channel)
        .await
        .context("loading the demo data failed")?;
    tracing::info!(
        created = report.created,
        updated = report.updated,
        unchanged = report.unchanged,
        "demo data loaded; try GetAgentScorecard for agent ana, month 2026-11"
    );
    Ok(())
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
