//! Domain types and rules, free of IO: validated records, the replay rules
//! of ingestion, and (in `kpi`, `policy`, `period`) the KPI arithmetic.

pub mod directory;
pub mod ingest;
pub mod records;
pub mod violations;
