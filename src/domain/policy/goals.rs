//! Agent goals: effective-dated overrides of one rule's target, warning
//! band or floor for one agent, on top of the policy of the agent's team or
//! organisation (spec: "Graded plans"). A goal is insert-only like a
//! policy version; the goal in force for an (agent, KPI) on a day is the
//! latest one effective on or before it (the later stored on a tie).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{Floors, KpiRule, PolicyRules, Scoring, Target};
use crate::domain::kpi::KpiId;

/// What a goal overrides; every field absent means "no override from this
/// day" (the policy's rule applies again).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GoalOverrides {
    pub target: Option<Target>,
    pub warning_band: Option<f64>,
    /// Setting a floor scores the KPI `LINEAR` for this agent.
    pub floors: Option<Floors>,
}

impl GoalOverrides {
    pub fn is_empty(&self) -> bool {
        self.target.is_none() && self.warning_band.is_none() && self.floors.is_none()
    }

    /// The names of the overridden fields, as the API spells them.
    pub fn field_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.target.is_some() {
            names.push("target");
        }
        if self.warning_band.is_some() {
            names.push("warning_band");
        }
        if self.floors.is_some() {
            names.push("floor");
        }
        names
    }
}

/// A goal to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgentGoal {
    pub agent_id: String,
    pub kpi: KpiId,
    pub effective_from: NaiveDate,
    pub overrides: GoalOverrides,
    pub created_by: String,
}

/// A stored goal; its id is its version (increasing with every goal).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentGoal {
    pub id: i64,
    pub agent_id: String,
    pub kpi: KpiId,
    pub effective_from: NaiveDate,
    pub overrides: GoalOverrides,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A goal that changed a scorecard's rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedGoal {
    pub goal_id: i64,
    pub kpi: KpiId,
    pub effective_from: NaiveDate,
    /// `target`, `warning_band`, `floor`.
    pub overridden: Vec<&'static str>,
}

/// The goals in force on `day`, one per KPI, from all of an agent's goals.
pub fn goals_in_force(goals: &[AgentGoal], day: NaiveDate) -> Vec<&AgentGoal> {
    let mut latest: BTreeMap<KpiId, &AgentGoal> = BTreeMap::new();
    for goal in goals.iter().filter(|goal| goal.effective_from <= day) {
        let newer = latest
            .get(&goal.kpi)
            .is_none_or(|held| (goal.effective_from, goal.id) > (held.effective_from, held.id));
        if newer {
            latest.insert(goal.kpi, goal);
        }
    }
    latest.into_values().collect()
}

/// `policy` with `goals` (those in force) laid over its rules, and the
/// goals that changed something. A goal for a KPI the policy has no rule
/// for, or one that overrides nothing, changes nothing.
pub fn apply_goals(policy: &PolicyRules, goals: &[&AgentGoal]) -> (PolicyRules, Vec<AppliedGoal>) {
    let mut rules = policy.clone();
    let mut applied = Vec::new();
    for goal in goals {
        let Some(rule) = rules.rules.get_mut(&goal.kpi) else {
            continue;
        };
        if goal.overrides.is_empty() {
            continue;
        }
        override_rule(rule, &goal.overrides);
        applied.push(AppliedGoal {
            goal_id: goal.id,
            kpi: goal.kpi,
            effective_from: goal.effective_from,
            overridden: goal.overrides.field_names(),
        });
    }
    (rules, applied)
}

fn override_rule(rule: &mut KpiRule, overrides: &GoalOverrides) {
    if let Some(target) = overrides.target {
        rule.target = Some(target);
    }
    if let Some(band) = overrides.warning_band {
        rule.warning_band = Some(band);
    }
    if let Some(floors) = overrides.floors {
        rule.scoring = Scoring::Linear(floors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(id: i64, kpi: KpiId, from: &str, overrides: GoalOverrides) -> AgentGoal {
        AgentGoal {
            id,
            agent_id: "a1".into(),
            kpi,
            effective_from: from.parse().unwrap(),
            overrides,
            created_at: DateTime::UNIX_EPOCH,
            created_by: String::new(),
        }
    }

    fn target(bound: f64) -> GoalOverrides {
        GoalOverrides {
            target: Some(Target::AtLeast(bound)),
            ..GoalOverrides::default()
        }
    }

    #[test]
    fn the_latest_goal_effective_on_the_day_is_in_force() {
        let goals = [
            goal(1, KpiId::Csat, "2026-10-01", target(70.0)),
            goal(2, KpiId::Csat, "2026-11-01", target(75.0)),
            goal(3, KpiId::Csat, "2026-12-01", target(80.0)),
            goal(4, KpiId::FcrRate, "2026-11-01", target(60.0)),
            goal(5, KpiId::FcrRate, "2026-11-01", target(65.0)),
        ];
        let day = "2026-11-15".parse().unwrap();
        let ids: Vec<i64> = goals_in_force(&goals, day).iter().map(|g| g.id).collect();
        // fcr_rate: ids 4 and 5 tie on the date; the later stored wins.
        assert_eq!(ids, vec![5, 2]);
    }

    #[test]
    fn goals_override_only_the_rules_the_policy_has_and_are_named() {
        let mut policy = PolicyRules::catalogue_defaults();
        policy.rules.remove(&KpiId::Nps);
        let csat = goal(7, KpiId::Csat, "2026-11-01", target(70.0));
        let nps = goal(8, KpiId::Nps, "2026-11-01", target(10.0));
        let cleared = goal(9, KpiId::FcrRate, "2026-11-01", GoalOverrides::default());
        let (rules, applied) = apply_goals(&policy, &[&csat, &nps, &cleared]);
        assert_eq!(
            rules.rules[&KpiId::Csat].target,
            Some(Target::AtLeast(70.0))
        );
        assert_eq!(
            rules.rules[&KpiId::Csat].weight,
            policy.rules[&KpiId::Csat].weight
        );
        assert!(!rules.rules.contains_key(&KpiId::Nps));
        assert_eq!(rules.rules[&KpiId::FcrRate], policy.rules[&KpiId::FcrRate]);
        assert_eq!(applied.len(), 1);
        assert_eq!(
            (applied[0].goal_id, applied[0].overridden.clone()),
            (7, vec!["target"])
        );
    }
}
