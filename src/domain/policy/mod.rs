//! Target policies and how a KPI value is judged: status, margin to target,
//! the composite score and bonus eligibility (spec: "Scorecard and bonus
//! semantics"), by concern:
//!
//! - `judging`: a target, a KPI's rule, and one value's assessment;
//! - `rules`: a policy's content and the catalogue's defaults;
//! - `validation`: a policy as a caller sent it, checked field by field;
//! - `verdict`: the composite score and bonus eligibility of a scorecard;
//! - `versions`: stored versions, effective from a day;
//! - graded plans: `scoring` (a judged KPI's credit), `bonus_tiers`,
//!   `goals` (per-agent overrides), `graded_validation` and
//!   `goal_validation` (their checks).

mod bonus_tiers;
mod goal_validation;
mod goals;
mod graded_validation;
mod judging;
mod rules;
mod scoring;
mod validation;
mod verdict;
mod versions;

#[cfg(test)]
mod fixtures;

pub use bonus_tiers::{
    payout_change, tier_reached, BonusTier, MAX_BONUS_TIERS, MAX_PAYOUT_PERCENT,
};
pub use goal_validation::{validate_goal, GoalInput};
pub use goals::{apply_goals, goals_in_force, AgentGoal, AppliedGoal, GoalOverrides, NewAgentGoal};
pub use graded_validation::{
    validate_graded_plan, BonusTierInput, GradedPlan, ScoringInput, ScoringKind,
};
pub use judging::{assess, Assessment, KpiRule, KpiStatus, Target};
pub use rules::{PolicyRules, DEFAULT_BONUS_THRESHOLD};
pub use scoring::{credit, CreditTier, CreditTiers, Floors, Scoring, MAX_CREDIT_TIERS};
pub use validation::{validate_policy, RuleInput};
pub use verdict::{evaluate, Grade, Verdict};
pub use versions::{NewPolicyVersion, PolicyVersion};
