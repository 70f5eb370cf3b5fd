//! An agent scorecard: every KPI of the catalogue computed by hand from the
//! spec (`anas_november`), for a month of records that touches all 24, one
//! formula (or family of formulas) per test.

use kpi_service::grpc::pb;
use pb::KpiStatus::NoTarget;

use super::anas_november::{expected, expected_rows, ingest_anas_november};

use crate::{
    on_both_backends,
    support::{
        app::{at, spawn_app, Backend},
        periods::month,
        scorecards::{agent_scorecard, assert_close, assert_close_option, kpi, status_of},
    },
};

on_both_backends!(
    every_kpi_of_the_catalogue_is_reported_in_its_order,
    contacts_are_counted_and_divided_by_worked_days,
    handle_response_and_resolution_times_are_means_over_their_own_samples,
    resolution_rates_count_flagged_contacts_over_all_contacts,
    overdue_rate_counts_late_and_missing_first_responses_against_an_sla,
    error_and_complaint_rates_count_flagged_contacts,
    qa_score_pools_points_and_call_rating_pools_every_rating,
    csat_counts_scores_of_4_and_5_linked_or_not,
    nps_is_promoters_minus_detractors,
    ces_counts_easy_responses,
    compliance_rates_are_per_kind_of_check,
    violations_count_the_months_records_that_are_not_void,
    training_completion_counts_assignments_due_in_the_period_done_on_time,
    occupancy_and_utilization_pool_seconds_of_agent_time_records,
    without_a_policy_each_kpi_is_judged_by_its_catalogue_default,
    the_composite_counts_met_kpis_and_the_bonus_needs_the_threshold,
    the_scorecard_names_the_default_policy_and_its_period,
);

/// Ana's November scorecard, after [`ingest_anas_november`].
async fn anas_november(backend: Backend) -> pb::Scorecard {
    let app = spawn_app(backend).await;
    ingest_anas_november(&app).await;
    agent_scorecard(&app, "ana", month("2026-11")).await
}

/// Asserts value, numerator, denominator, sample size, status and margin
/// of each KPI against [`expected_rows`].
fn assert_as_computed_by_hand(scorecard: &pb::Scorecard, kpi_ids: &[&str]) {
    for kpi_id in kpi_ids {
        let (_, value, numerator, denominator, sample_size, status, margin) = expected(kpi_id);
        let result = kpi(scorecard, kpi_id);
        assert_close_option(result.value, value, &format!("{kpi_id} value"));
        assert_close(result.numerator, numerator, &format!("{kpi_id} numerator"));
        assert_close(
            result.denominator,
            denominator,
            &format!("{kpi_id} denominator"),
        );
        assert_eq!(result.sample_size, sample_size, "{kpi_id} sample_size");
        assert_eq!(status_of(result), status, "{kpi_id} status");
        assert_close_option(result.margin, margin, &format!("{kpi_id} margin"));
    }
}

async fn every_kpi_of_the_catalogue_is_reported_in_its_order(backend: Backend) {
    let scorecard = anas_november(backend).await;

    let ids: Vec<&str> = scorecard.kpis.iter().map(|r| r.kpi_id.as_str()).collect();
    let expected_ids: Vec<&str> = expected_rows().iter().map(|row| row.0).collect();
    assert_eq!(ids, expected_ids, "all 24 KPIs in catalogue order");
}

async fn contacts_are_counted_and_divided_by_worked_days(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["contacts_handled", "contacts_per_day"]);
}

async fn handle_response_and_resolution_times_are_means_over_their_own_samples(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(
        &scorecard,
        &["aht", "avg_response_time", "avg_resolution_time"],
    );
}

async fn resolution_rates_count_flagged_contacts_over_all_contacts(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(
        &scorecard,
        &[
            "fcr_rate",
            "resolution_rate",
            "escalation_rate",
            "transfer_rate",
            "solo_resolution_rate",
        ],
    );
}

async fn overdue_rate_counts_late_and_missing_first_responses_against_an_sla(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["overdue_rate"]);
}

async fn error_and_complaint_rates_count_flagged_contacts(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["error_rate", "complaint_rate"]);
}

async fn qa_score_pools_points_and_call_rating_pools_every_rating(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["qa_score", "call_rating"]);
}

async fn csat_counts_scores_of_4_and_5_linked_or_not(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["csat"]);
}

async fn nps_is_promoters_minus_detractors(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["nps"]);
}

async fn ces_counts_easy_responses(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["ces"]);
}

async fn compliance_rates_are_per_kind_of_check(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["process_compliance", "privacy_compliance"]);
}

async fn violations_count_the_months_records_that_are_not_void(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["violations"]);
}

async fn training_completion_counts_assignments_due_in_the_period_done_on_time(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["training_completion"]);
}

async fn occupancy_and_utilization_pool_seconds_of_agent_time_records(backend: Backend) {
    let scorecard = anas_november(backend).await;

    assert_as_computed_by_hand(&scorecard, &["occupancy", "utilization"]);
}

async fn without_a_policy_each_kpi_is_judged_by_its_catalogue_default(backend: Backend) {
    let scorecard = anas_november(backend).await;

    for (kpi_id, .., status, _) in expected_rows() {
        let rule = kpi(&scorecard, kpi_id).rule.clone().unwrap_or_default();
        if status == NoTarget {
            assert_eq!(rule.target, None, "{kpi_id} has no default target");
        } else {
            assert_eq!(rule.weight, 1.0, "{kpi_id} default weight");
            assert_eq!(rule.min_sample_size, 1, "{kpi_id} default sample");
            assert_eq!(rule.warning_band, None, "{kpi_id} has no default band");
            assert_eq!(
                rule.gate,
                kpi_id == "privacy_compliance",
                "{kpi_id} default gate"
            );
        }
    }
    // Spot-check the default targets the margins were computed from.
    let bound = |kpi_id: &str| kpi(&scorecard, kpi_id).rule.clone().unwrap().target;
    let target = |bound| Some(pb::Target { bound: Some(bound) });
    use pb::target::Bound::{AtLeast, AtMost};
    assert_eq!(bound("contacts_per_day"), target(AtLeast(50.0)));
    assert_eq!(bound("aht"), target(AtMost(300.0)));
    assert_eq!(bound("call_rating"), target(AtLeast(4.5)));
    assert_eq!(bound("violations"), target(AtMost(1.0)));
    assert_eq!(bound("occupancy"), target(AtMost(90.0)));
}

async fn the_composite_counts_met_kpis_and_the_bonus_needs_the_threshold(backend: Backend) {
    let scorecard = anas_november(backend).await;

    // MET: qa_score, privacy_compliance, occupancy = 3 of 15 judged -> 20.
    assert_close_option(scorecard.composite_score, Some(20.0), "composite_score");
    assert!(!scorecard.bonus_eligible, "20 is below the threshold of 80");
    assert!(!scorecard.ineligibility_reasons.is_empty());
    assert_eq!(scorecard.bonus_threshold, 80.0);
}

async fn the_scorecard_names_the_default_policy_and_its_period(backend: Backend) {
    let scorecard = anas_november(backend).await;

    let policy = scorecard.policy.clone().unwrap();
    assert_eq!(
        (
            policy.policy_version_id,
            policy.team_id.as_str(),
            policy.effective_from.as_str()
        ),
        (0, "", "")
    );
    let period = scorecard.period.clone().unwrap();
    assert_eq!(period.start_time, Some(at("2026-11-01T00:00:00Z")));
    assert_eq!(period.end_time, Some(at("2026-12-01T00:00:00Z")));
    assert_eq!(period.time_zone, "UTC");
    assert!(scorecard.data_updated_time.is_some());
    assert!(scorecard.compute_time.is_some());
}
