//! The use cases, one module per service. Each operation is one function
//! that owns its transaction, its locks and the order of its checks
//! (access, arguments, existence, closed periods), and returns a
//! [`ServiceError`](crate::error::ServiceError).

pub mod access;
mod errors;

pub mod audit;
pub mod ingest;
