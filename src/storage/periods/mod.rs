//! Closed months in the database: which months payroll has closed
//! (`closed_periods`), their snapshot versions (`period_snapshots`) and the
//! scorecards each version holds (`snapshot_scorecards`, the opaque bytes
//! the API answered, so that a closed month reads back byte for byte).
//! The late records a closed pay period received since a snapshot are
//! listed by `storage::record_listing`.
//!
//! Repositories only: the close and restatement use cases
//! (`service::periods`) decide what to write, in their own transaction.

mod closed;
mod closed_under;
mod snapshots;

pub use closed::{
    closed_period, closed_through, first_closed_month_ending_after, insert_closed_period,
    list_closed_periods, set_current_version, NewClosedPeriod,
};
pub use closed_under::ClosedUnderError;
pub use snapshots::{insert_entries, insert_snapshot_version, snapshot_entries};
