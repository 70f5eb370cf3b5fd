//! The use cases, one module per service. Each operation is one function
//! that owns its transaction, its locks and the order of its checks
//! (access, arguments, existence, closed periods), and returns a
//! [`ServiceError`](crate::error::ServiceError).

pub mod access;
pub mod audit;
pub mod changes;
pub mod consistency;
pub mod directory;
pub mod engine;
mod errors;
pub mod goals;
pub mod ingest;
pub mod pagination;
mod period_guard;
pub mod periods;
pub mod policies;
pub mod scorecards;
pub mod snapshots;
