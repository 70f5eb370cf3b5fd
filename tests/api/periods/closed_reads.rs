//! Lists, breaches and team scorecards of a closed month page its snapshot
//! (the current version, or the one asked for).

use kpi_service::grpc::pb;

use super::october_restated_after_late_data;
use crate::{
    on_both_backends,
    support::{app::Backend, periods::month, scorecards::kpi},
};

on_both_backends!(
    breaches_of_a_closed_month_come_from_the_snapshot_version_asked,
    breaches_of_a_restated_month_come_from_its_current_version,
    a_closed_months_listing_pages_the_snapshot,
    a_closed_months_team_scorecard_is_read_from_the_snapshot,
);

fn octobers_breaches(snapshot_version: i32) -> pb::ListThresholdBreachesRequest {
    pb::ListThresholdBreachesRequest {
        period: Some(month("2026-10")),
        snapshot_version,
        ..Default::default()
    }
}

async fn breaches_of_a_closed_month_come_from_the_snapshot_version_asked(backend: Backend) {
    let app = october_restated_after_late_data(backend).await;

    let breaches = app
        .scorecards()
        .list_threshold_breaches(octobers_breaches(1))
        .await
        .unwrap()
        .into_inner();

    assert!(breaches.breaches.is_empty(), "nobody breached at the close");
}

async fn breaches_of_a_restated_month_come_from_its_current_version(backend: Backend) {
    let app = october_restated_after_late_data(backend).await;

    let breaches = app
        .scorecards()
        .list_threshold_breaches(octobers_breaches(0))
        .await
        .unwrap()
        .into_inner();

    // Version 2: ana's CSAT is 1 of 2.
    let breached: Vec<(&str, &str)> = breaches
        .breaches
        .iter()
        .map(|b| {
            (
                b.agent_id.as_str(),
                b.result.as_ref().unwrap().kpi_id.as_str(),
            )
        })
        .collect();
    assert_eq!(breached, vec![("ana", "csat")]);
}

async fn a_closed_months_listing_pages_the_snapshot(backend: Backend) {
    let app = october_restated_after_late_data(backend).await;

    let listed = app
        .scorecards()
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: Some(month("2026-10")),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(listed.scorecards.len(), 1);
    assert_eq!(listed.scorecards[0].agent_id, "ana");
    assert!(!listed.next_page_token.is_empty());
}

async fn a_closed_months_team_scorecard_is_read_from_the_snapshot(backend: Backend) {
    let app = october_restated_after_late_data(backend).await;

    let team = app
        .scorecards()
        .get_team_scorecard(pb::GetTeamScorecardRequest {
            team_id: "red".into(),
            period: Some(month("2026-10")),
            snapshot_version: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    let team_card = team.scorecard.unwrap();
    assert_eq!(team_card.snapshot.as_ref().unwrap().version, 1);
    // At the close: 3 CSAT responses, all satisfied.
    assert_eq!(
        (
            kpi(&team_card, "csat").numerator,
            kpi(&team_card, "csat").denominator
        ),
        (3.0, 3.0)
    );
}
