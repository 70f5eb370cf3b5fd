//! Reading stored rows by natural key, in chunks, exact pairs only.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    sea_query::{Alias, Expr, SimpleExpr},
    ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter,
};

use super::StoredRow;
use crate::{
    domain::{attribution::Contribution, records::RecordKey},
    storage::StorageError,
};

/// Most keys looked up per query: a SQLite `IN` list binds each key, a
/// PostgreSQL look-up binds one JSON parameter whatever the number.
fn lookup_chunk(backend: DatabaseBackend) -> usize {
    match backend {
        DatabaseBackend::Postgres => 5_000,
        _ => 500,
    }
}

/// Matches rows whose two key columns equal one of `keys`: exact pairs on
/// PostgreSQL; on SQLite (no row-value lists) each column against its own
/// list, a superset the caller narrows to the exact pairs.
fn key_filter(backend: DatabaseBackend, columns: [&str; 2], keys: &[&RecordKey]) -> SimpleExpr {
    match backend {
        // One JSON parameter, whatever the number of keys: the statement's
        // text stays the same (one cached statement) and plans in about a
        // millisecond, where a 500-pair row-value IN list took 140 ms to
        // plan on a 2M-row table.
        DatabaseBackend::Postgres => {
            let pairs: Vec<[&str; 2]> = keys
                .iter()
                .map(|key| [key.source.as_str(), key.external_id.as_str()])
                .collect();
            let json = serde_json::to_string(&pairs).unwrap_or_default();
            let [source, external_id] = columns;
            Expr::cust_with_values(
                format!(
                    "({source}, {external_id}) IN (SELECT pair->>0, pair->>1 \
                     FROM json_array_elements($1::json) AS pair)"
                ),
                [json],
            )
        }
        _ => {
            let [source, external_id] = columns.map(|name| Expr::col(Alias::new(name)));
            let sources: BTreeSet<&str> = keys.iter().map(|k| k.source.as_str()).collect();
            source
                .is_in(sources.into_iter().map(str::to_owned))
                .and(external_id.is_in(keys.iter().map(|k| k.external_id.clone())))
        }
    }
}

/// The stored rows of `keys`, whole.
pub async fn load_rows<E>(
    connection: &impl ConnectionTrait,
    keys: &[&RecordKey],
) -> Result<HashMap<RecordKey, E::Model>, StorageError>
where
    E: EntityTrait,
    E::Model: StoredRow,
{
    let wanted: BTreeSet<&RecordKey> = keys.iter().copied().collect();
    let wanted_list: Vec<&RecordKey> = wanted.iter().copied().collect();
    let backend = connection.get_database_backend();
    let mut stored = HashMap::with_capacity(wanted.len());
    for chunk in wanted_list.chunks(lookup_chunk(backend)) {
        let rows = E::find()
            .filter(key_filter(backend, ["source", "external_id"], chunk))
            .all(connection)
            .await?;
        for row in rows {
            let key = row.key();
            if wanted.contains(&key) {
                stored.insert(key, row);
            }
        }
    }
    Ok(stored)
}

/// What the non-void rows of `E` linked to one of `interactions`
/// contribute (each row converted once).
pub async fn load_linked<E>(
    connection: &impl ConnectionTrait,
    interactions: &[&RecordKey],
) -> Result<Vec<Contribution>, StorageError>
where
    E: EntityTrait,
    E::Model: StoredRow,
{
    let wanted: BTreeSet<&RecordKey> = interactions.iter().copied().collect();
    let backend = connection.get_database_backend();
    let mut linked = Vec::new();
    for chunk in interactions.chunks(lookup_chunk(backend)) {
        let rows = E::find()
            .filter(Expr::col(Alias::new("voided")).eq(false))
            .filter(key_filter(
                backend,
                ["interaction_source", "interaction_external_id"],
                chunk,
            ))
            .all(connection)
            .await?;
        for row in rows {
            let Some(contribution) = row.contribution()? else {
                continue;
            };
            // SQLite's filter is a superset: keep the exact pairs.
            if contribution
                .linked_interaction()
                .is_some_and(|key| wanted.contains(key))
            {
                linked.push(contribution);
            }
        }
    }
    Ok(linked)
}
