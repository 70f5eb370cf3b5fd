//! SeaORM entities, one per table (see `migrations/` for the schema).
//! Instants are microseconds since the Unix epoch, in `*_at_us` columns.

pub mod agent;
pub mod agent_goal;
pub mod agent_time;
pub mod audit_event;
pub mod compliance_check;
pub mod interaction;
pub mod policy_version;
pub mod qa_evaluation;
pub mod survey_response;
pub mod team;
pub mod team_membership;
pub mod training_assignment;
pub mod violation;
