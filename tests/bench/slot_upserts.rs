//! What keeping slot rollups (`hourly.rs`) would add to every ingest
//! batch, measured in the same run as the daily rollups' upsert that every
//! batch already pays: for batches of the last pass, the deltas per key
//! (daily, hourly, quarter-hourly) computed from the interactions the
//! batch sent, each set upserted additively in key order the way the
//! service upserts its daily rollups (PostgreSQL: one array per column
//! through `unnest`; SQLite: multi-row `VALUES`), inside a transaction
//! rolled back afterwards, so that the tables stay as they were. Survey
//! batches would add their own keys too; they are not timed here.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use kpi_service::storage::rollups::{
    columns::{FLOAT_COLUMNS, INTEGER_COLUMNS},
    ROLLUP_TABLE,
};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait, Value};

use crate::{
    data::{interaction_row, Directory, Pass},
    hourly::{Slots, DAY_MICROS, HOURS, QUARTERS},
    ingest::{Timed, BATCH},
    report::Checkpoint,
    server::Service,
};

/// Batches of the last pass whose upserts are timed.
const SAMPLED_BATCHES: u64 = 20;
/// Bind parameters per SQLite statement (as the service).
const MAX_BIND_PARAMETERS: usize = 30_000;

/// What keeping slot rollups would add to ingest, per batch of 1,000
/// interactions: the upsert's median time and the keys it touches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Upsert {
    pub median: Duration,
    pub keys: usize,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct UpsertFigures {
    pub batches: u64,
    pub daily: Upsert,
    pub hourly: Upsert,
    pub quarter_hourly: Upsert,
}

/// Sum deltas per key (agent, team, day, slot), integer columns in
/// [`INTEGER_COLUMNS`] order (floats are all 0 here).
type Deltas = BTreeMap<(String, String, i64, i64), Vec<i64>>;

fn batch_deltas(directory: &Directory, pass: &Pass, batch: u64, per_day: i64) -> Deltas {
    let index_of = |name: &str| INTEGER_COLUMNS.iter().position(|column| *column == name);
    let mut deltas = Deltas::new();
    let first = pass.first + batch * BATCH;
    for index in first..(first + BATCH).min(pass.end) {
        let row = interaction_row(directory, pass, index);
        let day = row.ended_at_us.div_euclid(DAY_MICROS);
        let slot = row.ended_at_us.rem_euclid(DAY_MICROS) / (DAY_MICROS / per_day);
        let key = (
            directory.agent_id(row.agent),
            directory.team_id(directory.team_of(row.agent)),
            day,
            slot,
        );
        let sums = deltas
            .entry(key)
            .or_insert_with(|| vec![0; INTEGER_COLUMNS.len()]);
        let flag = |value: bool| i64::from(value);
        let resolved_micros = row
            .resolved_at_us
            .filter(|_| row.resolved)
            .map_or(0, |at| at - row.queued_at_us);
        for (name, value) in [
            ("contacts", 1),
            (
                "handle_seconds",
                row.talk_seconds + row.hold_seconds + row.after_contact_work_seconds,
            ),
            ("responses_timed", 1),
            (
                "response_micros",
                row.first_response_at_us - row.queued_at_us,
            ),
            ("resolutions_timed", flag(row.resolved)),
            ("resolution_micros", resolved_micros),
            ("first_contact_resolved", flag(row.first_contact_resolved)),
            ("resolved", flag(row.resolved)),
            ("escalated", flag(row.escalated)),
            ("transferred", flag(row.transferred)),
            ("with_sla", 1),
            (
                "overdue",
                flag(row.first_response_at_us > row.sla_due_at_us),
            ),
            ("agent_errors", flag(row.agent_error)),
            ("complaints", flag(row.complaint)),
        ] {
            if let Some(position) = index_of(name) {
                sums[position] += value;
            }
        }
    }
    deltas
}

/// The additive upsert of `deltas` into `table` (with a `slot` column
/// unless it is the daily rollups), in key order.
async fn upsert(
    connection: &impl ConnectionTrait,
    table: &str,
    with_slot: bool,
    deltas: &Deltas,
    now_us: i64,
) {
    let backend = connection.get_database_backend();
    let mut columns = vec!["agent_id", "team_id", "day"];
    if with_slot {
        columns.push("slot");
    }
    columns.extend(INTEGER_COLUMNS);
    columns.extend(FLOAT_COLUMNS);
    columns.push("updated_at_us");
    let mut updates: Vec<String> = INTEGER_COLUMNS
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    updates.extend(FLOAT_COLUMNS.iter().map(|c| {
        format!(
            "{c} = CASE WHEN {table}.qa_evaluations + excluded.qa_evaluations = 0 \
             THEN 0 ELSE {table}.{c} + excluded.{c} END"
        )
    }));
    let greatest = match backend {
        DatabaseBackend::Postgres => "GREATEST",
        _ => "MAX",
    };
    updates.push(format!(
        "updated_at_us = {greatest}({table}.updated_at_us, excluded.updated_at_us)"
    ));
    let conflict = format!(
        "ON CONFLICT (agent_id, day, team_id{}) DO UPDATE SET {}",
        if with_slot { ", slot" } else { "" },
        updates.join(", ")
    );
    let head = format!("INSERT INTO {table} ({})", columns.join(", "));
    let row_values = |(agent, team, day, slot): &(String, String, i64, i64), sums: &Vec<i64>| {
        let mut values: Vec<Value> = vec![
            agent.clone().into(),
            team.clone().into(),
            (*day as i32).into(),
        ];
        if with_slot {
            values.push((*slot as i32).into());
        }
        values.extend(sums.iter().map(|value| Value::from(*value)));
        values.extend(FLOAT_COLUMNS.iter().map(|_| Value::from(0.0_f64)));
        values.push(now_us.into());
        values
    };
    if backend == DatabaseBackend::Postgres {
        let mut types = vec!["text", "text", "integer"];
        if with_slot {
            types.push("integer");
        }
        types.extend(INTEGER_COLUMNS.iter().map(|_| "bigint"));
        types.extend(FLOAT_COLUMNS.iter().map(|_| "double precision"));
        types.push("bigint");
        let arguments: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(offset, sql_type)| format!("${}::{sql_type}[]", offset + 1))
            .collect();
        let mut literals = vec![String::from("{"); types.len()];
        for (row, (key, sums)) in deltas.iter().enumerate() {
            for (literal, value) in literals.iter_mut().zip(row_values(key, sums)) {
                if row > 0 {
                    literal.push(',');
                }
                literal.push_str(&array_element(&value));
            }
        }
        let values: Vec<Value> = literals
            .into_iter()
            .map(|mut literal| {
                literal.push('}');
                Value::from(literal)
            })
            .collect();
        let sql = format!(
            "{head} SELECT * FROM unnest({}) {conflict}",
            arguments.join(", ")
        );
        connection
            .execute(Statement::from_sql_and_values(backend, sql, values))
            .await
            .expect("upsert the deltas");
        return;
    }
    let rows: Vec<_> = deltas.iter().collect();
    for chunk in rows.chunks(MAX_BIND_PARAMETERS / columns.len()) {
        let mut values = Vec::with_capacity(chunk.len() * columns.len());
        let tuple = format!("({})", vec!["?"; columns.len()].join(", "));
        let tuples = vec![tuple; chunk.len()].join(", ");
        for (key, sums) in chunk {
            values.extend(row_values(key, sums));
        }
        let sql = format!("{head} VALUES {tuples} {conflict}");
        connection
            .execute(Statement::from_sql_and_values(backend, sql, values))
            .await
            .expect("upsert the deltas");
    }
}

/// A value as an element of a PostgreSQL array literal (the benchmark's
/// ids need no quoting beyond the quotes).
fn array_element(value: &Value) -> String {
    match value {
        Value::String(Some(text)) => format!("\"{text}\""),
        Value::Int(Some(number)) => number.to_string(),
        Value::BigInt(Some(number)) => number.to_string(),
        Value::Double(Some(number)) => number.to_string(),
        other => panic!("no array element for {other:?}"),
    }
}

/// Times the upserts of [`SAMPLED_BATCHES`] batches of `pass` (evenly
/// spread over it), each set in its own transaction, rolled back.
pub async fn measure(service: &Service, directory: &Directory, pass: &Pass) -> UpsertFigures {
    let connection = service.database.connection();
    let batches = pass.interactions().div_ceil(BATCH);
    let sampled: Vec<u64> = (0..SAMPLED_BATCHES.min(batches))
        .map(|n| n * batches / SAMPLED_BATCHES.min(batches))
        .collect();
    let targets = [
        (ROLLUP_TABLE, false, 1),
        (HOURS.table, true, HOURS.per_day),
        (QUARTERS.table, true, QUARTERS.per_day),
    ];
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut keys = [0usize; 3];
    let now_us = chrono::Utc::now().timestamp_micros();
    for batch in &sampled {
        for (target, (table, with_slot, per_day)) in targets.iter().enumerate() {
            let deltas = batch_deltas(directory, pass, *batch, *per_day);
            keys[target] += deltas.len();
            let transaction = connection.begin().await.expect("begin");
            let started = Instant::now();
            upsert(&transaction, table, *with_slot, &deltas, now_us).await;
            times[target].push(started.elapsed());
            transaction.rollback().await.expect("roll back");
        }
    }
    let count = sampled.len().max(1);
    let figure = |target: usize| {
        let mut samples = times[target].clone();
        samples.sort();
        Upsert {
            median: samples.get(samples.len() / 2).copied().unwrap_or_default(),
            keys: keys[target] / count,
        }
    };
    UpsertFigures {
        batches: sampled.len() as u64,
        daily: figure(0),
        hourly: figure(1),
        quarter_hourly: figure(2),
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1_000.0)
}

fn ratio(part: Duration, whole: Duration) -> String {
    format!("{:.1}×", part.as_secs_f64() / whole.as_secs_f64())
}

/// The slot rollups' size and what keeping them would add to ingest.
pub fn print(
    slot_tables: &[(Slots, Duration, i64)],
    checkpoints: &[Checkpoint],
    writers: usize,
    upserts: &[UpsertFigures],
) {
    for (slots, filled, rows) in slot_tables {
        println!(
            "- `{}`: {rows} rows, filled from the stored records in {}",
            slots.table,
            ms(*filled)
        );
    }
    let ingest = checkpoints
        .iter()
        .fold(Timed::default(), |mut total, checkpoint| {
            total.add(checkpoint.interactions_ingest);
            total
        });
    if ingest.rows > 0 {
        let per_batch =
            ingest.elapsed.as_secs_f64() * writers as f64 * BATCH as f64 / ingest.rows as f64;
        println!(
            "- ingest: {} interactions/s with {} writers: a batch of {BATCH} takes {:.1} ms of one writer's time",
            ingest.rows_per_second().round(),
            writers,
            per_batch * 1_000.0
        );
    }
    println!();
    if upserts.is_empty() {
        return;
    }
    println!("| upsert per batch of {BATCH} interactions (median of the sampled batches, rolled back) | round | daily rollups (every batch pays it) | hourly rollups | quarter-hourly rollups |");
    println!("|---|---|---|---|---|");
    for (round, upserts) in upserts.iter().enumerate() {
        println!(
            "| {} batches of the last pass | {} | {} ({} keys) | {} ({} keys) = {} | {} ({} keys) = {} |",
            upserts.batches,
            round + 1,
            ms(upserts.daily.median),
            upserts.daily.keys,
            ms(upserts.hourly.median),
            upserts.hourly.keys,
            ratio(upserts.hourly.median, upserts.daily.median),
            ms(upserts.quarter_hourly.median),
            upserts.quarter_hourly.keys,
            ratio(upserts.quarter_hourly.median, upserts.daily.median),
        );
    }
    println!();
}
