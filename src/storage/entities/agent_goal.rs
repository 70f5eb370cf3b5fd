use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agent_goals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub agent_id: String,
    pub kpi_id: String,
    /// A `date` on PostgreSQL, ISO `YYYY-MM-DD` text on SQLite.
    pub effective_from: Date,
    /// JSON object of the overrides, see `storage::goals`.
    #[sea_orm(column_type = "Text")]
    pub overrides: String,
    pub created_at_us: i64,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
