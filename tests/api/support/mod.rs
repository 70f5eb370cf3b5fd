//! What the tests share: the application under test (`app`), one builder
//! per record kind (`records`), and short calls and assertions per
//! service. `main.rs` re-exports them under their older paths
//! (`crate::helpers`, `crate::fixtures`, `crate::kpi_fixtures`).

pub mod app;
pub mod changes;
pub mod databases;
pub mod directory;
pub mod hostile;
pub mod ingest;
pub mod periods;
pub mod policies;
pub mod records;
pub mod rollups;
pub mod scorecards;
