//! Writing a batch's new and changed rows: one `INSERT .. ON CONFLICT
//! (source, external_id) DO UPDATE` per chunk, guarded against an older
//! revision overwriting a newer one, answering the rows as now stored.
//!
//! On PostgreSQL the rows travel as one array per column through `unnest`
//! and come back through `RETURNING`, so the batch is neither planned
//! afresh per call nor read a second time. On SQLite (one writer, cheap
//! statements) they are a multi-row `VALUES` list, then read back.

use std::collections::HashMap;

use sea_orm::{
    sea_query::{Alias, Expr, OnConflict, SimpleExpr},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult,
    Iden, IntoActiveModel, Iterable, Statement,
};

use super::lookup::load_models;
use crate::{
    domain::records::RecordKey,
    storage::{
        pg_arrays::{element_type, unnest_call, ColumnArrays},
        rollups::contribution::StoredRecord,
        StorageError,
    },
};

/// Most bind parameters one SQLite statement may carry (it allows 32,766).
const MAX_BIND_PARAMETERS: usize = 30_000;
/// Most rows per PostgreSQL statement (arrays carry any number; this
/// bounds one statement's memory on both sides).
const ROWS_PER_ARRAY_STATEMENT: usize = 5_000;
/// Columns an update leaves as first written.
const KEPT_ON_UPDATE: [&str; 4] = ["id", "source", "external_id", "ingested_at_us"];

/// Inserts new rows and replaces changed ones, and answers the rows as now
/// stored, by key. For a row the revision guard refused (a newer revision
/// is stored), PostgreSQL answers nothing and SQLite the stored row: the
/// caller keeps the row it read for such keys.
pub(super) async fn upsert_rows<E>(
    connection: &impl ConnectionTrait,
    rows: Vec<(RecordKey, E::ActiveModel)>,
) -> Result<HashMap<RecordKey, E::Model>, StorageError>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
    E::Model: StoredRecord + FromQueryResult + IntoActiveModel<E::ActiveModel>,
{
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    match connection.get_database_backend() {
        DatabaseBackend::Postgres => upsert_returning::<E>(connection, rows).await,
        _ => {
            let keys: Vec<RecordKey> = rows.iter().map(|(key, _)| key.clone()).collect();
            upsert_values::<E>(connection, rows.into_iter().map(|(_, row)| row).collect()).await?;
            let keys: Vec<&RecordKey> = keys.iter().collect();
            load_models::<E>(connection, &keys).await
        }
    }
}

/// The database's own guard against an older revision overwriting a newer
/// one: the batch logic already skips stale items, and on PostgreSQL the
/// batch's key locks keep two batches from racing, but a write that slips
/// past both must still not move a record backwards.
fn newer_or_unversioned<E: EntityTrait>() -> SimpleExpr {
    let revision = || Alias::new("revision");
    let incoming = || Expr::col((Alias::new("excluded"), revision()));
    let stored = || Expr::col((E::default(), revision()));
    incoming()
        .is_null()
        .or(stored().is_null())
        .or(incoming().gte(stored()))
}

fn name(column: &impl Iden) -> String {
    Iden::to_string(column)
}

fn updated_columns<E: EntityTrait>() -> Vec<E::Column> {
    E::Column::iter()
        .filter(|column| !KEPT_ON_UPDATE.contains(&name(column).as_str()))
        .collect()
}

/// SQLite: multi-row `VALUES` lists within the bind-parameter limit.
pub(super) async fn upsert_values<E>(
    connection: &impl ConnectionTrait,
    rows: Vec<E::ActiveModel>,
) -> Result<(), StorageError>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
    E::Model: IntoActiveModel<E::ActiveModel>,
{
    let column_count = E::Column::iter().count();
    let rows_per_statement = (MAX_BIND_PARAMETERS / column_count.max(1)).max(1);
    let natural_key: Vec<Alias> = ["source", "external_id"].map(Alias::new).into();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<E::ActiveModel> = rows.by_ref().take(rows_per_statement).collect();
        E::insert_many(chunk)
            .on_conflict(
                OnConflict::columns(natural_key.clone())
                    .update_columns(updated_columns::<E>())
                    .action_and_where(newer_or_unversioned::<E>())
                    .to_owned(),
            )
            .exec_without_returning(connection)
            .await?;
    }
    Ok(())
}

/// PostgreSQL: `INSERT .. SELECT * FROM unnest(..) .. RETURNING *`.
async fn upsert_returning<E>(
    connection: &impl ConnectionTrait,
    rows: Vec<(RecordKey, E::ActiveModel)>,
) -> Result<HashMap<RecordKey, E::Model>, StorageError>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
    E::Model: StoredRecord + FromQueryResult,
{
    let columns: Vec<E::Column> = E::Column::iter()
        .filter(|column| name(column) != "id")
        .collect();
    let types = columns
        .iter()
        .map(|column| element_type(column.def().get_column_type()))
        .collect::<Result<Vec<_>, _>>()?;
    let sql = upsert_sql::<E>(&columns, &types);
    // Every statement is built before the first is sent: the rows are not
    // `Sync` and must not be held across an await.
    let mut statements = Vec::new();
    for chunk in rows.chunks(ROWS_PER_ARRAY_STATEMENT) {
        let mut arrays = ColumnArrays::new(columns.len());
        for (_, row) in chunk {
            let values = columns
                .iter()
                .map(|column| {
                    row.get(*column).into_value().ok_or_else(|| {
                        StorageError::Corrupt(format!("column {} of a row is unset", name(column)))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            arrays.push_row(values)?;
        }
        statements.push(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            &sql,
            arrays.into_values(),
        ));
    }
    drop(rows);
    let mut stored = HashMap::new();
    for statement in statements {
        for model in E::find().from_raw_sql(statement).all(connection).await? {
            stored.insert(model.key(), model);
        }
    }
    Ok(stored)
}

/// The constant text of [`upsert_returning`]'s statement.
fn upsert_sql<E: EntityTrait>(columns: &[E::Column], types: &[&str]) -> String {
    let table = E::default().table_name().to_owned();
    let names: Vec<String> = columns
        .iter()
        .map(|column| format!("\"{}\"", name(column)))
        .collect();
    let updates: Vec<String> = updated_columns::<E>()
        .iter()
        .map(|column| {
            let column = name(column);
            format!("\"{column}\" = excluded.\"{column}\"")
        })
        .collect();
    format!(
        "INSERT INTO \"{table}\" ({names}) SELECT * FROM {unnest} \
         ON CONFLICT (source, external_id) DO UPDATE SET {updates} \
         WHERE excluded.revision IS NULL OR \"{table}\".revision IS NULL \
         OR excluded.revision >= \"{table}\".revision \
         RETURNING *",
        names = names.join(", "),
        unnest = unnest_call(types, 1),
        updates = updates.join(", "),
    )
}
