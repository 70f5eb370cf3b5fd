//! Target policies and how a KPI value is judged: status, margin to target,
//! the composite score and bonus eligibility (spec: "Scorecard and bonus
//! semantics"), by concern:
//!
//! - `judging`: a target, a KPI's rule, and one value's assessment;
//! - `rules`: a policy's content and the catalogue's defaults;
//! - `validation`: a policy as a caller sent it, checked field by field;
//! - `verdict`: the composite score and bonus eligibility of a scorecard;
//! - `versions`: stored versions, effective from a day.

mod judging;
mod rules;
mod validation;
mod verdict;
mod versions;

#[cfg(test)]
mod fixtures;

pub use judging::{assess, Assessment, KpiRule, KpiStatus, Target};
pub use rules::{PolicyRules, DEFAULT_BONUS_THRESHOLD};
pub use validation::{validate_policy, RuleInput};
pub use verdict::{evaluate, Verdict};
pub use versions::{NewPolicyVersion, PolicyVersion};
