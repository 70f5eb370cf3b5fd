//! The KPI catalogue of the spec (`kpis.md`): ids, names, units, directions,
//! formulas and default targets. The order of `KpiId::ALL` is the catalogue
//! order every scorecard uses.

use std::{fmt, str::FromStr};

use crate::domain::policy::Target;

/// A KPI of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KpiId {
    ContactsHandled,
    ContactsPerDay,
    Aht,
    AvgResponseTime,
    AvgResolutionTime,
    FcrRate,
    ResolutionRate,
    EscalationRate,
    TransferRate,
    SoloResolutionRate,
    OverdueRate,
    ErrorRate,
    QaScore,
    CallRating,
    Csat,
    Nps,
    Ces,
    ComplaintRate,
    ProcessCompliance,
    PrivacyCompliance,
    Violations,
    TrainingCompletion,
    Occupancy,
    Utilization,
}

/// The group a KPI belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KpiGroup {
    Performance,
    Quality,
    Satisfaction,
    Compliance,
    Workforce,
}

/// The unit of a KPI's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KpiUnit {
    Count,
    CountPerDay,
    Seconds,
    Percent,
    NpsPoints,
    Rating,
}

/// Whether higher or lower values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

/// Whether a KPI predicts outcomes (leading) or reports them (lagging).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    Leading,
    Lagging,
}

/// Everything the catalogue says about one KPI.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiDefinition {
    pub id: KpiId,
    pub name: &'static str,
    pub group: KpiGroup,
    pub unit: KpiUnit,
    pub direction: Direction,
    pub formula: &'static str,
    pub indicator: Indicator,
    /// value = numerator * scale / denominator.
    pub scale: f64,
    pub default_target: Option<Target>,
    pub default_gate: bool,
    /// The values the KPI can take, inclusive (targets outside are invalid).
    pub possible_range: (f64, f64),
}

/// The KPI id a string names was not found in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a KPI of the catalogue")]
pub struct UnknownKpi(pub String);

const PERCENT: (f64, f64) = (0.0, 100.0);
const UNBOUNDED: (f64, f64) = (0.0, f64::INFINITY);

impl KpiId {
    /// Every KPI in catalogue order.
    pub const ALL: [KpiId; 24] = [
        KpiId::ContactsHandled,
        KpiId::ContactsPerDay,
        KpiId::Aht,
        KpiId::AvgResponseTime,
        KpiId::AvgResolutionTime,
        KpiId::FcrRate,
        KpiId::ResolutionRate,
        KpiId::EscalationRate,
        KpiId::TransferRate,
        KpiId::SoloResolutionRate,
        KpiId::OverdueRate,
        KpiId::ErrorRate,
        KpiId::QaScore,
        KpiId::CallRating,
        KpiId::Csat,
        KpiId::Nps,
        KpiId::Ces,
        KpiId::ComplaintRate,
        KpiId::ProcessCompliance,
        KpiId::PrivacyCompliance,
        KpiId::Violations,
        KpiId::TrainingCompletion,
        KpiId::Occupancy,
        KpiId::Utilization,
    ];

    /// The snake_case id used on the wire.
    pub fn as_str(self) -> &'static str {
        self.definition().name_id()
    }

    /// The catalogue entry.
    pub fn definition(self) -> &'static KpiDefinition {
        &CATALOGUE[self as usize]
    }

    /// Count KPIs always have a value and ignore minimum sample sizes.
    pub fn is_count(self) -> bool {
        matches!(self, KpiId::ContactsHandled | KpiId::Violations)
    }
}

impl fmt::Display for KpiId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KpiId {
    type Err = UnknownKpi;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        KpiId::ALL
            .into_iter()
            .find(|id| id.as_str() == text)
            .ok_or_else(|| UnknownKpi(text.to_owned()))
    }
}

impl KpiDefinition {
    fn name_id(&self) -> &'static str {
        ID_STRINGS[self.id as usize]
    }
}

const ID_STRINGS: [&str; 24] = [
    "contacts_handled",
    "contacts_per_day",
    "aht",
    "avg_response_time",
    "avg_resolution_time",
    "fcr_rate",
    "resolution_rate",
    "escalation_rate",
    "transfer_rate",
    "solo_resolution_rate",
    "overdue_rate",
    "error_rate",
    "qa_score",
    "call_rating",
    "csat",
    "nps",
    "ces",
    "complaint_rate",
    "process_compliance",
    "privacy_compliance",
    "violations",
    "training_completion",
    "occupancy",
    "utilization",
];

#[allow(clippy::too_many_arguments)]
const fn kpi(
    id: KpiId,
    name: &'static str,
    group: KpiGroup,
    unit: KpiUnit,
    direction: Direction,
    formula: &'static str,
    indicator: Indicator,
    scale: f64,
    default_target: Option<Target>,
    possible_range: (f64, f64),
) -> KpiDefinition {
    KpiDefinition {
        id,
        name,
        group,
        unit,
        direction,
        formula,
        indicator,
        scale,
        default_target,
        default_gate: matches!(id, KpiId::PrivacyCompliance),
        possible_range,
    }
}

use Direction::{HigherIsBetter as Up, LowerIsBetter as Down};
use Indicator::{Lagging, Leading};
use KpiGroup::{Compliance, Performance, Quality, Satisfaction, Workforce};

/// The catalogue, indexed by `KpiId as usize`.
static CATALOGUE: [KpiDefinition; 24] = [
    kpi(KpiId::ContactsHandled, "Contacts handled", Performance, KpiUnit::Count, Up,
        "number of interactions handled in the period", Lagging, 1.0, None, UNBOUNDED),
    kpi(KpiId::ContactsPerDay, "Contacts per worked day", Performance, KpiUnit::CountPerDay, Up,
        "contacts_handled / distinct reporting-zone days with at least one interaction", Lagging, 1.0,
        Some(Target::AtLeast(50.0)), UNBOUNDED),
    kpi(KpiId::Aht, "Average handle time", Performance, KpiUnit::Seconds, Down,
        "sum of (talk + hold + after-contact work) / contacts_handled", Lagging, 1.0,
        Some(Target::AtMost(300.0)), UNBOUNDED),
    kpi(KpiId::AvgResponseTime, "Average first response time", Performance, KpiUnit::Seconds, Down,
        "mean of (first_response_at - queued_at) over interactions that have both", Lagging, 1.0, None, UNBOUNDED),
    kpi(KpiId::AvgResolutionTime, "Average resolution time", Performance, KpiUnit::Seconds, Down,
        "mean of (resolved_at - queued_at) over resolved interactions that have resolved_at", Lagging, 1.0,
        None, UNBOUNDED),
    kpi(KpiId::FcrRate, "First contact resolution", Performance, KpiUnit::Percent, Up,
        "first_contact_resolved / contacts_handled x 100", Lagging, 100.0, Some(Target::AtLeast(80.0)), PERCENT),
    kpi(KpiId::ResolutionRate, "Resolution rate", Performance, KpiUnit::Percent, Up,
        "resolved / contacts_handled x 100", Lagging, 100.0, None, PERCENT),
    kpi(KpiId::EscalationRate, "Escalation rate", Performance, KpiUnit::Percent, Down,
        "escalated / contacts_handled x 100", Lagging, 100.0, Some(Target::AtMost(10.0)), PERCENT),
    kpi(KpiId::TransferRate, "Transfer rate", Performance, KpiUnit::Percent, Down,
        "transferred / contacts_handled x 100", Lagging, 100.0, None, PERCENT),
    kpi(KpiId::SoloResolutionRate, "Handled solo", Performance, KpiUnit::Percent, Up,
        "interactions resolved and neither escalated nor transferred / contacts_handled x 100", Lagging, 100.0,
        None, PERCENT),
    kpi(KpiId::OverdueRate, "Overdue responses", Performance, KpiUnit::Percent, Down,
        "interactions whose first response came after sla_due_at, or that have none / interactions with an sla_due_at x 100",
        Lagging, 100.0, None, PERCENT),
    kpi(KpiId::ErrorRate, "Error rate", Quality, KpiUnit::Percent, Down,
        "interactions flagged agent_error / contacts_handled x 100", Lagging, 100.0, Some(Target::AtMost(2.0)), PERCENT),
    kpi(KpiId::QaScore, "Internal QA score", Quality, KpiUnit::Percent, Up,
        "sum of score / sum of max_score x 100 over QA evaluations", Leading, 100.0,
        Some(Target::AtLeast(90.0)), PERCENT),
    kpi(KpiId::CallRating, "Recording evaluation rating", Quality, KpiUnit::Rating, Up,
        "mean of all criterion ratings (1-5) over QA evaluations", Leading, 1.0, Some(Target::AtLeast(4.5)), (1.0, 5.0)),
    kpi(KpiId::Csat, "Customer satisfaction (CSAT)", Satisfaction, KpiUnit::Percent, Up,
        "CSAT responses scoring 4 or 5 / CSAT responses x 100", Lagging, 100.0, Some(Target::AtLeast(85.0)), PERCENT),
    kpi(KpiId::Nps, "Net promoter score", Satisfaction, KpiUnit::NpsPoints, Up,
        "% of NPS responses scoring 9-10 - % scoring 0-6", Lagging, 100.0, Some(Target::AtLeast(50.0)),
        (-100.0, 100.0)),
    kpi(KpiId::Ces, "Customer effort score", Satisfaction, KpiUnit::Percent, Up,
        "CES responses scoring 5-7 / CES responses x 100", Lagging, 100.0, None, PERCENT),
    kpi(KpiId::ComplaintRate, "Complaint rate", Satisfaction, KpiUnit::Percent, Down,
        "interactions flagged complaint / contacts_handled x 100", Lagging, 100.0, Some(Target::AtMost(5.0)), PERCENT),
    kpi(KpiId::ProcessCompliance, "Process compliance", Compliance, KpiUnit::Percent, Up,
        "passed PROCESS checks / PROCESS checks x 100", Leading, 100.0, Some(Target::AtLeast(95.0)), PERCENT),
    kpi(KpiId::PrivacyCompliance, "Privacy and data-handling compliance", Compliance, KpiUnit::Percent, Up,
        "passed PRIVACY checks / PRIVACY checks x 100", Leading, 100.0, Some(Target::AtLeast(100.0)), PERCENT),
    kpi(KpiId::Violations, "Internal-regulation violations", Compliance, KpiUnit::Count, Down,
        "number of violations in the period (the default target is meant for a calendar month)", Lagging, 1.0,
        Some(Target::AtMost(1.0)), UNBOUNDED),
    kpi(KpiId::TrainingCompletion, "Training completion", Compliance, KpiUnit::Percent, Up,
        "assignments due in the period and completed on or before due_at / assignments due in the period x 100",
        Leading, 100.0, Some(Target::AtLeast(90.0)), PERCENT),
    kpi(KpiId::Occupancy, "Occupancy", Workforce, KpiUnit::Percent, Down,
        "sum of handling seconds / sum of logged-in seconds x 100", Leading, 100.0, Some(Target::AtMost(90.0)), PERCENT),
    kpi(KpiId::Utilization, "Utilization", Workforce, KpiUnit::Percent, Up,
        "sum of logged-in seconds / sum of scheduled seconds x 100", Leading, 100.0, None, UNBOUNDED),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_indexed_by_id_in_spec_order() {
        for (index, id) in KpiId::ALL.into_iter().enumerate() {
            assert_eq!(id as usize, index);
            assert_eq!(id.definition().id, id);
            assert_eq!(id.as_str().parse::<KpiId>(), Ok(id));
        }
        assert_eq!(KpiId::ALL[0].as_str(), "contacts_handled");
        assert_eq!(KpiId::ALL[23].as_str(), "utilization");
        assert!("cast".parse::<KpiId>().is_err());
    }

    #[test]
    fn default_targets_come_from_the_seed_template() {
        assert_eq!(
            KpiId::Csat.definition().default_target,
            Some(Target::AtLeast(85.0))
        );
        assert_eq!(
            KpiId::Aht.definition().default_target,
            Some(Target::AtMost(300.0))
        );
        assert_eq!(
            KpiId::CallRating.definition().default_target,
            Some(Target::AtLeast(4.5))
        );
        assert_eq!(KpiId::AvgResponseTime.definition().default_target, None);
        let gates: Vec<KpiId> = KpiId::ALL
            .into_iter()
            .filter(|id| id.definition().default_gate)
            .collect();
        assert_eq!(gates, vec![KpiId::PrivacyCompliance]);
        let with_default = KpiId::ALL
            .iter()
            .filter(|id| id.definition().default_target.is_some())
            .count();
        assert_eq!(with_default, 15);
    }
}
