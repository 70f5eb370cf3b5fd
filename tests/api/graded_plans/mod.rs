//! Graded plans (catalogue, "Graded plans"): partial credit per KPI, the
//! contributions that add up to the composite, bonus tiers, agent goals
//! and how closed months freeze them. Every expectation is computed by
//! hand from the catalogue; the arithmetic is in the comments.

mod adjustments;
mod bad_input;
mod bonus_tiers;
mod closed_months;
mod credits;
mod goals;

use kpi_service::grpc::pb;

use crate::support::{
    app::{Backend, TestApp},
    ingest::{ingest_agent_time, ingest_checks, ingest_interactions, ingest_surveys},
    policies::{at_least, at_most, between},
    records::{call, check, csat_scores, work_day},
};

/// LINEAR scoring with one floor.
pub fn linear(rule: pb::KpiRule, floor: f64) -> pb::KpiRule {
    pb::KpiRule {
        scoring: pb::KpiScoring::Linear as i32,
        floor: Some(floor),
        ..rule
    }
}

/// TIERS scoring with (threshold, credit) pairs.
pub fn tiers(rule: pb::KpiRule, pairs: &[(f64, f64)]) -> pb::KpiRule {
    pb::KpiRule {
        scoring: pb::KpiScoring::Tiers as i32,
        credit_tiers: pairs
            .iter()
            .map(|&(threshold, credit)| pb::CreditTier { threshold, credit })
            .collect(),
        ..rule
    }
}

pub fn bonus_tier(minimum_composite: f64, name: &str, payout_percent: f64) -> pb::BonusTier {
    pb::BonusTier {
        minimum_composite,
        name: name.into(),
        payout_percent,
    }
}

/// The graded organisation policy from 2026-11-01 (threshold 0):
/// - csat >= 85, LINEAR floor 65, weight 2;
/// - aht <= 300 s, TIERS 400 s -> 0.3, 350 s -> 0.6, 300 s -> 1, weight 1;
/// - occupancy 75-90 %, LINEAR floor_below 55, floor_above 100, weight 1;
/// - fcr_rate >= 80, BINARY, weight 1;
/// - privacy_compliance >= 100, weight 0, a gate.
///
/// The judged weight of an agent with data for all five is 2+1+1+1+0 = 5.
pub fn graded_rules() -> Vec<pb::KpiRule> {
    vec![
        pb::KpiRule {
            weight: 2.0,
            ..linear(at_least("csat", 85.0), 65.0)
        },
        tiers(
            at_most("aht", 300.0),
            &[(400.0, 0.3), (350.0, 0.6), (300.0, 1.0)],
        ),
        pb::KpiRule {
            scoring: pb::KpiScoring::Linear as i32,
            floor_below: Some(55.0),
            floor_above: Some(100.0),
            ..between("occupancy", 75.0, 90.0)
        },
        at_least("fcr_rate", 80.0),
        pb::KpiRule {
            weight: 0.0,
            gate: true,
            ..at_least("privacy_compliance", 100.0)
        },
    ]
}

/// Bronze from 50, silver from 65, gold from 80.
pub fn graded_tiers() -> Vec<pb::BonusTier> {
    vec![
        bonus_tier(50.0, "bronze", 50.0),
        bonus_tier(65.0, "silver", 100.0),
        bonus_tier(80.0, "gold", 150.0),
    ]
}

pub async fn create_graded_policy(app: &TestApp, tiers: Vec<pb::BonusTier>) -> pb::PolicyVersion {
    app.policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            request_id: String::new(),
            policy: Some(pb::PolicyVersion {
                effective_from: "2026-11-01".into(),
                rules: graded_rules(),
                bonus_threshold: 0.0,
                bonus_tiers: tiers,
                ..Default::default()
            }),
        })
        .await
        .expect("creating the graded policy failed")
        .into_inner()
        .policy
        .unwrap()
}

/// One agent's November: two calls of handle time `handle` s each
/// (first-contact resolved or not), CSAT responses `csat`, one day of
/// agent time handling `handling` of 27,000 logged-in seconds, and one
/// privacy check.
pub struct Month<'a> {
    pub handle: i64,
    pub first_contact_resolved: bool,
    pub csat: &'a [i32],
    pub handling: i64,
    pub privacy_passed: bool,
}

pub async fn seed_agent(app: &TestApp, agent_id: &str, month: Month<'_>) {
    let calls = ["2026-11-02T09:05:00Z", "2026-11-03T09:05:00Z"]
        .iter()
        .enumerate()
        .map(|(n, ended_at)| pb::Interaction {
            // call(): 20 s hold + 40 s wrap-up; the rest is talk.
            talk_seconds: month.handle - 60,
            first_contact_resolved: month.first_contact_resolved,
            ..call(&format!("{agent_id}-call-{n}"), agent_id, ended_at)
        })
        .collect();
    ingest_interactions(app, calls).await;
    ingest_surveys(
        app,
        csat_scores(
            &format!("{agent_id}-csat"),
            agent_id,
            month.csat,
            "2026-11-04T10:00:00Z",
        ),
    )
    .await;
    ingest_agent_time(
        app,
        vec![work_day(
            &format!("{agent_id}-day"),
            agent_id,
            "2026-11-05",
            (28_800, 27_000, month.handling),
        )],
    )
    .await;
    ingest_checks(
        app,
        vec![check(
            &format!("{agent_id}-privacy"),
            agent_id,
            pb::ComplianceKind::Privacy,
            month.privacy_passed,
            "2026-11-06T08:00:00Z",
        )],
    )
    .await;
}

/// ana: AHT 330 s, FCR 100 %, CSAT 3 of 4 = 75 %, occupancy
/// 18,900 / 27,000 = 70 %, privacy passed.
pub const ANA: Month<'static> = Month {
    handle: 330,
    first_contact_resolved: true,
    csat: &[5, 5, 4, 2],
    handling: 18_900,
    privacy_passed: true,
};

/// bo: AHT 450 s, FCR 0 %, CSAT 4 of 4 = 100 %, occupancy
/// 25,920 / 27,000 = 96 %, privacy passed.
pub const BO: Month<'static> = Month {
    handle: 450,
    first_contact_resolved: false,
    csat: &[5, 5, 5, 4],
    handling: 25_920,
    privacy_passed: true,
};

/// ana's numbers with the privacy gate failed.
pub const CY: Month<'static> = Month {
    privacy_passed: false,
    ..ANA
};

/// A graded policy (with `tiers`) and ana, bo and cy seeded.
pub async fn graded_november(backend: Backend, tiers: Vec<pb::BonusTier>) -> TestApp {
    let app = crate::support::app::spawn_app(backend).await;
    create_graded_policy(&app, tiers).await;
    seed_agent(&app, "ana", ANA).await;
    seed_agent(&app, "bo", BO).await;
    seed_agent(&app, "cy", CY).await;
    app
}
