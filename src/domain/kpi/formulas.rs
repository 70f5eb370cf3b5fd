//! The 24 formulas, each as numerator and denominator over [`KpiSums`], so
//! every value comes with what a client needs to re-aggregate it exactly.

use super::{catalogue::KpiId, sums::KpiSums};

/// One KPI's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KpiValue {
    pub kpi: KpiId,
    /// `numerator * scale / denominator`; `None` when the denominator is 0
    /// (no data is not zero). Count KPIs always have a value.
    pub value: Option<f64>,
    pub numerator: f64,
    pub denominator: f64,
    /// Observations behind the value (for count KPIs, the count).
    pub sample_size: u64,
}

const MICROS_PER_SECOND: f64 = 1_000_000.0;

/// Numerator and denominator (as counts) of each KPI.
fn fraction(kpi: KpiId, sums: &KpiSums) -> (f64, u64) {
    let contacts = sums.contacts;
    match kpi {
        KpiId::ContactsHandled => (contacts as f64, 1),
        KpiId::ContactsPerDay => (contacts as f64, sums.worked_days),
        KpiId::Aht => (sums.handle_seconds as f64, contacts),
        KpiId::AvgResponseTime => (
            sums.response_micros as f64 / MICROS_PER_SECOND,
            sums.responses_timed,
        ),
        KpiId::AvgResolutionTime => (
            sums.resolution_micros as f64 / MICROS_PER_SECOND,
            sums.resolutions_timed,
        ),
        KpiId::FcrRate => (sums.first_contact_resolved as f64, contacts),
        KpiId::ResolutionRate => (sums.resolved as f64, contacts),
        KpiId::EscalationRate => (sums.escalated as f64, contacts),
        KpiId::TransferRate => (sums.transferred as f64, contacts),
        KpiId::SoloResolutionRate => (sums.solo_resolved as f64, contacts),
        KpiId::OverdueRate => (sums.overdue as f64, sums.with_sla),
        KpiId::ErrorRate => (sums.agent_errors as f64, contacts),
        KpiId::ComplaintRate => (sums.complaints as f64, contacts),
        KpiId::CallRating => (sums.criterion_rating_total as f64, sums.criterion_ratings),
        KpiId::Csat => (sums.csat_satisfied as f64, sums.csat_responses),
        KpiId::Nps => (
            sums.nps_promoters as f64 - sums.nps_detractors as f64,
            sums.nps_responses,
        ),
        KpiId::Ces => (sums.ces_easy as f64, sums.ces_responses),
        KpiId::ProcessCompliance => (sums.process_passed as f64, sums.process_checks),
        KpiId::PrivacyCompliance => (sums.privacy_passed as f64, sums.privacy_checks),
        KpiId::Violations => (sums.violations as f64, 1),
        KpiId::TrainingCompletion => (sums.training_on_time as f64, sums.training_due),
        // QA and the workforce ratios divide totals, not counts; handled below.
        KpiId::QaScore | KpiId::Occupancy | KpiId::Utilization => (0.0, 0),
    }
}

/// Computes one KPI.
pub fn compute(kpi: KpiId, sums: &KpiSums) -> KpiValue {
    let scale = kpi.definition().scale;
    let (numerator, denominator, sample_size) = match kpi {
        KpiId::QaScore => (sums.qa_score, sums.qa_max_score, sums.qa_evaluations),
        KpiId::Occupancy => (
            sums.handling_seconds as f64,
            sums.logged_in_seconds as f64,
            sums.agent_time_records,
        ),
        KpiId::Utilization => (
            sums.logged_in_seconds as f64,
            sums.scheduled_seconds as f64,
            sums.agent_time_records,
        ),
        _ if kpi.is_count() => {
            let (count, _) = fraction(kpi, sums);
            (count, 1.0, count as u64)
        }
        _ => {
            let (numerator, denominator) = fraction(kpi, sums);
            (numerator, denominator as f64, denominator)
        }
    };
    // Multiply before dividing: 29 * 100 / 50 is exactly 58, while
    // 29 / 50 * 100 is 57.99999999999999 and would breach a target of 58.
    let value = (denominator != 0.0).then(|| numerator * scale / denominator);
    KpiValue {
        kpi,
        value,
        numerator,
        denominator,
        sample_size,
    }
}

/// Computes every KPI, in catalogue order.
pub fn compute_all(sums: &KpiSums) -> Vec<KpiValue> {
    KpiId::ALL
        .into_iter()
        .map(|kpi| compute(kpi, sums))
        .collect()
}

#[cfg(test)]
#[path = "formulas_tests.rs"]
mod tests;
