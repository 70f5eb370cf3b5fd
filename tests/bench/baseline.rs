//! The baseline: the same rows written by the database's own bulk path into
//! a table shaped like the service's (same columns, constraints and
//! indexes), timed in the same run. PostgreSQL: `COPY` (one stream of every
//! row, and the writers' way: one `COPY` per batch of 1,000). SQLite: a
//! multi-row `INSERT` of 1,000 rows per transaction.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Instant,
};

use sea_orm::{
    sqlx::postgres::PgPoolCopyExt, ConnectionTrait, DatabaseConnection, Statement, TransactionTrait,
};

use crate::{
    data::{interaction_row, source, survey_row, Directory, Kind, Pass},
    ingest::{Timed, BATCH},
    server::{Backend, Service},
};

const INTERACTION_COLUMNS: &str = "source, external_id, revision, voided, content_hash, \
    ingested_at_us, updated_at_us, agent_id, team_id, channel, queued_at_us, \
    first_response_at_us, ended_at_us, resolved_at_us, sla_due_at_us, talk_seconds, \
    hold_seconds, after_contact_work_seconds, resolved, first_contact_resolved, escalated, \
    transferred, agent_error, complaint";
const SURVEY_COLUMNS: &str = "source, external_id, revision, voided, content_hash, \
    ingested_at_us, updated_at_us, team_id, interaction_source, interaction_external_id, \
    agent_id, kind, score, responded_at_us";

/// One column value of a baseline row.
enum Field {
    Text(String),
    Int(i64),
    Bool(bool),
    Null,
}

fn copy_table(kind: Kind) -> String {
    format!("bench_copy_{}", kind.table())
}

fn columns(kind: Kind) -> &'static str {
    match kind {
        Kind::Interactions => INTERACTION_COLUMNS,
        Kind::Surveys => SURVEY_COLUMNS,
    }
}

/// The row the service would store for record `nth` of `kind` in `pass`.
fn row(directory: &Directory, pass: &Pass, kind: Kind, nth: u64, now_us: i64) -> Vec<Field> {
    // A SHA-256 in hex is 64 characters, like the service's content hash.
    let hash = Field::Text(format!("{:064x}", u128::from(nth) * 0x9E37_79B9_7F4A_7C15));
    let common = |external_id: String| {
        vec![
            Field::Text(source().into()),
            Field::Text(external_id),
            Field::Null,
            Field::Bool(false),
        ]
    };
    match kind {
        Kind::Interactions => {
            let r = interaction_row(directory, pass, pass.first + nth);
            let team = directory.team_id(directory.team_of(r.agent));
            let mut fields = common(r.external_id.clone());
            fields.extend([
                hash,
                Field::Int(now_us),
                Field::Int(now_us),
                Field::Text(directory.agent_id(r.agent)),
                Field::Text(team),
                Field::Text(r.channel_name().into()),
                Field::Int(r.queued_at_us),
                Field::Int(r.first_response_at_us),
                Field::Int(r.ended_at_us),
                r.resolved_at_us.map_or(Field::Null, Field::Int),
                Field::Int(r.sla_due_at_us),
                Field::Int(r.talk_seconds),
                Field::Int(r.hold_seconds),
                Field::Int(r.after_contact_work_seconds),
                Field::Bool(r.resolved),
                Field::Bool(r.first_contact_resolved),
                Field::Bool(r.escalated),
                Field::Bool(r.transferred),
                Field::Bool(r.agent_error),
                Field::Bool(r.complaint),
            ]);
            fields
        }
        Kind::Surveys => {
            let r = survey_row(directory, pass, nth);
            let team = directory.team_id(directory.team_of(r.agent));
            let mut fields = common(r.external_id.clone());
            fields.extend([
                hash,
                Field::Int(now_us),
                Field::Int(now_us),
                Field::Text(team),
                Field::Text(source().into()),
                Field::Text(r.interaction_external_id.clone()),
                Field::Text(directory.agent_id(r.agent)),
                Field::Text("csat".into()),
                Field::Int(i64::from(r.score)),
                Field::Int(r.responded_at_us),
            ]);
            fields
        }
    }
}

/// Appends a row in COPY's text format.
fn push_copy_line(buffer: &mut String, fields: &[Field]) {
    for (position, field) in fields.iter().enumerate() {
        if position > 0 {
            buffer.push('\t');
        }
        match field {
            Field::Text(text) => buffer.push_str(text),
            Field::Int(number) => buffer.push_str(&number.to_string()),
            Field::Bool(flag) => buffer.push(if *flag { 't' } else { 'f' }),
            Field::Null => buffer.push_str("\\N"),
        }
    }
    buffer.push('\n');
}

/// Appends a row as an SQLite VALUES tuple (ids here never hold quotes).
fn push_values_tuple(buffer: &mut String, fields: &[Field]) {
    buffer.push('(');
    for (position, field) in fields.iter().enumerate() {
        if position > 0 {
            buffer.push(',');
        }
        match field {
            Field::Text(text) => {
                buffer.push('\'');
                buffer.push_str(text);
                buffer.push('\'');
            }
            Field::Int(number) => buffer.push_str(&number.to_string()),
            Field::Bool(flag) => buffer.push(if *flag { '1' } else { '0' }),
            Field::Null => buffer.push_str("NULL"),
        }
    }
    buffer.push(')');
}

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Creates the same-shaped table for `kind`.
async fn create_copy_table(connection: &DatabaseConnection, backend: Backend, kind: Kind) {
    let copy = copy_table(kind);
    connection
        .execute_unprepared(&format!("DROP TABLE IF EXISTS {copy}"))
        .await
        .expect("cannot drop the baseline table");
    match backend {
        Backend::Postgres => {
            connection
                .execute_unprepared(&format!(
                    "CREATE TABLE {copy} (LIKE {} INCLUDING ALL)",
                    kind.table()
                ))
                .await
                .expect("cannot create the baseline table");
        }
        Backend::Sqlite => {
            // The table's and its indexes' own DDL, renamed.
            let rows = connection
                .query_all(Statement::from_string(
                    connection.get_database_backend(),
                    format!(
                        "SELECT sql FROM sqlite_master WHERE tbl_name = '{}' AND sql IS NOT NULL \
                         ORDER BY type DESC",
                        kind.table()
                    ),
                ))
                .await
                .expect("cannot read the table's DDL");
            for row in rows {
                let sql: String = row.try_get("", "sql").expect("DDL is not text");
                connection
                    .execute_unprepared(&sql.replace(kind.table(), &copy))
                    .await
                    .expect("cannot create the baseline table");
            }
        }
    }
}

async fn drop_copy_table(connection: &DatabaseConnection, kind: Kind) {
    connection
        .execute_unprepared(&format!("DROP TABLE IF EXISTS {}", copy_table(kind)))
        .await
        .expect("cannot drop the baseline table");
}

/// The baseline figures of one record kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct Baseline {
    /// PostgreSQL: one COPY of every row; SQLite: multi-row INSERTs.
    pub bulk: Timed,
    /// PostgreSQL only: one COPY per batch of 1,000, by the writers.
    pub batched: Option<Timed>,
}

/// Writes every `kind` row of every pass the database's own way.
pub async fn measure(
    service: &Service,
    directory: &Directory,
    passes: &[Pass],
    kind: Kind,
    writers: usize,
) -> Baseline {
    let connection = service.database.connection();
    let baseline = match service.backend {
        Backend::Postgres => {
            create_copy_table(connection, service.backend, kind).await;
            let bulk = copy_one_stream(connection, directory, passes, kind).await;
            drop_copy_table(connection, kind).await;
            create_copy_table(connection, service.backend, kind).await;
            let batched = copy_batches(connection, directory, passes, kind, writers).await;
            Baseline {
                bulk,
                batched: Some(batched),
            }
        }
        Backend::Sqlite => {
            create_copy_table(connection, service.backend, kind).await;
            Baseline {
                bulk: insert_batches(connection, directory, passes, kind).await,
                batched: None,
            }
        }
    };
    drop_copy_table(connection, kind).await;
    baseline
}

fn copy_statement(kind: Kind) -> String {
    format!("COPY {} ({}) FROM STDIN", copy_table(kind), columns(kind))
}

async fn copy_one_stream(
    connection: &DatabaseConnection,
    directory: &Directory,
    passes: &[Pass],
    kind: Kind,
) -> Timed {
    let pool = connection.get_postgres_connection_pool();
    let started = Instant::now();
    let now = now_us();
    let mut copy = pool
        .copy_in_raw(&copy_statement(kind))
        .await
        .expect("COPY did not start");
    let mut rows = 0;
    for pass in passes {
        for first in (0..kind.count(pass)).step_by(BATCH as usize) {
            let mut buffer = String::new();
            for nth in first..(first + BATCH).min(kind.count(pass)) {
                push_copy_line(&mut buffer, &row(directory, pass, kind, nth, now));
                rows += 1;
            }
            copy.send(buffer.into_bytes()).await.expect("COPY failed");
        }
    }
    copy.finish().await.expect("COPY did not finish");
    Timed {
        rows,
        elapsed: started.elapsed(),
    }
}

/// Every (pass, first record) batch start, in time order.
fn batches(passes: &[Pass], kind: Kind) -> Vec<(Pass, u64)> {
    passes
        .iter()
        .flat_map(|pass| {
            (0..kind.count(pass))
                .step_by(BATCH as usize)
                .map(move |first| (*pass, first))
        })
        .collect()
}

async fn copy_batches(
    connection: &DatabaseConnection,
    directory: &Directory,
    passes: &[Pass],
    kind: Kind,
    writers: usize,
) -> Timed {
    let batches = Arc::new(batches(passes, kind));
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let pool = connection.get_postgres_connection_pool().clone();
        let (batches, next, directory) = (batches.clone(), next.clone(), *directory);
        tasks.push(tokio::spawn(async move {
            let mut rows = 0;
            loop {
                let position = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some((pass, first)) = batches.get(position) else {
                    return rows;
                };
                let now = now_us();
                let mut buffer = String::new();
                for nth in *first..(*first + BATCH).min(kind.count(pass)) {
                    push_copy_line(&mut buffer, &row(&directory, pass, kind, nth, now));
                    rows += 1;
                }
                let mut copy = pool
                    .copy_in_raw(&copy_statement(kind))
                    .await
                    .expect("COPY did not start");
                copy.send(buffer.into_bytes()).await.expect("COPY failed");
                copy.finish().await.expect("COPY did not finish");
            }
        }));
    }
    let mut rows = 0;
    for task in tasks {
        rows += task.await.expect("a COPY writer panicked");
    }
    Timed {
        rows,
        elapsed: started.elapsed(),
    }
}

async fn insert_batches(
    connection: &DatabaseConnection,
    directory: &Directory,
    passes: &[Pass],
    kind: Kind,
) -> Timed {
    let backend = connection.get_database_backend();
    let started = Instant::now();
    let mut rows = 0;
    for (pass, first) in batches(passes, kind) {
        let now = now_us();
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            copy_table(kind),
            columns(kind)
        );
        for nth in first..(first + BATCH).min(kind.count(&pass)) {
            if nth > first {
                sql.push(',');
            }
            push_values_tuple(&mut sql, &row(directory, &pass, kind, nth, now));
            rows += 1;
        }
        let transaction = connection.begin().await.expect("cannot begin");
        transaction
            .execute(Statement::from_string(backend, sql))
            .await
            .expect("baseline INSERT failed");
        transaction.commit().await.expect("cannot commit");
    }
    Timed {
        rows,
        elapsed: started.elapsed(),
    }
}
