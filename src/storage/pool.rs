//! Opening the connection pools: the main pool every call uses, and the
//! one-connection pool of the health check.
//!
//! A pooled connection is tested with a round trip before it is handed out
//! only when it sat idle for [`IDLE_BEFORE_TEST`] or longer. `sqlx` tests
//! every connection when it is released anyway, so a connection that is
//! handed out again at once was alive a moment ago; testing it again cost
//! one round trip per statement (a one-agent scorecard runs four: its p50
//! went from 1.64 to 1.34 ms without them on PostgreSQL). A connection that
//! waited longer, for instance across a database restart, is still tested,
//! and a dead one replaced, before any call sees it.

use std::{future::Future, pin::Pin, time::Duration};

use sea_orm::{
    sqlx::{
        self, pool::PoolConnectionMetadata, postgres::PgConnectOptions, ConnectOptions as _,
        Connection as _, PgConnection,
    },
    ConnectOptions, DatabaseConnection, DbErr, RuntimeErr, SqlxPostgresConnector,
};

use super::{probe_timeout, STATEMENT_CACHE_CAPACITY};
use crate::configuration::DatabaseSettings;

/// How long a pooled connection may sit idle before it is tested again on
/// its way out of the pool.
const IDLE_BEFORE_TEST: Duration = Duration::from_secs(1);

/// The main pool and the health check's pool. A `lazy` pool opens no
/// connection until one is needed, so it is made even while the database
/// cannot be reached (a service that starts before its database).
pub(super) async fn open(
    settings: &DatabaseSettings,
    lazy: bool,
) -> Result<(DatabaseConnection, DatabaseConnection), DbErr> {
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds))
        .connect_timeout(Duration::from_secs(settings.connect_timeout_seconds))
        .sqlx_logging(false)
        .connect_lazy(lazy)
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                .statement_cache_capacity(STATEMENT_CACHE_CAPACITY)
        });
    let mut probe_options = options.clone();
    let probe_timeout = probe_timeout(settings);
    probe_options
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(probe_timeout)
        .connect_timeout(probe_timeout)
        // The probe's one connection is the outage detector: always tested.
        .test_before_acquire(true);
    if sea_orm::DbBackend::Postgres.is_prefix_of(&settings.url) {
        let connect = postgres_options(&settings.url)?;
        let main = options
            .sqlx_pool_options::<sqlx::Postgres>()
            .before_acquire(test_if_idle);
        let probe = probe_options.sqlx_pool_options::<sqlx::Postgres>();
        let (main, probe) = if lazy {
            (
                main.connect_lazy_with(connect.clone()),
                probe.connect_lazy_with(connect),
            )
        } else {
            (
                main.connect_with(connect.clone())
                    .await
                    .map_err(connection_error)?,
                probe
                    .connect_with(connect)
                    .await
                    .map_err(connection_error)?,
            )
        };
        return Ok((
            SqlxPostgresConnector::from_sqlx_postgres_pool(main),
            SqlxPostgresConnector::from_sqlx_postgres_pool(probe),
        ));
    }
    // SQLite runs in the process: its connections cannot go away.
    let main = sea_orm::Database::connect(options).await?;
    let probe = sea_orm::Database::connect(probe_options).await?;
    Ok((main, probe))
}

/// A lazy pool on a PostgreSQL standby (`database.read_replica_urls`):
/// the main pool's size, timeouts and session, opened on first use, so
/// that a standby that is down at start-up keeps nobody from starting.
pub(super) fn open_replica(
    url: &str,
    settings: &DatabaseSettings,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(settings.max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds))
        .connect_timeout(Duration::from_secs(settings.connect_timeout_seconds))
        .sqlx_logging(false)
        .test_before_acquire(false);
    let pool = options
        .sqlx_pool_options::<sqlx::Postgres>()
        .before_acquire(test_if_idle)
        .connect_lazy_with(postgres_options(url)?);
    Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
}

/// The session every PostgreSQL connection of the service opens.
///
/// Rollup reads filter on lists of up to 1,000 agents. A generic plan
/// cannot hash such a parameter list and scans it per row (measured: 878 ms
/// instead of 6 ms per 1,000-key look-up), so every statement is planned
/// with its actual values.
///
/// An organisation's month of rollups (1,000 agents × 30 days) sorts about
/// 12 MB for its worked days: within 16 MB of `work_mem` the sort stays in
/// memory instead of spilling to disk (measured: 51 ms instead of 60 ms; a
/// 500-agent page 30 instead of 36 ms). Heavy reads are at most
/// `server.max_concurrent_heavy_requests` at a time.
fn postgres_options(url: &str) -> Result<PgConnectOptions, DbErr> {
    let options: PgConnectOptions = url.parse().map_err(connection_error)?;
    Ok(options
        .disable_statement_logging()
        .options([
            ("plan_cache_mode", "force_custom_plan"),
            ("work_mem", "16MB"),
        ])
        .statement_cache_capacity(STATEMENT_CACHE_CAPACITY))
}

/// `before_acquire`: one round trip for a connection that sat idle, none
/// for one released a moment ago (see the module documentation).
fn test_if_idle(
    connection: &mut PgConnection,
    metadata: PoolConnectionMetadata,
) -> Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        if metadata.idle_for >= IDLE_BEFORE_TEST {
            connection.ping().await?;
        }
        Ok(true)
    })
}

fn connection_error(error: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(error))
}
