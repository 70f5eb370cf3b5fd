//! What keeps the service answering under hostile input, overload, outages
//! and shutdown, configured once in `startup`:
//!
//! - [`guard`]: one tower layer around every `kpi.v1` call that fails fast
//!   while the database is known to be down, sheds calls past the
//!   concurrency limits (a smaller one for heavy calls) instead of queueing
//!   them, enforces the server's time limit, turns a handler panic into
//!   INTERNAL, and reports an oversized request as RESOURCE_EXHAUSTED.
//!   Health and reflection pass through untouched.
//! - [`health`]: the database health check behind `grpc.health.v1`, and
//!   Watch streams that end when draining starts.
//! - [`replica_health`]: the standbys' lag watcher and each standby's
//!   health (`replica:<host:port/database>`).
//! - [`readiness`]: whether the database has been prepared for serving yet
//!   (the service may start before it).

pub mod guard;
pub mod health;
pub mod readiness;
pub mod replica_health;
