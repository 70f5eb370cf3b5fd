//! Building the daily rollups from raw rows (`storage::facts`), and proving
//! them against raw rows: the operator's `kpi-service rollups rebuild` and
//! `verify`, and the first build of a database from before the rollups.
//! The rollups' days are cut in one reporting zone, recorded in
//! `kpi_rollup_state`: a service configured for another zone must not read
//! them (it refuses to start, naming `kpi-service rollups rebuild`).

use std::collections::{BTreeMap, BTreeSet};

use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, Statement, Value};

use super::{
    changes,
    facts::{load_raw_facts, FactScope, RawFacts},
    now_micros,
    rollups::{
        columns::{SumColumns, FLOAT_COLUMNS, INTEGER_COLUMNS},
        maintain::{placeholder, upsert_additive},
        RollupKey, ROLLUP_STATE_TABLE, ROLLUP_TABLE,
    },
    Database, StorageError,
};
use crate::domain::calendar::LocalDay;

/// The raw tables and the column whose instant decides a row's day.
const ATTRIBUTION_COLUMNS: &[(&str, &str)] = &[
    ("interactions", "ended_at_us"),
    ("survey_responses", "responded_at_us"),
    ("qa_evaluations", "evaluated_at_us"),
    ("compliance_checks", "checked_at_us"),
    ("violations", "occurred_at_us"),
    ("training_assignments", "due_at_us"),
    ("agent_time", "starts_at_us"),
];

/// Why the rollups cannot be served as they are.
#[derive(Debug, thiserror::Error)]
pub enum RollupStateError {
    #[error(
        "the daily rollups were built for reporting time zone {built_for}, but \
         reporting.time_zone is {configured}; run `kpi-service rollups rebuild` with the new \
         setting (it recomputes every rollup from the stored records), or set \
         reporting.time_zone back to {built_for}"
    )]
    ZoneMismatch {
        built_for: String,
        configured: String,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// One rollup key whose stored sums differ from the raw recomputation.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupDifference {
    pub key: RollupKey,
    pub stored: SumColumns,
    pub recomputed: SumColumns,
}

impl RollupDifference {
    /// The names of the columns that differ.
    pub fn columns(&self) -> Vec<&'static str> {
        let integers = INTEGER_COLUMNS
            .iter()
            .zip(self.stored.integers.iter().zip(&self.recomputed.integers))
            .filter(|(_, (a, b))| a != b)
            .map(|(name, _)| *name);
        let floats = FLOAT_COLUMNS
            .iter()
            .zip(self.stored.floats.iter().zip(&self.recomputed.floats))
            .filter(|(_, (a, b))| (*a - *b).abs() > 1e-9 * a.abs().max(b.abs()).max(1.0))
            .map(|(name, _)| *name);
        integers.chain(floats).collect()
    }
}

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyReport {
    pub days_checked: usize,
    pub keys_checked: usize,
    pub differences: Vec<RollupDifference>,
}

impl Database {
    /// Makes sure the rollups are built for `zone` before anything reads
    /// them: a database without a recorded zone (new, or upgraded from a
    /// version without rollups) is built now, with progress in the log; a
    /// database built for another zone is refused.
    pub async fn prepare_rollups(&self, zone: Tz) -> Result<(), RollupStateError> {
        match self.rollup_zone().await? {
            Some(built_for) if built_for == zone.name() => Ok(()),
            Some(built_for) => Err(RollupStateError::ZoneMismatch {
                built_for,
                configured: zone.name().to_owned(),
            }),
            None => {
                tracing::info!(
                    zone = zone.name(),
                    "building the daily rollups for the first time"
                );
                self.rebuild_rollups(zone).await?;
                Ok(())
            }
        }
    }

    /// The zone the rollups were built for, if they were.
    pub async fn rollup_zone(&self) -> Result<Option<String>, StorageError> {
        let connection = self.connection();
        let row = connection
            .query_one(Statement::from_string(
                connection.get_database_backend(),
                format!("SELECT time_zone FROM {ROLLUP_STATE_TABLE} WHERE id = 1"),
            ))
            .await?;
        Ok(row.map(|row| row.try_get("", "time_zone")).transpose()?)
    }

    /// Recomputes every rollup from the raw rows in `zone`, in one
    /// transaction (readers see the old rollups until it commits), and
    /// records the zone. Returns the number of days rebuilt.
    pub async fn rebuild_rollups(&self, zone: Tz) -> Result<usize, StorageError> {
        let transaction = self.begin_write().await?;
        let backend = transaction.get_database_backend();
        transaction
            .execute(Statement::from_string(
                backend,
                format!("DELETE FROM {ROLLUP_TABLE}"),
            ))
            .await?;
        let days = data_days(&transaction, zone).await?;
        let total = days.len();
        for (done, day) in days.into_iter().enumerate() {
            let facts = raw_day(&transaction, day, zone).await?;
            upsert_additive(&transaction, facts.rows()).await?;
            if (done + 1) % 30 == 0 || done + 1 == total {
                tracing::info!(
                    days_done = done + 1,
                    days_total = total,
                    "rebuilding rollups"
                );
            }
        }
        transaction
            .execute(Statement::from_string(
                backend,
                format!("DELETE FROM {ROLLUP_STATE_TABLE}"),
            ))
            .await?;
        transaction
            .execute(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO {ROLLUP_STATE_TABLE} (id, time_zone, built_at_us) VALUES (1, {}, {})",
                    placeholder(backend, 1),
                    placeholder(backend, 2)
                ),
                [Value::from(zone.name()), Value::from(now_micros())],
            ))
            .await?;
        // The change feed's period sums follow the rollups (when current).
        if changes::period_sums::is_fresh(&transaction).await? {
            changes::period_sums::rebuild(&transaction, None).await?;
        }
        transaction.commit().await?;
        Ok(total)
    }

    /// Recomputes every day from raw rows and compares it with the stored
    /// rollups (a missing row equals an all-zero one).
    pub async fn verify_rollups(&self, zone: Tz) -> Result<VerifyReport, StorageError> {
        let connection = self.connection();
        let mut report = VerifyReport::default();
        let days = data_days(connection, zone).await?;
        for day in days {
            let recomputed = raw_day(connection, day, zone).await?.columns();
            let stored = stored_day(connection, day).await?;
            let keys: BTreeSet<&RollupKey> = recomputed.keys().chain(stored.keys()).collect();
            report.days_checked += 1;
            report.keys_checked += keys.len();
            for key in keys {
                let zero = SumColumns::zero();
                let stored_sums = stored.get(key).unwrap_or(&zero);
                let recomputed_sums = recomputed.get(key).unwrap_or(&zero);
                if !stored_sums.nearly_equal(recomputed_sums) {
                    report.differences.push(RollupDifference {
                        key: key.clone(),
                        stored: stored_sums.clone(),
                        recomputed: recomputed_sums.clone(),
                    });
                }
            }
        }
        Ok(report)
    }
}

/// The raw facts of one local day.
async fn raw_day(
    connection: &impl ConnectionTrait,
    day: LocalDay,
    zone: Tz,
) -> Result<RawFacts, StorageError> {
    let corrupt =
        |error: crate::domain::period::PeriodError| StorageError::Corrupt(error.to_string());
    let start = day.start(zone).map_err(corrupt)?;
    let end = day.next().start(zone).map_err(corrupt)?;
    load_raw_facts(
        connection,
        FactScope::Organisation,
        start.timestamp_micros(),
        end.timestamp_micros(),
        zone,
    )
    .await
}

/// The stored rollup rows of one day.
async fn stored_day(
    connection: &impl ConnectionTrait,
    day: LocalDay,
) -> Result<BTreeMap<RollupKey, SumColumns>, StorageError> {
    let backend = connection.get_database_backend();
    let mut columns = vec!["agent_id", "team_id"];
    columns.extend(INTEGER_COLUMNS);
    columns.extend(FLOAT_COLUMNS);
    let sql = format!(
        "SELECT {} FROM {ROLLUP_TABLE} WHERE day = {}",
        columns.join(", "),
        placeholder(backend, 1)
    );
    let rows = connection
        .query_all(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(day.number())],
        ))
        .await?;
    let mut stored = BTreeMap::new();
    for row in rows {
        let mut sums = SumColumns::zero();
        for (slot, name) in sums.integers.iter_mut().zip(INTEGER_COLUMNS) {
            *slot = row.try_get("", name)?;
        }
        for (slot, name) in sums.floats.iter_mut().zip(FLOAT_COLUMNS) {
            *slot = row.try_get("", name)?;
        }
        let key = RollupKey {
            agent_id: row.try_get("", "agent_id")?,
            team_id: row.try_get("", "team_id")?,
            day,
        };
        stored.insert(key, sums);
    }
    Ok(stored)
}

/// Every local day from the earliest to the latest attributed instant of
/// any record, and of any stored rollup row.
async fn data_days(
    connection: &impl ConnectionTrait,
    zone: Tz,
) -> Result<Vec<LocalDay>, StorageError> {
    let backend = connection.get_database_backend();
    let mut first: Option<LocalDay> = None;
    let mut last: Option<LocalDay> = None;
    let mut widen = |day: LocalDay| {
        first = Some(first.map_or(day, |f| f.min(day)));
        last = Some(last.map_or(day, |l| l.max(day)));
    };
    for (table, column) in ATTRIBUTION_COLUMNS {
        let row = connection
            .query_one(Statement::from_string(
                backend,
                format!("SELECT MIN({column}) AS first_us, MAX({column}) AS last_us FROM {table}"),
            ))
            .await?;
        let Some(row) = row else { continue };
        for name in ["first_us", "last_us"] {
            if let Some(micros) = row.try_get::<Option<i64>>("", name)? {
                let day = LocalDay::of_micros(micros, zone).ok_or_else(|| {
                    StorageError::Corrupt(format!("timestamp {micros} out of range"))
                })?;
                widen(day);
            }
        }
    }
    let row = connection
        .query_one(Statement::from_string(
            backend,
            format!("SELECT MIN(day) AS first_day, MAX(day) AS last_day FROM {ROLLUP_TABLE}"),
        ))
        .await?;
    if let Some(row) = row {
        for name in ["first_day", "last_day"] {
            if let Some(day) = row.try_get::<Option<i32>>("", name)? {
                widen(LocalDay::from_number(day));
            }
        }
    }
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Vec::new());
    };
    Ok(std::iter::successors(Some(first), |day| Some(day.next()))
        .take_while(|day| *day <= last)
        .collect())
}
