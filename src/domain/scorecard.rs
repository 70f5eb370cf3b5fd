//! A scorecard: every KPI of one agent or team in one period, computed
//! from additive sums and judged by the policy in force (spec: "Scorecard
//! and bonus semantics"). Pure; the use cases read the sums and the policy.

use chrono::{DateTime, Utc};

use super::{
    forecast::{forecast_all, Elapsed, KpiForecast},
    kpi::{compute_all, KpiSums, KpiValue},
    period::Period,
    policy::{apply_goals, evaluate, AgentGoal, AppliedGoal, PolicyRules, PolicyVersion, Verdict},
};

/// The policy a scorecard was judged by.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedPolicy {
    /// The stored version, or `None` for the catalogue defaults.
    pub version: Option<PolicyVersion>,
    pub rules: PolicyRules,
}

impl AppliedPolicy {
    /// The policy of a stored version, or the catalogue defaults.
    pub fn from_version(version: Option<PolicyVersion>) -> Self {
        match version {
            Some(version) => Self {
                rules: version.rules.clone(),
                version: Some(version),
            },
            None => Self {
                version: None,
                rules: PolicyRules::catalogue_defaults(),
            },
        }
    }
}

/// Every KPI of one agent or team in one period, judged.
#[derive(Debug, Clone)]
pub struct Scorecard {
    pub period: Period,
    pub values: Vec<KpiValue>,
    pub verdict: Verdict,
    pub policy: AppliedPolicy,
    /// The team whose policy judged it: a team's own; for an agent, the
    /// team the agent belonged to at the period's start (or the first one
    /// joined within it), `None` for no team.
    pub team_id: Option<String>,
    /// When the newest counted record was stored or corrected (µs).
    pub data_updated_us: Option<i64>,
    pub computed_at: DateTime<Utc>,
    /// The agent goals that overrode rules of `policy` (agents only).
    pub goals: Vec<AppliedGoal>,
    /// The instant the numbers were read as of (records placed before it
    /// count); `None`: every record stored so far.
    pub as_of: Option<DateTime<Utc>>,
    /// One per value when a forecast was asked for a period in progress
    /// (`None` for a KPI without a target); empty otherwise.
    pub forecasts: Vec<Option<KpiForecast>>,
}

impl Scorecard {
    /// Adds the pace and forecast of every KPI with a target, when the
    /// scorecard was read as of an instant inside its period.
    pub fn add_forecasts(&mut self) {
        let Some(elapsed) = self
            .as_of
            .and_then(|as_of| Elapsed::of(&self.period, as_of))
        else {
            return;
        };
        self.forecasts = forecast_all(&self.values, &self.verdict.assessments, elapsed);
    }

    /// The forecast of the value at `index`, if any.
    pub fn forecast(&self, index: usize) -> Option<&KpiForecast> {
        self.forecasts.get(index).and_then(Option::as_ref)
    }
}

/// Computes every KPI from `sums` and judges it by `policy`.
pub fn judge(
    sums: &KpiSums,
    policy: AppliedPolicy,
    team_id: Option<String>,
    period: Period,
    data_updated_us: Option<i64>,
) -> Scorecard {
    judge_agent(sums, policy, &[], team_id, period, data_updated_us)
}

/// Computes every KPI from `sums` and judges it by `policy` with the
/// agent's `goals` in force laid over its rules (graded plans).
pub fn judge_agent(
    sums: &KpiSums,
    policy: AppliedPolicy,
    goals: &[&AgentGoal],
    team_id: Option<String>,
    period: Period,
    data_updated_us: Option<i64>,
) -> Scorecard {
    let values = compute_all(sums);
    let (verdict, goals) = if goals.is_empty() {
        (evaluate(&policy.rules, &values), Vec::new())
    } else {
        let (rules, applied) = apply_goals(&policy.rules, goals);
        (evaluate(&rules, &values), applied)
    };
    Scorecard {
        period,
        values,
        verdict,
        policy,
        team_id,
        data_updated_us,
        computed_at: Utc::now(),
        goals,
        as_of: None,
        forecasts: Vec::new(),
    }
}
