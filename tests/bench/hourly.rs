//! The storage the service did not choose for intraday trends, measured
//! beside the one it did: rollups kept per hour (and per quarter-hour,
//! which hourly rollups cannot answer) beside the daily ones, with the
//! daily rollups' keys plus the local slot of the day (the benchmark's zone
//! is UTC, so the local slot is the UTC one).
//!
//! - **Reading.** [`build`] fills `bench_hourly_rollups` and
//!   `bench_quarter_rollups` from the stored interactions and their linked
//!   CSAT responses (every sum column of the daily rollups, those the
//!   intraday reference computes filled, the others 0), and
//!   [`reference_sql`] reads one agent's buckets from them: one
//!   `GROUP BY` over the agent's keys of the range (summing its teams).
//! - **Writing.** `slot_upserts.rs` estimates what keeping them would add
//!   to every ingest batch: for batches of the last pass it computes the
//!   deltas per key (daily, hourly, quarter-hourly) and upserts each set
//!   additively in key order, the way the service upserts its daily
//!   rollups (PostgreSQL: one array per column through `unnest`; SQLite:
//!   multi-row `VALUES`), inside a transaction rolled back afterwards, so
//!   the tables stay as they were. The daily upsert is the same-run
//!   baseline: it is what every batch already pays.

use std::time::{Duration, Instant};

use kpi_service::storage::rollups::columns::{FLOAT_COLUMNS, INTEGER_COLUMNS};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::server::Service;

pub const DAY_MICROS: i64 = 86_400_000_000;

/// One rollup granularity below the day.
#[derive(Debug, Clone, Copy)]
pub struct Slots {
    pub table: &'static str,
    pub per_day: i64,
}

pub const HOURS: Slots = Slots {
    table: "bench_hourly_rollups",
    per_day: 24,
};
pub const QUARTERS: Slots = Slots {
    table: "bench_quarter_rollups",
    per_day: 96,
};

impl Slots {
    fn micros(&self) -> i64 {
        DAY_MICROS / self.per_day
    }
}

/// The interaction sums the intraday reference computes: rollup column and
/// its SQL over one interaction row (`i.`).
const INTERACTION_SUMS: [(&str, &str); 15] = [
    ("contacts", "1"),
    ("handle_seconds", "i.talk_seconds + i.hold_seconds + i.after_contact_work_seconds"),
    ("responses_timed", "CASE WHEN i.first_response_at_us IS NOT NULL THEN 1 ELSE 0 END"),
    ("response_micros", "COALESCE(i.first_response_at_us - i.queued_at_us, 0)"),
    ("resolutions_timed", "CASE WHEN i.resolved AND i.resolved_at_us IS NOT NULL THEN 1 ELSE 0 END"),
    ("resolution_micros", "CASE WHEN i.resolved THEN i.resolved_at_us - i.queued_at_us ELSE 0 END"),
    ("first_contact_resolved", "CASE WHEN i.first_contact_resolved THEN 1 ELSE 0 END"),
    ("resolved", "CASE WHEN i.resolved THEN 1 ELSE 0 END"),
    ("escalated", "CASE WHEN i.escalated THEN 1 ELSE 0 END"),
    ("transferred", "CASE WHEN i.transferred THEN 1 ELSE 0 END"),
    ("solo_resolved", "CASE WHEN i.resolved AND NOT i.escalated AND NOT i.transferred THEN 1 ELSE 0 END"),
    ("with_sla", "CASE WHEN i.sla_due_at_us IS NOT NULL THEN 1 ELSE 0 END"),
    ("overdue", "CASE WHEN i.sla_due_at_us IS NOT NULL AND (i.first_response_at_us IS NULL OR i.first_response_at_us > i.sla_due_at_us) THEN 1 ELSE 0 END"),
    ("agent_errors", "CASE WHEN i.agent_error THEN 1 ELSE 0 END"),
    ("complaints", "CASE WHEN i.complaint THEN 1 ELSE 0 END"),
];

fn create_sql(backend: DatabaseBackend, slots: &Slots) -> String {
    let mut columns = vec![
        "agent_id TEXT NOT NULL".to_owned(),
        "team_id TEXT NOT NULL".to_owned(),
        "day INTEGER NOT NULL".to_owned(),
        "slot INTEGER NOT NULL".to_owned(),
    ];
    columns.extend(
        INTEGER_COLUMNS
            .iter()
            .map(|c| format!("{c} BIGINT NOT NULL DEFAULT 0")),
    );
    columns.extend(
        FLOAT_COLUMNS
            .iter()
            .map(|c| format!("{c} DOUBLE PRECISION NOT NULL DEFAULT 0")),
    );
    columns.push("updated_at_us BIGINT NOT NULL DEFAULT 0".to_owned());
    columns.push("PRIMARY KEY (agent_id, day, team_id, slot)".to_owned());
    // The daily rollups' fill factor, for the same in-place updates.
    let storage = match backend {
        DatabaseBackend::Postgres => " WITH (fillfactor = 50)",
        _ => "",
    };
    format!(
        "CREATE TABLE {} ({}){storage}",
        slots.table,
        columns.join(", ")
    )
}

/// Creates and fills both tables from the stored records; returns how long
/// filling took and how many rows each holds.
pub async fn build(service: &Service) -> Vec<(Slots, Duration, i64)> {
    let connection = service.database.connection();
    let backend = connection.get_database_backend();
    let mut built = Vec::new();
    for slots in [HOURS, QUARTERS] {
        let started = Instant::now();
        let run = |sql: String| Statement::from_string(backend, sql);
        connection
            .execute(run(format!("DROP TABLE IF EXISTS {}", slots.table)))
            .await
            .expect("drop the slot rollups");
        connection
            .execute(run(create_sql(backend, &slots)))
            .await
            .expect("create the slot rollups");
        let key = format!(
            "i.agent_id, COALESCE(i.team_id, ''), i.ended_at_us / {DAY_MICROS}, (i.ended_at_us % {DAY_MICROS}) / {}",
            slots.micros()
        );
        let names: Vec<&str> = INTERACTION_SUMS.iter().map(|(name, _)| *name).collect();
        let sums: Vec<String> = INTERACTION_SUMS
            .iter()
            .map(|(_, expression)| format!("SUM({expression})"))
            .collect();
        connection
            .execute(run(format!(
                "INSERT INTO {} (agent_id, team_id, day, slot, {}, updated_at_us) \
                 SELECT {key}, {}, MAX(i.updated_at_us) FROM interactions i \
                 WHERE NOT i.voided GROUP BY {key}",
                slots.table,
                names.join(", "),
                sums.join(", "),
            )))
            .await
            .expect("fill the slot rollups from interactions");
        connection
            .execute(run(format!(
                "INSERT INTO {table} (agent_id, team_id, day, slot, csat_responses, csat_satisfied, updated_at_us) \
                 SELECT {key}, COUNT(*), SUM(CASE WHEN s.score >= 4 THEN 1 ELSE 0 END), MAX(s.updated_at_us) \
                 FROM survey_responses s JOIN interactions i \
                 ON i.source = s.interaction_source AND i.external_id = s.interaction_external_id \
                 WHERE NOT i.voided AND NOT s.voided AND s.kind = 'csat' GROUP BY {key} \
                 ON CONFLICT (agent_id, day, team_id, slot) DO UPDATE SET \
                 csat_responses = excluded.csat_responses, csat_satisfied = excluded.csat_satisfied",
                table = slots.table,
            )))
            .await
            .expect("fill the slot rollups from CSAT responses");
        if backend == DatabaseBackend::Postgres {
            connection
                .execute(run(format!("VACUUM ANALYZE {}", slots.table)))
                .await
                .expect("analyze the slot rollups");
        } else {
            connection
                .execute(run(format!("ANALYZE {}", slots.table)))
                .await
                .expect("analyze the slot rollups");
        }
        let elapsed = started.elapsed();
        let rows = connection
            .query_one(run(format!("SELECT COUNT(*) AS n FROM {}", slots.table)))
            .await
            .expect("count the slot rollups")
            .expect("a count")
            .try_get::<i64>("", "n")
            .expect("a count");
        built.push((slots, elapsed, rows));
    }
    built
}

/// One agent's buckets from the slot rollups: the same sums, per bucket,
/// as the raw reference (`intraday::reference_sql`), bucket numbers
/// counted from `start_day`'s first slot.
pub fn reference_sql(
    backend: DatabaseBackend,
    slots: &Slots,
    agent_id: &str,
    start_day: i64,
    days: i64,
) -> Statement {
    let p = |position: usize| match backend {
        DatabaseBackend::Postgres => format!("${position}"),
        _ => format!("?{position}"),
    };
    let mut sums: Vec<String> = INTERACTION_SUMS
        .iter()
        .map(|(name, _)| format!("CAST(SUM({name}) AS BIGINT) AS {name}"))
        .collect();
    sums.push("CAST(SUM(csat_responses) AS BIGINT) AS responses".to_owned());
    sums.push("CAST(SUM(csat_satisfied) AS BIGINT) AS satisfied".to_owned());
    let sql = format!(
        "SELECT (day - {first}) * {per_day} + slot AS bucket, {} FROM {table} \
         WHERE agent_id = {agent} AND day >= {first} AND day < {end} \
         GROUP BY bucket ORDER BY bucket",
        sums.join(", "),
        first = p(1),
        end = p(2),
        agent = p(3),
        per_day = slots.per_day,
        table = slots.table,
    );
    Statement::from_sql_and_values(
        backend,
        sql,
        [
            start_day.into(),
            (start_day + days).into(),
            agent_id.to_owned().into(),
        ],
    )
}
