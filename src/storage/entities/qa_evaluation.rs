use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_evaluations")]
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
    pub interaction_source: Option<String>,
    pub interaction_external_id: Option<String>,
    pub evaluated_at_us: i64,
    #[sea_orm(column_type = "Double")]
    pub score: f64,
    #[sea_orm(column_type = "Double")]
    pub max_score: f64,
    /// JSON array of {"criterion": .., "rating": ..}, as sent.
    #[sea_orm(column_type = "Text")]
    pub criterion_ratings: String,
    pub rating_total: i64,
    pub rating_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
