use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "violations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source: String,
    pub external_id: String,
    pub revision: Option<i64>,
    pub voided: bool,
    pub content_hash: String,
    pub ingested_at_us: i64,
    pub updated_at_us: i64,
    /// The team the record counts for, fixed at ingest (`None`: no team).
    pub team_id: Option<String>,
    pub agent_id: String,
    pub kind: String,
    pub occurred_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
