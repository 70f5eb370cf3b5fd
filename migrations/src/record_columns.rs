//! The columns every ingested record table starts with, and its natural-key
//! index. Shared so that the generic ingestion code can rely on them.

use sea_orm_migration::{prelude::*, schema::*};

/// Column names common to every record table.
#[derive(DeriveIden)]
pub enum RecordColumn {
    Id,
    Source,
    ExternalId,
    Revision,
    Voided,
    ContentHash,
    IngestedAtUs,
    UpdatedAtUs,
}

/// A `CREATE TABLE` for a record table with the common columns; the caller
/// adds the record's own columns.
pub fn record_table<T: IntoIden + 'static>(table: T) -> TableCreateStatement {
    Table::create()
        .table(table)
        .if_not_exists()
        .col(
            ColumnDef::new(RecordColumn::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(string_len(RecordColumn::Source, 64))
        .col(string_len(RecordColumn::ExternalId, 128))
        .col(big_integer_null(RecordColumn::Revision))
        .col(boolean(RecordColumn::Voided))
        .col(string_len(RecordColumn::ContentHash, 64))
        .col(big_integer(RecordColumn::IngestedAtUs))
        .col(big_integer(RecordColumn::UpdatedAtUs))
        .to_owned()
}

/// The unique index on (source, external_id) that makes a replay an update
/// of the same row instead of a second row.
pub fn natural_key_index<T: IntoIden + 'static>(name: &str, table: T) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(RecordColumn::Source)
        .col(RecordColumn::ExternalId)
        .unique()
        .to_owned()
}

/// A non-unique index on the given columns.
pub fn lookup_index<T, C, I>(name: &str, table: T, columns: I) -> IndexCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIndexColumn,
    I: IntoIterator<Item = C>,
{
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}
