//! Which record kinds feed which KPIs: a read that computes only some KPIs
//! from raw rows (an intraday trend) reads only the tables behind them.
//! Every other sum a skipped table would add belongs to KPIs not asked for.

use super::KpiId;

/// The record kinds a set of KPIs is computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordSources {
    pub interactions: bool,
    /// Survey responses, linked and unlinked.
    pub surveys: bool,
    pub qa_evaluations: bool,
    pub compliance_checks: bool,
    pub violations: bool,
    pub training: bool,
    pub agent_time: bool,
}

impl RecordSources {
    /// Every kind (scorecards, rollups and their oracle).
    pub const ALL: RecordSources = RecordSources {
        interactions: true,
        surveys: true,
        qa_evaluations: true,
        compliance_checks: true,
        violations: true,
        training: true,
        agent_time: true,
    };

    /// The same kinds in three disjoint parts (interactions; survey
    /// responses; everything else), for reads that run side by side. Only
    /// the interactions part adds contacts, so worked days closed in each
    /// part add up to those of the whole.
    pub fn parts(self) -> [RecordSources; 3] {
        let none = RecordSources::default();
        [
            RecordSources {
                interactions: self.interactions,
                ..none
            },
            RecordSources {
                surveys: self.surveys,
                ..none
            },
            RecordSources {
                interactions: false,
                surveys: false,
                ..self
            },
        ]
    }

    /// The kinds behind `kpis` (see the catalogue's formulas).
    pub fn of(kpis: &[KpiId]) -> Self {
        let mut sources = RecordSources::default();
        for kpi in kpis {
            match kpi {
                KpiId::ContactsHandled
                | KpiId::ContactsPerDay
                | KpiId::Aht
                | KpiId::AvgResponseTime
                | KpiId::AvgResolutionTime
                | KpiId::FcrRate
                | KpiId::ResolutionRate
                | KpiId::EscalationRate
                | KpiId::TransferRate
                | KpiId::SoloResolutionRate
                | KpiId::OverdueRate
                | KpiId::ErrorRate
                | KpiId::ComplaintRate => sources.interactions = true,
                KpiId::Csat | KpiId::Nps | KpiId::Ces => sources.surveys = true,
                KpiId::QaScore | KpiId::CallRating => sources.qa_evaluations = true,
                KpiId::ProcessCompliance | KpiId::PrivacyCompliance => {
                    sources.compliance_checks = true
                }
                KpiId::Violations => sources.violations = true,
                KpiId::TrainingCompletion => sources.training = true,
                KpiId::Occupancy | KpiId::Utilization => sources.agent_time = true,
            }
        }
        sources
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kpi::{compute, KpiSums};

    /// Each kind's sums, set on their own, move only the KPIs that `of`
    /// says read that kind.
    #[test]
    fn a_kpi_reads_only_the_kinds_it_names() {
        /// A kind's name, sums set by it alone, and whether sources read it.
        type Kind = (&'static str, KpiSums, fn(RecordSources) -> bool);
        let kinds: [Kind; 7] = [
            (
                "interactions",
                KpiSums {
                    contacts: 3,
                    worked_days: 1,
                    handle_seconds: 900,
                    responses_timed: 3,
                    response_micros: 9_000_000,
                    resolutions_timed: 2,
                    resolution_micros: 8_000_000,
                    first_contact_resolved: 2,
                    resolved: 2,
                    escalated: 1,
                    transferred: 1,
                    solo_resolved: 1,
                    with_sla: 3,
                    overdue: 1,
                    agent_errors: 1,
                    complaints: 1,
                    ..KpiSums::default()
                },
                |sources| sources.interactions,
            ),
            (
                "surveys",
                KpiSums {
                    csat_responses: 2,
                    csat_satisfied: 1,
                    nps_responses: 2,
                    nps_promoters: 1,
                    ces_responses: 2,
                    ces_easy: 1,
                    ..KpiSums::default()
                },
                |sources| sources.surveys,
            ),
            (
                "QA evaluations",
                KpiSums {
                    qa_evaluations: 1,
                    qa_score: 8.0,
                    qa_max_score: 10.0,
                    criterion_ratings: 3,
                    criterion_rating_total: 12,
                    ..KpiSums::default()
                },
                |sources| sources.qa_evaluations,
            ),
            (
                "compliance checks",
                KpiSums {
                    process_checks: 2,
                    process_passed: 1,
                    privacy_checks: 2,
                    privacy_passed: 1,
                    ..KpiSums::default()
                },
                |sources| sources.compliance_checks,
            ),
            (
                "violations",
                KpiSums {
                    violations: 2,
                    ..KpiSums::default()
                },
                |sources| sources.violations,
            ),
            (
                "training",
                KpiSums {
                    training_due: 2,
                    training_on_time: 1,
                    ..KpiSums::default()
                },
                |sources| sources.training,
            ),
            (
                "agent time",
                KpiSums {
                    agent_time_records: 1,
                    handling_seconds: 100,
                    logged_in_seconds: 200,
                    scheduled_seconds: 300,
                    ..KpiSums::default()
                },
                |sources| sources.agent_time,
            ),
        ];
        for kpi in KpiId::ALL {
            let sources = RecordSources::of(&[kpi]);
            let mut read = 0;
            for (kind, sums, reads) in &kinds {
                let moved = compute(kpi, sums) != compute(kpi, &KpiSums::default());
                assert_eq!(moved, reads(sources), "{kpi} and {kind}");
                read += usize::from(reads(sources));
            }
            assert_eq!(read, 1, "{kpi} reads one kind");
        }
        assert_eq!(RecordSources::of(&KpiId::ALL), RecordSources::ALL);
    }

    #[test]
    fn the_parts_are_disjoint_and_add_up_to_the_whole() {
        let whole = RecordSources::of(&[KpiId::Aht, KpiId::Csat, KpiId::Occupancy]);
        let [interactions, surveys, others] = whole.parts();
        assert!(interactions.interactions && !interactions.surveys && !interactions.agent_time);
        assert!(surveys.surveys && !surveys.interactions && !surveys.agent_time);
        assert!(others.agent_time && !others.interactions && !others.surveys);
        assert!(!others.qa_evaluations && !others.training);
    }
}
