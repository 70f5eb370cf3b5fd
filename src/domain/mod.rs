//! Domain types and rules, free of IO: validated records and their score
//! scales, attribution (which agent, team and day a record counts for),
//! the replay rules of ingestion, the KPI catalogue and arithmetic, target
//! policies and reporting periods.

pub mod attribution;
pub mod audit;
pub mod breach;
pub mod calendar;
pub mod changes;
pub mod closing;
pub mod directory;
pub mod forecast;
pub mod idempotency;
pub mod ingest;
pub mod intraday;
pub mod kpi;
pub mod pay_period;
pub mod peers;
pub mod period;
pub mod policy;
pub mod record_listing;
pub mod records;
pub mod scorecard;
pub mod violations;
