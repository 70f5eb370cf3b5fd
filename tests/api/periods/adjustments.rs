//! Late data for a closed month is stored and reported as adjustments,
//! while reads of the month keep answering from the snapshot.

use kpi_service::grpc::pb::KpiStatus::Breached;
use prost::Message;

use super::{
    october_closed, october_restated_after_late_data, octobers_adjustments, octobers_scorecard,
    send_late_october_data,
};
use crate::{
    on_both_backends,
    support::{app::Backend, scorecards::kpi},
};

on_both_backends!(
    late_data_leaves_the_closed_months_read_unchanged_byte_for_byte,
    the_live_read_of_a_closed_month_has_the_late_data,
    adjustments_count_every_record_changed_since_the_snapshot,
    adjustments_list_each_agent_and_kpi_that_changed,
    adjustments_say_whose_bonus_eligibility_flips,
    a_restatement_takes_the_late_data_in_and_leaves_nothing_to_adjust,
);

async fn late_data_leaves_the_closed_months_read_unchanged_byte_for_byte(backend: Backend) {
    let app = october_closed(backend).await;
    let at_close = octobers_scorecard(&app, "ana", false, 0).await;

    send_late_october_data(&app).await;

    let after = octobers_scorecard(&app, "ana", false, 0).await;
    assert_eq!(after.encode_to_vec(), at_close.encode_to_vec());
}

async fn the_live_read_of_a_closed_month_has_the_late_data(backend: Backend) {
    let app = october_closed(backend).await;

    send_late_october_data(&app).await;

    // c1 (CSAT 5) and c4 (CSAT 1); c2 is void: 1 of 2 = 50 %, breached.
    let live = octobers_scorecard(&app, "ana", true, 0).await;
    let live_card = live.scorecard.as_ref().unwrap();
    assert!(live_card.snapshot.is_none());
    assert_eq!(kpi(live_card, "csat").value, Some(50.0));
    assert_eq!(kpi(live_card, "csat").status, Breached as i32);
    assert!(!live_card.bonus_eligible);
}

async fn adjustments_count_every_record_changed_since_the_snapshot(backend: Backend) {
    let app = october_closed(backend).await;

    send_late_october_data(&app).await;

    let adjustments = octobers_adjustments(&app).await;
    assert_eq!(adjustments.snapshot_version, 1);
    // c4, s4, the corrected c3 and the voided c2.
    assert_eq!(adjustments.records_changed_since_snapshot, 4);
}

async fn adjustments_list_each_agent_and_kpi_that_changed(backend: Backend) {
    let app = october_closed(backend).await;

    send_late_october_data(&app).await;

    let adjustments = octobers_adjustments(&app).await;
    let agents: Vec<&str> = adjustments
        .agents
        .iter()
        .map(|agent| agent.agent_id.as_str())
        .collect();
    assert_eq!(agents, vec!["ana", "ben"]);
    let ana = &adjustments.agents[0];
    let changed: Vec<&str> = ana.kpis.iter().map(|k| k.kpi_id.as_str()).collect();
    // Same contacts (2) and per-call figures; the worked days (1 -> 2) and
    // CSAT (2/2 -> 1/2) changed.
    assert_eq!(changed, vec!["contacts_per_day", "csat"]);
    let csat = ana.kpis.iter().find(|k| k.kpi_id == "csat").unwrap();
    assert_eq!(csat.difference, Some(-50.0));
    // Ben's handle time: 300 s -> 900 s.
    let ben = &adjustments.agents[1];
    let aht = ben.kpis.iter().find(|k| k.kpi_id == "aht").unwrap();
    assert_eq!(aht.difference, Some(600.0));
}

async fn adjustments_say_whose_bonus_eligibility_flips(backend: Backend) {
    let app = october_closed(backend).await;

    send_late_october_data(&app).await;

    let adjustments = octobers_adjustments(&app).await;
    let ana = &adjustments.agents[0];
    assert!(ana.bonus_eligibility_flips);
    assert!(ana.snapshot_bonus_eligible && !ana.live_bonus_eligible);
    // A policy without bonus tiers: no tier on either side, none changes.
    assert_eq!(
        (&ana.snapshot_bonus_tier, &ana.live_bonus_tier),
        (&None, &None)
    );
    assert!(!ana.bonus_tier_changes);
    assert_eq!(ana.payout_percent_change, 0.0);
    // Ben's CSAT (the only judged KPI) did not move.
    let ben = &adjustments.agents[1];
    assert!(!ben.bonus_eligibility_flips);
}

async fn a_restatement_takes_the_late_data_in_and_leaves_nothing_to_adjust(backend: Backend) {
    let app = october_restated_after_late_data(backend).await;

    let adjustments = octobers_adjustments(&app).await;

    assert_eq!(adjustments.snapshot_version, 2);
    assert!(adjustments.agents.is_empty());
    assert_eq!(adjustments.records_changed_since_snapshot, 0);
}
