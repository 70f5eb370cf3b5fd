use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub team_id: Option<String>,
    /// A `date` on PostgreSQL, ISO `YYYY-MM-DD` text on SQLite.
    pub effective_from: Date,
    #[sea_orm(column_type = "Double")]
    pub bonus_threshold: f64,
    /// JSON array of rules, see `storage::policy`.
    #[sea_orm(column_type = "Text")]
    pub rules: String,
    pub created_at_us: i64,
    /// The principal that stored the version ("" before authentication).
    pub created_by: String,
    /// JSON array of bonus tiers, see `storage::graded_json`; `None` for a
    /// version without tiers.
    #[sea_orm(column_type = "Text", nullable)]
    pub bonus_tiers: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
