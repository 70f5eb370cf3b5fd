//! Per-agent daily rollups: one row per (agent, team, reporting-zone day)
//! with every additive sum of the KPI catalogue. Ingestion keeps them in
//! the same transaction as the records they sum (`maintain`); scorecards,
//! lists, breaches and trends read them with GROUP BY in the database
//! (`read`); `rebuild` recomputes them from raw rows, and `verify` proves
//! them against that recomputation.

pub mod columns;
pub mod contribution;
pub mod maintain;
pub mod read;
pub mod rebuild;

/// The rollup table.
pub const ROLLUP_TABLE: &str = "kpi_rollups";
/// The one-row table naming the zone the rollups' days were cut in.
pub const ROLLUP_STATE_TABLE: &str = "kpi_rollup_state";
