use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub team_id: Option<String>,
    pub effective_from: String,
    #[sea_orm(column_type = "Double")]
    pub bonus_threshold: f64,
    /// JSON array of rules, see `storage::policy`.
    #[sea_orm(column_type = "Text")]
    pub rules: String,
    pub created_at_us: i64,
    /// The principal that stored the version ("" before authentication).
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
