//! A scorecard: every KPI of one agent or team in one period, computed
//! from additive sums and judged by the policy in force (spec: "Scorecard
//! and bonus semantics"). Pure; the use cases read the sums and the policy.

use chrono::{DateTime, Utc};

use super::{
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
    }
}
