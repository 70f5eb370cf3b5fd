//! Preparing the database for serving: migrate it (or find it migrated, when
//! `database.migrate_on_start` is off and a `kpi-service migrate` job does
//! it) and make the daily rollups ready. When the database cannot be reached
//! yet, start-up goes on NOT_SERVING and this is retried in the background
//! (with `database.fail_fast_at_start`, start-up fails instead, as it did
//! before). A failure that no retry can mend (a migration that breaks, a
//! reporting zone that differs from the rollups') stops the service.

use std::time::Duration;

use anyhow::Context;

use crate::{
    configuration::Settings,
    resilience::readiness::Readiness,
    storage::{periods::ClosedUnderError, rebuild::RollupStateError, Database, StorageError},
};

/// First and longest pause between two attempts.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LONGEST_RETRY: Duration = Duration::from_secs(30);

/// What one attempt found.
pub(super) enum Attempt {
    /// Ready to serve.
    Prepared,
    /// Not yet: the database cannot be reached, or its migrations are
    /// pending while another process is to apply them. Worth retrying.
    NotYet(String),
    /// Broken in a way no retry mends.
    Failed(anyhow::Error),
}

/// One attempt: migrations, then rollups, then the settings closed pay
/// periods were closed under.
pub(super) async fn attempt(database: &Database, settings: &Settings) -> Attempt {
    if settings.database.migrate_on_start {
        if let Err(error) = database.migrate().await {
            return classify(error, "could not apply the database migrations");
        }
    } else {
        match database.check_schema().await {
            Ok(true) => {}
            Ok(false) => {
                return Attempt::NotYet(
                    "migrations are pending: waiting for `kpi-service migrate`".to_owned(),
                )
            }
            Err(error) => return classify(error, "could not read the database's migrations"),
        }
    }
    match database
        .prepare_rollups(settings.reporting.time_zone())
        .await
    {
        Ok(()) => {}
        Err(RollupStateError::Storage(error)) => {
            return classify(error, "the daily rollups cannot be served")
        }
        Err(error) => {
            return Attempt::Failed(
                anyhow::Error::new(error).context("the daily rollups cannot be served"),
            )
        }
    }
    if let Err(error) = database
        .prepare_change_sums(settings.changes.record_ingest)
        .await
    {
        return classify(error, "the change feed's period sums cannot be prepared");
    }
    match database
        .check_closed_periods(
            settings.reporting.time_zone(),
            settings.payroll.pay_calendar(),
        )
        .await
    {
        Ok(()) => Attempt::Prepared,
        Err(ClosedUnderError::Storage(error)) => {
            classify(error, "the closed pay periods cannot be served")
        }
        Err(error) => Attempt::Failed(
            anyhow::Error::new(error).context("the closed pay periods cannot be served"),
        ),
    }
}

/// An unreachable or busy database is worth waiting for; anything else is
/// a broken schema or a bug.
fn classify(error: StorageError, doing: &'static str) -> Attempt {
    match error {
        StorageError::Unavailable(_) | StorageError::Busy(_) => Attempt::NotYet(format!(
            "the database cannot be reached ({:#})",
            anyhow::Error::new(error)
        )),
        error => Attempt::Failed(anyhow::Error::new(error).context(doing)),
    }
}

/// Retries [`attempt`] with a growing pause until it succeeds (then marks
/// `readiness` prepared and returns `Ok`) or fails for good.
pub(super) async fn keep_trying(
    database: Database,
    settings: Settings,
    readiness: Readiness,
) -> anyhow::Result<()> {
    let mut pause = FIRST_RETRY;
    loop {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_RETRY);
        match attempt(&database, &settings).await {
            Attempt::Prepared => {
                tracing::info!("the database is ready: serving");
                readiness.set_prepared();
                return Ok(());
            }
            Attempt::NotYet(reason) => {
                tracing::warn!(
                    reason = %reason,
                    retry_in_seconds = pause.as_secs(),
                    "the database is not ready yet; NOT_SERVING until it is"
                );
                readiness.set_waiting_for(reason);
            }
            Attempt::Failed(error) => {
                return Err(error).context("the database cannot be prepared for serving")
            }
        }
    }
}

/// Runs `serving` to its end; while the database is still being prepared
/// in the background (`preparing`), a preparation failure that no retry
/// mends stops the service with that failure.
pub(super) async fn unless_it_fails(
    serving: impl std::future::Future<Output = anyhow::Result<()>>,
    preparing: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
) -> anyhow::Result<()> {
    let Some(preparing) = preparing else {
        return serving.await;
    };
    tokio::pin!(serving);
    let stop_preparing = preparing.abort_handle();
    tokio::select! {
        outcome = &mut serving => {
            stop_preparing.abort();
            outcome
        }
        prepared = preparing => match prepared {
            Ok(Err(failure)) => Err(failure),
            _ => serving.await,
        },
    }
}
