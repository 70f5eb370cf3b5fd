//! Writing a batch's new and changed rows: one `INSERT .. ON CONFLICT
//! (source, external_id) DO UPDATE` per chunk, guarded against an older
//! revision overwriting a newer one, answering the keys it wrote (the
//! statement's own `RETURNING`): the batch knows the rows it sent, so
//! nothing is read back or converted again.
//!
//! On PostgreSQL the rows travel as one array per column through `unnest`,
//! so the statement's text is the same whatever the batch (parsed once,
//! planned generically). On SQLite (one writer, cheap statements) they are
//! a multi-row `VALUES` list.

use std::collections::HashSet;

use sea_orm::{
    sea_query::{Alias, Expr, OnConflict, Query, SimpleExpr},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, Iden,
    IntoActiveModel, Iterable, QueryResult, QueryTrait, SqlErr, Statement,
};

use super::RecordEntity;
use crate::{
    domain::records::RecordKey,
    storage::{
        pg_arrays::{element_type, unnest_call, ColumnArrays},
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

/// Inserts new rows and replaces changed ones, and answers the keys it
/// wrote. A row the revision guard refused (a newer revision is stored) is
/// not among them: it stays as stored.
///
/// `is_new` tells the keys the batch found unstored. On PostgreSQL those go
/// through a plain `INSERT` (a third cheaper than the guarded upsert): the
/// batch holds their key locks, so nobody can have stored them since.
/// Should one be there anyway (a writer that takes no locks), the unique
/// index refuses the batch as a conflict, which is retried from the start.
pub async fn upsert_rows<E>(
    connection: &impl ConnectionTrait,
    rows: Vec<(RecordKey, E::ActiveModel)>,
    is_new: impl Fn(&RecordKey) -> bool,
) -> Result<HashSet<RecordKey>, StorageError>
where
    E: RecordEntity,
{
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    match connection.get_database_backend() {
        DatabaseBackend::Postgres => {
            let (new, stored): (Vec<_>, Vec<_>) =
                rows.into_iter().partition(|(key, _)| is_new(key));
            let mut written = insert_new::<E>(connection, new).await?;
            written.extend(upsert_returning::<E>(connection, stored).await?);
            Ok(written)
        }
        _ => upsert_values::<E>(connection, rows.into_iter().map(|(_, row)| row).collect()).await,
    }
}

/// PostgreSQL: `INSERT .. SELECT * FROM unnest(..)` of rows whose keys are
/// not stored; answers their keys (all written, or the batch fails).
async fn insert_new<E>(
    connection: &impl ConnectionTrait,
    rows: Vec<(RecordKey, E::ActiveModel)>,
) -> Result<HashSet<RecordKey>, StorageError>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let (columns, types) = insert_columns::<E>()?;
    let table = E::default().table_name().to_owned();
    let names: Vec<String> = columns
        .iter()
        .map(|column| format!("\"{}\"", name(column)))
        .collect();
    let sql = format!(
        "INSERT INTO \"{table}\" ({}) SELECT * FROM {}",
        names.join(", "),
        unnest_call(&types, 1)
    );
    let statements = array_statements::<E>(&sql, &columns, &rows)?;
    let written = rows.into_iter().map(|(key, _)| key).collect();
    for statement in statements {
        connection.execute(statement).await.map_err(|error| {
            if unique_violation(&error) {
                StorageError::Conflict(error)
            } else {
                StorageError::from(error)
            }
        })?;
    }
    Ok(written)
}

/// The key of a row a statement's `RETURNING source, external_id` answered.
fn returned_key(row: &QueryResult) -> Result<RecordKey, StorageError> {
    Ok(RecordKey {
        source: row.try_get("", "source")?,
        external_id: row.try_get("", "external_id")?,
    })
}

/// Whether PostgreSQL refused a row for an existing unique key.
fn unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The columns written (all but `id`) and their array element types.
fn insert_columns<E: EntityTrait>() -> Result<(Vec<E::Column>, Vec<&'static str>), StorageError> {
    let columns: Vec<E::Column> = E::Column::iter()
        .filter(|column| name(column) != "id")
        .collect();
    let types = columns
        .iter()
        .map(|column| element_type(column.def().get_column_type()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((columns, types))
}

/// One statement of `sql` per chunk of rows, each binding one array per
/// column. Built before any is sent: the rows are not `Sync` and must not
/// be held across an await.
fn array_statements<E>(
    sql: &str,
    columns: &[E::Column],
    rows: &[(RecordKey, E::ActiveModel)],
) -> Result<Vec<Statement>, StorageError>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
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
            sql,
            arrays.into_values(),
        ));
    }
    Ok(statements)
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

/// SQLite: multi-row `VALUES` lists within the bind-parameter limit;
/// answers the keys written.
async fn upsert_values<E>(
    connection: &impl ConnectionTrait,
    rows: Vec<E::ActiveModel>,
) -> Result<HashSet<RecordKey>, StorageError>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
    E::Model: IntoActiveModel<E::ActiveModel>,
{
    let column_count = E::Column::iter().count();
    let rows_per_statement = (MAX_BIND_PARAMETERS / column_count.max(1)).max(1);
    let natural_key: Vec<Alias> = ["source", "external_id"].map(Alias::new).into();
    let backend = connection.get_database_backend();
    let mut written = HashSet::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<E::ActiveModel> = rows.by_ref().take(rows_per_statement).collect();
        let mut insert = E::insert_many(chunk)
            .on_conflict(
                OnConflict::columns(natural_key.clone())
                    .update_columns(updated_columns::<E>())
                    .action_and_where(newer_or_unversioned::<E>())
                    .to_owned(),
            )
            .into_query();
        insert.returning(Query::returning().columns(natural_key.clone()));
        for row in connection.query_all(backend.build(&insert)).await? {
            written.insert(returned_key(&row)?);
        }
    }
    Ok(written)
}

/// PostgreSQL: `INSERT .. SELECT * FROM unnest(..) ON CONFLICT ..
/// RETURNING source, external_id`; answers the keys written.
async fn upsert_returning<E>(
    connection: &impl ConnectionTrait,
    rows: Vec<(RecordKey, E::ActiveModel)>,
) -> Result<HashSet<RecordKey>, StorageError>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let (columns, types) = insert_columns::<E>()?;
    let sql = upsert_sql::<E>(&columns, &types);
    let statements = array_statements::<E>(&sql, &columns, &rows)?;
    drop(rows);
    let mut written = HashSet::new();
    for statement in statements {
        for row in connection.query_all(statement).await? {
            written.insert(returned_key(&row)?);
        }
    }
    Ok(written)
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
         RETURNING source, external_id",
        names = names.join(", "),
        unnest = unnest_call(types, 1),
        updates = updates.join(", "),
    )
}
