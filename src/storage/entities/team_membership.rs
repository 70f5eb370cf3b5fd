use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "team_memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agent_id: String,
    /// Local day the membership starts (days since 1970-01-01), inclusive.
    #[sea_orm(primary_key, auto_increment = false)]
    pub effective_from: i32,
    /// Local day it ends, exclusive; `None` while it lasts.
    pub effective_to: Option<i32>,
    pub team_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
