//! The adjustment report names bonus-tier changes: the tier each side
//! reached and how many percentage points the payout moved, between the
//! snapshot and today and between two snapshot versions.
//!
//! November under the graded policy with bronze 50 (50 %), silver 65
//! (100 %) and gold 80 (150 %), closed with ana at 67 (silver), bo at 48
//! (no tier) and cy at 67 with a breached gate (no tier). Then, late:
//! - four CSAT 5s for ana: 7 satisfied of 8 = 87.5 % >= 85, credit 1, so
//!   2x1 + 0.6 (aht 330) + 0.75 (occupancy 70) + 1 (fcr) = 4.35 / 5 = 87:
//!   gold, +50 points of payout, eligible on both sides;
//! - bo's work day corrected to 24,300 s handling of 27,000 = 90 %, inside
//!   75-90, credit 1, so 2x1 + 0 (aht 450) + 1 + 0 (fcr) = 3 / 5 = 60:
//!   bronze, +50 points, and the bonus eligibility flips.

use kpi_service::grpc::pb;

use super::{graded_november, graded_tiers};
use crate::{
    on_both_backends,
    periods::pay_periods::changed_records,
    support::{
        app::{Backend, TestApp},
        ingest::{ingest_agent_time, ingest_checks, ingest_surveys},
        periods::{close_month, periods, restate_month},
        records::{check, csat_scores, work_day},
    },
};

on_both_backends!(
    adjustments_name_the_tier_each_side_reached_and_the_payout_moved,
    two_versions_compare_their_tiers_and_a_later_gate_failure_drops_one,
);

const NOVEMBER: &str = "2026-11";

async fn closed_then_late_data(backend: Backend) -> TestApp {
    let app = graded_november(backend, graded_tiers()).await;
    close_month(&app, NOVEMBER).await;
    ingest_surveys(
        &app,
        csat_scores(
            "ana-late-csat",
            "ana",
            &[5, 5, 5, 5],
            "2026-11-20T10:00:00Z",
        ),
    )
    .await;
    ingest_agent_time(
        &app,
        vec![work_day(
            "bo-day",
            "bo",
            "2026-11-05",
            (28_800, 27_000, 24_300),
        )],
    )
    .await;
    app
}

async fn adjustments(
    app: &TestApp,
    snapshot_version: i32,
    compare_to_version: i32,
) -> pb::ListAdjustmentsResponse {
    periods(app)
        .list_adjustments(pb::ListAdjustmentsRequest {
            month: NOVEMBER.into(),
            snapshot_version,
            compare_to_version,
            include_records: true,
            ..Default::default()
        })
        .await
        .expect("ListAdjustments failed")
        .into_inner()
}

fn tier_name(tier: &Option<pb::BonusTier>) -> Option<&str> {
    tier.as_ref().map(|tier| tier.name.as_str())
}

/// (agent, snapshot tier, live tier, tier changes, payout change, flips).
type TierRow<'a> = (&'a str, Option<&'a str>, Option<&'a str>, bool, f64, bool);

fn tier_rows(report: &pb::ListAdjustmentsResponse) -> Vec<TierRow<'_>> {
    report
        .agents
        .iter()
        .map(|agent| {
            (
                agent.agent_id.as_str(),
                tier_name(&agent.snapshot_bonus_tier),
                tier_name(&agent.live_bonus_tier),
                agent.bonus_tier_changes,
                agent.payout_percent_change,
                agent.bonus_eligibility_flips,
            )
        })
        .collect()
}

async fn adjustments_name_the_tier_each_side_reached_and_the_payout_moved(backend: Backend) {
    let app = closed_then_late_data(backend).await;

    let report = adjustments(&app, 0, 0).await;

    // cy changed nothing and is left out.
    assert_eq!(
        tier_rows(&report),
        vec![
            ("ana", Some("silver"), Some("gold"), true, 50.0, false),
            ("bo", None, Some("bronze"), true, 50.0, true),
        ]
    );
    let ana = &report.agents[0];
    assert_eq!(
        ana.live_bonus_tier,
        Some(pb::BonusTier {
            minimum_composite: 80.0,
            name: "gold".into(),
            payout_percent: 150.0,
        })
    );
    assert_eq!(
        ana.snapshot_bonus_tier.as_ref().unwrap().payout_percent,
        100.0
    );
    let close = |value: Option<f64>, expected: f64| (value.unwrap() - expected).abs() < 1e-9;
    assert!(close(ana.snapshot_composite_score, 67.0));
    assert!(close(ana.live_composite_score, 87.0));
    let bo = &report.agents[1];
    assert!(close(bo.snapshot_composite_score, 48.0));
    assert!(close(bo.live_composite_score, 60.0));
    // bo's tier moved by a corrected record: its work day, listed as it
    // is now (the earlier revision is not kept; occupancy says what moved).
    assert_eq!(
        changed_records(bo),
        vec![("bo-day".to_owned(), pb::RecordChange::Corrected)]
    );
    let day = bo.records[0].record.as_ref().unwrap();
    assert_eq!(day.kind(), pb::RecordKind::AgentTime);
    let occupancy = bo.kpis.iter().find(|k| k.kpi_id == "occupancy").unwrap();
    // 25,920 -> 24,300 s of 27,000: 96 % -> 90 %.
    assert!((occupancy.difference.unwrap() - -6.0).abs() < 1e-9);
}

async fn two_versions_compare_their_tiers_and_a_later_gate_failure_drops_one(backend: Backend) {
    let app = closed_then_late_data(backend).await;
    restate_month(&app, NOVEMBER, "late CSAT and a corrected work day").await;
    // After version 2: a failed privacy check for ana, 1 of 2 passed,
    // breaches the gate: no tier, whatever her composite (87, weight 0).
    ingest_checks(
        &app,
        vec![check(
            "ana-privacy-late",
            "ana",
            pb::ComplianceKind::Privacy,
            false,
            "2026-11-21T08:00:00Z",
        )],
    )
    .await;

    // Version 1 against version 2: what the restatement paid extra.
    let v1_to_v2 = adjustments(&app, 1, 2).await;
    assert_eq!(
        tier_rows(&v1_to_v2),
        vec![
            ("ana", Some("silver"), Some("gold"), true, 50.0, false),
            ("bo", None, Some("bronze"), true, 50.0, true),
        ]
    );

    // Version 2 against today: ana loses gold (150 points), bo keeps
    // bronze and is left out.
    let since_v2 = adjustments(&app, 0, 0).await;
    assert_eq!(since_v2.snapshot_version, 2);
    assert_eq!(
        tier_rows(&since_v2),
        vec![("ana", Some("gold"), None, true, -150.0, true)]
    );

    // Version 1 against today: silver -> none for ana, none -> bronze for bo.
    let v1_to_today = adjustments(&app, 1, 0).await;
    assert_eq!(
        tier_rows(&v1_to_today),
        vec![
            ("ana", Some("silver"), None, true, -100.0, true),
            ("bo", None, Some("bronze"), true, 50.0, true),
        ]
    );
}
