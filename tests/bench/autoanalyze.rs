//! A stand-in for PostgreSQL's autovacuum ANALYZE when the server runs with
//! `autovacuum = off` (as some development servers do): with the server's
//! own naptime, threshold and scale factor, it analyzes every table of the
//! service's database that autovacuum would have analyzed. Production
//! servers run autovacuum; without statistics the planner misjudges the
//! service's key look-ups on a fresh database and the benchmark would
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
                    analyze_due(&connection, threshold, scale).await,
                    Ordering::Relaxed,
                );
            }
        });
        Some(AutoAnalyze {
            stop,
            analyzed,
            task,
        })
    }

    /// Stops; returns how many tables were analyzed.
    pub async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.ok();
        self.analyzed.load(Ordering::Relaxed)
    }
}

/// Analyzes the tables autovacuum would: changed rows since the last
/// analyze above threshold + scale × rows.
async fn analyze_due(connection: &DatabaseConnection, threshold: f64, scale: f64) -> u64 {
    let backend = connection.get_database_backend();
    let Ok(rows) = connection
        .query_all(Statement::from_string(
            backend,
            format!(
                "SELECT s.relname AS name FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
                 WHERE s.n_mod_since_analyze > {threshold} + {scale} * GREATEST(c.reltuples, 0)"
            ),
        ))
        .await
    else {
        return 0;
    };
    let mut analyzed = 0;
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "name") else {
            continue;
        };
        if connection
            .execute_unprepared(&format!("ANALYZE \"{name}\""))
            .await
            .is_ok()
        {
            analyzed += 1;
        }
    }
    analyzed
}
