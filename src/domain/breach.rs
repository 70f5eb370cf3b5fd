//! Threshold breaches: every (agent, KPI) of a period whose status is
//! BREACHED (optionally also AT_RISK), with what a manager needs to act.

use super::{
    directory::Agent,
    forecast::KpiForecast,
    kpi::{KpiId, KpiValue},
    policy::{Assessment, Grade, KpiStatus},
    scorecard::{AppliedPolicy, Scorecard},
};

/// One KPI of one agent missing (or close to missing) its target.
#[derive(Debug, Clone)]
pub struct Breach {
    pub agent: Agent,
    pub value: KpiValue,
    /// Boxed, as the policy: both are large (a rule carries its graded
    /// scoring), and a page of breaches holds up to 1,000.
    pub assessment: Box<Assessment>,
    pub policy: Box<AppliedPolicy>,
    /// The KPI's credit and contribution in its scorecard (graded plans).
    pub grade: Option<Grade>,
    /// The agent goal that changed the KPI's rule, if any.
    pub agent_goal_id: Option<i64>,
    /// The KPI's forecast, when the query asked for forecast misses and
    /// the period is in progress.
    pub forecast: Option<Box<KpiForecast>>,
}

impl Breach {
    /// Listed for its forecast: WILL_MISS or UNREACHABLE.
    pub fn forecast_miss(&self) -> bool {
        self.forecast
            .as_deref()
            .is_some_and(|forecast| forecast.status.is_miss())
    }

    /// By how much the target is missed (> 0 for BREACHED, 0 for AT_RISK).
    pub fn shortfall(&self) -> f64 {
        match (self.assessment.status, self.assessment.margin) {
            (KpiStatus::Breached, Some(margin)) => -margin,
            _ => 0.0,
        }
    }
}

/// Which breaches a query wants.
#[derive(Debug, Clone, Default)]
pub struct BreachFilter {
    /// Only these KPIs; empty means every KPI.
    pub kpis: Vec<KpiId>,
    pub include_at_risk: bool,
    /// Also KPIs forecast to miss (WILL_MISS, UNREACHABLE) whatever their
    /// status now.
    pub forecast_misses: bool,
}

impl BreachFilter {
    fn wants(&self, kpi: KpiId, status: KpiStatus, forecast: Option<&KpiForecast>) -> bool {
        let wanted_status =
            status == KpiStatus::Breached || (self.include_at_risk && status == KpiStatus::AtRisk);
        let forecast_miss =
            self.forecast_misses && forecast.is_some_and(|forecast| forecast.status.is_miss());
        (wanted_status || forecast_miss) && (self.kpis.is_empty() || self.kpis.contains(&kpi))
    }
}

/// The breaches in `scorecards`, in their order (agents), then catalogue
/// order of KPIs.
pub fn collect_breaches(scorecards: &[(Agent, Scorecard)], filter: &BreachFilter) -> Vec<Breach> {
    let mut breaches = Vec::new();
    for (agent, scorecard) in scorecards {
        let verdict = &scorecard.verdict;
        let judged = scorecard
            .values
            .iter()
            .zip(&verdict.assessments)
            .zip(&verdict.grades);
        for (index, ((value, assessment), grade)) in judged.enumerate() {
            let forecast = scorecard.forecast(index);
            if filter.wants(value.kpi, assessment.status, forecast) {
                breaches.push(Breach {
                    agent: agent.clone(),
                    value: *value,
                    assessment: Box::new(*assessment),
                    policy: Box::new(scorecard.policy.clone()),
                    grade: *grade,
                    agent_goal_id: scorecard
                        .goals
                        .iter()
                        .find(|goal| goal.kpi == value.kpi)
                        .map(|goal| goal.goal_id),
                    forecast: forecast.copied().map(Box::new),
                });
            }
        }
    }
    breaches
}
