//! Integration tests: the real server on a free port, a real tonic client,
//! and every test against both SQLite and PostgreSQL (a fresh database each).
//!
//! One folder per service (`ingest`, `directory`, `policies`, `periods`,
//! `scorecards`, `audit`), each a module of single-behaviour tests; what
//! they share is in `support`.

// Tests may unwrap: a panic is how they fail.
#![allow(clippy::unwrap_used)]

mod support;

// The older paths of the shared helpers and builders, still imported by the
// operations and trust tests below.
pub use support::app as helpers;
/// The record builders, as `crate::fixtures`.
pub mod fixtures {
    pub use crate::support::{
        ingest::{interactions, outcomes},
        records::*,
    };
}
/// The builders, calls and assertions of the KPI tests, as `crate::kpi_fixtures`.
pub mod kpi_fixtures {
    pub use crate::support::{
        directory::*, ingest::*, periods::*, policies::*, records::*, scorecards::*,
    };
}
mod trust;
/// The certificates and tokens of the trust tests, as `crate::trust_support`.
use trust::support as trust_support;

mod audit;
mod changes;
mod directory;
mod graded_plans;
pub(crate) mod ingest;
mod periods;
mod policies;
mod scorecards;

mod operations;
mod read_replicas;
mod replicas;
