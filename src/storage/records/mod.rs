//! The record tables, at the bottom of storage: how each record kind maps
//! to its row and back (`rows`, `stored`), reading rows by natural key
//! (`lookup`) and writing a batch's rows set-based (`upsert`). Nothing
//! here knows the rollups or ingest; they are built on top.

mod lookup;
mod rows;
mod stored;
#[cfg(test)]
mod tests;
mod upsert;

pub use lookup::{load_linked, load_rows};
pub use rows::RowContext;
pub use stored::{interaction_from_row, interaction_place, StoredRow};
pub use upsert::upsert_rows;

use sea_orm::{
    ActiveModelTrait, EntityTrait, FromQueryResult, IntoActiveModel, ModelTrait, TryIntoModel,
};

use crate::domain::attribution::Record;

/// The table of a record kind, with what a batch needs of its rows: read
/// back (`FromQueryResult`), understood (`StoredRow`), and written as
/// active models. Every record entity has it (blanket implementation).
pub trait RecordEntity:
    EntityTrait<Model = <Self as RecordEntity>::Row, ActiveModel = <Self as RecordEntity>::Active>
{
    type Row: ModelTrait<Entity = Self>
        + StoredRow
        + FromQueryResult
        + Clone
        + Sync
        + Send
        + IntoActiveModel<Self::Active>;
    type Active: ActiveModelTrait<Entity = Self> + Send + TryIntoModel<Self::Row>;
}

impl<E> RecordEntity for E
where
    E: EntityTrait,
    E::Model: StoredRow + FromQueryResult + Clone + Sync + Send + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send + TryIntoModel<E::Model>,
{
    type Row = E::Model;
    type Active = E::ActiveModel;
}

/// A record kind and its table: the row a record is written as.
/// Implemented in `rows.rs` for every kind.
pub trait RecordTable: Record {
    type Entity: RecordEntity;

    /// The row to write, with what the batch decided (`row`).
    fn to_active_model(&self, row: &RowContext) -> <Self::Entity as EntityTrait>::ActiveModel;
}
