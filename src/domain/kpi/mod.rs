//! The KPI catalogue and its arithmetic: additive sums in, values with
//! numerator and denominator out. Pure and unit-tested.

mod catalogue;
mod formulas;
mod sources;
mod sums;

pub use catalogue::{Direction, Indicator, KpiDefinition, KpiGroup, KpiId, KpiUnit, UnknownKpi};
pub use formulas::{compute, compute_all, KpiValue};
pub use sources::RecordSources;
pub use sums::{
    AgentTimeFacts, ComplianceFacts, ComplianceKind, KpiSums, QaFacts, SurveyFacts, SurveyKind,
    TrainingFacts,
};
