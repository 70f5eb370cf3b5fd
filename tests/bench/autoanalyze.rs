//! A stand-in for PostgreSQL's autovacuum when the server runs with
//! `autovacuum = off` (as some development servers do): with the server's
//! own naptime, thresholds and scale factors, it vacuums and analyzes every
//! table of the service's database that autovacuum would have. Production
//! servers run autovacuum; without statistics the planner misjudges the
//! service's key look-ups on a fresh database, and without vacuum the
//! rollup table (hundreds of rows rewritten per batch) fills with dead row
//! versions that every read then wades through: the benchmark would
//! measure a server misconfiguration instead of the service.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::server::{Backend, Service};

/// The running stand-in.
pub struct AutoAnalyze {
    stop: Arc<AtomicBool>,
    analyzed: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
    connection: DatabaseConnection,
    vacuum: Thresholds,
    analyze: Thresholds,
}

/// When autovacuum acts on a table: `threshold + scale × rows` changes.
#[derive(Debug, Clone, Copy)]
struct Thresholds {
    threshold: f64,
    scale: f64,
}

async fn setting(connection: &DatabaseConnection, name: &str) -> String {
    let row = connection
        .query_one(Statement::from_string(
            connection.get_database_backend(),
            format!("SELECT setting FROM pg_settings WHERE name = '{name}'"),
        ))
        .await
        .expect("cannot read pg_settings")
        .expect("no such setting");
    row.try_get("", "setting").expect("setting is not text")
}

impl AutoAnalyze {
    /// Starts when the service runs on a PostgreSQL server whose autovacuum
    /// is off; `None` otherwise.
    pub async fn start_if_needed(service: &Service) -> Option<AutoAnalyze> {
        if service.backend != Backend::Postgres {
            return None;
        }
        let connection = service.database.connection().clone();
        if setting(&connection, "autovacuum").await == "on" {
            return None;
        }
        let naptime = Duration::from_secs(
            setting(&connection, "autovacuum_naptime")
                .await
                .parse()
                .unwrap_or(60),
        );
        let threshold: f64 = setting(&connection, "autovacuum_analyze_threshold")
            .await
            .parse()
            .unwrap_or(50.0);
        let scale: f64 = setting(&connection, "autovacuum_analyze_scale_factor")
            .await
            .parse()
            .unwrap_or(0.1);
        let vacuum = Thresholds {
            threshold: setting(&connection, "autovacuum_vacuum_threshold")
                .await
                .parse()
                .unwrap_or(50.0),
            scale: setting(&connection, "autovacuum_vacuum_scale_factor")
                .await
                .parse()
                .unwrap_or(0.2),
        };
        let analyze = Thresholds { threshold, scale };
        let stop = Arc::new(AtomicBool::new(false));
        let analyzed = Arc::new(AtomicU64::new(0));
        let (flag, count) = (stop.clone(), analyzed.clone());
        let task = tokio::spawn(async move {
            let mut last_round = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if last_round.elapsed() < naptime {
                    continue;
                }
                last_round = Instant::now();
                count.fetch_add(
                    one_round(&connection, vacuum, analyze).await,
                    Ordering::Relaxed,
                );
            }
        });
        Some(AutoAnalyze {
            stop,
            analyzed,
            task,
            connection: service.database.connection().clone(),
            vacuum,
            analyze,
        })
    }

    /// One round now, whatever the naptime: the queries are measured on
    /// the database as autovacuum leaves it within a naptime of the ingest.
    pub async fn settle(&self) {
        self.analyzed.fetch_add(
            one_round(&self.connection, self.vacuum, self.analyze).await,
            Ordering::Relaxed,
        );
    }

    /// Stops; returns how many tables were vacuumed or analyzed.
    pub async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.ok();
        self.analyzed.load(Ordering::Relaxed)
    }
}

/// Vacuums, then analyzes, the tables autovacuum would: dead rows above
/// the vacuum threshold, changed rows since the last analyze above the
/// analyze threshold. Returns how many tables it worked on.
async fn one_round(
    connection: &DatabaseConnection,
    vacuum: Thresholds,
    analyze: Thresholds,
) -> u64 {
    let mut done = 0;
    for name in due(connection, "n_dead_tup", vacuum).await {
        if connection
            .execute_unprepared(&format!("VACUUM \"{name}\""))
            .await
            .is_ok()
        {
            done += 1;
        }
    }
    for name in due(connection, "n_mod_since_analyze", analyze).await {
        if connection
            .execute_unprepared(&format!("ANALYZE \"{name}\""))
            .await
            .is_ok()
        {
            done += 1;
        }
    }
    done
}

/// The tables whose `counter` in `pg_stat_user_tables` is above `due`.
async fn due(connection: &DatabaseConnection, counter: &str, due: Thresholds) -> Vec<String> {
    let Thresholds { threshold, scale } = due;
    let Ok(rows) = connection
        .query_all(Statement::from_string(
            connection.get_database_backend(),
            format!(
                "SELECT s.relname AS name FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
                 WHERE s.{counter} > {threshold} + {scale} * GREATEST(c.reltuples, 0)"
            ),
        ))
        .await
    else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(|row| row.try_get::<String>("", "name").ok())
        .collect()
}
