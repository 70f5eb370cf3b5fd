//! Additive sums: every count and total the 24 formulas need. A team's sums
//! are the sum of its agents', a month's the sum of its days, so the storage
//! side can later read pre-aggregated per-agent-per-day rows instead of raw
//! records without touching any formula. Counts and microsecond totals are
//! integers, so sums are exact.

use std::{
    iter::Sum,
    ops::{Add, AddAssign},
};

use chrono::{DateTime, Utc};

use crate::domain::records::NewInteraction;
pub use crate::domain::records::{ComplianceKind, SurveyKind};

/// One survey answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurveyFacts {
    pub kind: SurveyKind,
    pub score: i32,
}

/// One QA evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QaFacts {
    pub score: f64,
    pub max_score: f64,
    pub criterion_rating_total: i64,
    pub criterion_rating_count: i64,
}

/// One compliance check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplianceFacts {
    pub kind: ComplianceKind,
    pub passed: bool,
}

/// One training assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingFacts {
    pub due_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// One interval of working time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentTimeFacts {
    pub scheduled_seconds: i64,
    pub logged_in_seconds: i64,
    pub handling_seconds: i64,
}

/// Every additive count and total behind the catalogue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpiSums {
    pub contacts: u64,
    /// Agent-days with at least one interaction (see [`KpiSums::close_day`]).
    pub worked_days: u64,
    pub handle_seconds: i64,
    pub responses_timed: u64,
    pub response_micros: i64,
    pub resolutions_timed: u64,
    pub resolution_micros: i64,
    pub first_contact_resolved: u64,
    pub resolved: u64,
    pub escalated: u64,
    pub transferred: u64,
    pub solo_resolved: u64,
    pub with_sla: u64,
    pub overdue: u64,
    pub agent_errors: u64,
    pub complaints: u64,
    pub qa_evaluations: u64,
    pub qa_score: f64,
    pub qa_max_score: f64,
    pub criterion_ratings: u64,
    pub criterion_rating_total: i64,
    pub csat_responses: u64,
    pub csat_satisfied: u64,
    pub nps_responses: u64,
    pub nps_promoters: u64,
    pub nps_detractors: u64,
    pub ces_responses: u64,
    pub ces_easy: u64,
    pub process_checks: u64,
    pub process_passed: u64,
    pub privacy_checks: u64,
    pub privacy_passed: u64,
    pub violations: u64,
    pub training_due: u64,
    pub training_on_time: u64,
    /// Agent-time records (shifts or intervals).
    pub agent_time_records: u64,
    pub handling_seconds: i64,
    pub logged_in_seconds: i64,
    pub scheduled_seconds: i64,
}

impl KpiSums {
    /// Adds one (non-void) interaction.
    pub fn add_interaction(&mut self, interaction: &NewInteraction) {
        self.contacts += 1;
        self.handle_seconds += interaction.talk_seconds
            + interaction.hold_seconds
            + interaction.after_contact_work_seconds;
        if let Some(first_response_at) = interaction.first_response_at {
            self.responses_timed += 1;
            self.response_micros += (first_response_at - interaction.queued_at)
                .num_microseconds()
                .unwrap_or(0);
        }
        if interaction.resolved {
            self.resolved += 1;
            if let Some(resolved_at) = interaction.resolved_at {
                self.resolutions_timed += 1;
                self.resolution_micros += (resolved_at - interaction.queued_at)
                    .num_microseconds()
                    .unwrap_or(0);
            }
            if !interaction.escalated && !interaction.transferred {
                self.solo_resolved += 1;
            }
        }
        self.first_contact_resolved += u64::from(interaction.first_contact_resolved);
        self.escalated += u64::from(interaction.escalated);
        self.transferred += u64::from(interaction.transferred);
        self.agent_errors += u64::from(interaction.agent_error);
        self.complaints += u64::from(interaction.complaint);
        if let Some(due) = interaction.sla_due_at {
            self.with_sla += 1;
            let answered_in_time = interaction
                .first_response_at
                .is_some_and(|first| first <= due);
            self.overdue += u64::from(!answered_in_time);
        }
    }

    pub fn add_survey(&mut self, survey: &SurveyFacts) {
        match survey.kind {
            SurveyKind::Csat => {
                self.csat_responses += 1;
                self.csat_satisfied += u64::from(survey.score >= 4);
            }
            SurveyKind::Nps => {
                self.nps_responses += 1;
                self.nps_promoters += u64::from(survey.score >= 9);
                self.nps_detractors += u64::from(survey.score <= 6);
            }
            SurveyKind::Ces => {
                self.ces_responses += 1;
                self.ces_easy += u64::from(survey.score >= 5);
            }
        }
    }

    pub fn add_qa(&mut self, evaluation: &QaFacts) {
        self.qa_evaluations += 1;
        self.qa_score += evaluation.score;
        self.qa_max_score += evaluation.max_score;
        self.criterion_ratings += evaluation.criterion_rating_count.max(0) as u64;
        self.criterion_rating_total += evaluation.criterion_rating_total;
    }

    pub fn add_compliance(&mut self, check: &ComplianceFacts) {
        match check.kind {
            ComplianceKind::Process => {
                self.process_checks += 1;
                self.process_passed += u64::from(check.passed);
            }
            ComplianceKind::Privacy => {
                self.privacy_checks += 1;
                self.privacy_passed += u64::from(check.passed);
            }
        }
    }

    pub fn add_violation(&mut self) {
        self.violations += 1;
    }

    pub fn add_training(&mut self, assignment: &TrainingFacts) {
        self.training_due += 1;
        let on_time = assignment
            .completed_at
            .is_some_and(|completed| completed <= assignment.due_at);
        self.training_on_time += u64::from(on_time);
    }

    pub fn add_agent_time(&mut self, time: &AgentTimeFacts) {
        self.agent_time_records += 1;
        self.scheduled_seconds += time.scheduled_seconds;
        self.logged_in_seconds += time.logged_in_seconds;
        self.handling_seconds += time.handling_seconds;
    }

    /// Marks these sums as one agent's one day: the day counts as a worked
    /// day when it has an interaction. Call once per (agent, day) before
    /// adding days together; summing closed days then pools agent-days.
    pub fn close_day(&mut self) {
        self.worked_days = u64::from(self.contacts > 0);
    }
}

impl AddAssign for KpiSums {
    fn add_assign(&mut self, other: Self) {
        self.contacts += other.contacts;
        self.worked_days += other.worked_days;
        self.handle_seconds += other.handle_seconds;
        self.responses_timed += other.responses_timed;
        self.response_micros += other.response_micros;
        self.resolutions_timed += other.resolutions_timed;
        self.resolution_micros += other.resolution_micros;
        self.first_contact_resolved += other.first_contact_resolved;
        self.resolved += other.resolved;
        self.escalated += other.escalated;
        self.transferred += other.transferred;
        self.solo_resolved += other.solo_resolved;
        self.with_sla += other.with_sla;
        self.overdue += other.overdue;
        self.agent_errors += other.agent_errors;
        self.complaints += other.complaints;
        self.qa_evaluations += other.qa_evaluations;
        self.qa_score += other.qa_score;
        self.qa_max_score += other.qa_max_score;
        self.criterion_ratings += other.criterion_ratings;
        self.criterion_rating_total += other.criterion_rating_total;
        self.csat_responses += other.csat_responses;
        self.csat_satisfied += other.csat_satisfied;
        self.nps_responses += other.nps_responses;
        self.nps_promoters += other.nps_promoters;
        self.nps_detractors += other.nps_detractors;
        self.ces_responses += other.ces_responses;
        self.ces_easy += other.ces_easy;
        self.process_checks += other.process_checks;
        self.process_passed += other.process_passed;
        self.privacy_checks += other.privacy_checks;
        self.privacy_passed += other.privacy_passed;
        self.violations += other.violations;
        self.training_due += other.training_due;
        self.training_on_time += other.training_on_time;
        self.agent_time_records += other.agent_time_records;
        self.handling_seconds += other.handling_seconds;
        self.logged_in_seconds += other.logged_in_seconds;
        self.scheduled_seconds += other.scheduled_seconds;
    }
}

impl Add for KpiSums {
    type Output = KpiSums;

    fn add(mut self, other: Self) -> Self {
        self += other;
        self
    }
}

impl Sum for KpiSums {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(KpiSums::default(), Add::add)
    }
}
