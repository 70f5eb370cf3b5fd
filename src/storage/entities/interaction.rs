use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interactions")]
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
    pub agent_id: String,
    pub team_id: Option<String>,
    pub channel: String,
    pub queued_at_us: i64,
    pub first_response_at_us: Option<i64>,
    pub ended_at_us: i64,
    pub resolved_at_us: Option<i64>,
    pub sla_due_at_us: Option<i64>,
    pub talk_seconds: i64,
    pub hold_seconds: i64,
    pub after_contact_work_seconds: i64,
    pub resolved: bool,
    pub first_contact_resolved: bool,
    pub escalated: bool,
    pub transferred: bool,
    pub agent_error: bool,
    pub complaint: bool,
    /// Whether the sender named `team_id` explicitly (then no membership
    /// change re-attributes it).
    pub team_named: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
