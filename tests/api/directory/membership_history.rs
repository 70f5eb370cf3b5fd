//! An agent who changes team in the middle of a month: each record counts
//! for the team of its own day.

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        directory::{add_team, move_agent, put_agent},
        ingest::{ingest_interactions, ingest_violations},
        periods::month,
        records::{call, violation_at},
        rollups::assert_rollups_verify,
        scorecards::{agent_scorecard, kpi, team_scorecard},
    },
};

use super::{interaction_teams, named, teams};

on_both_backends!(
    records_count_for_the_team_of_their_own_day,
    a_team_scorecard_pools_the_records_of_its_days,
    both_teams_list_an_agent_who_moved_during_the_month,
    an_agents_own_month_counts_the_records_of_both_teams,
    a_correction_is_attributed_by_its_new_time,
);

/// Cai is red, then blue from 2026-10-16 (set before any record is
/// stored); dee is blue. Cai's calls on Oct 5, Oct 15 at 23:59, Oct 16 at
/// 00:10, Oct 20, and Oct 25 (the sender named red); dee's on Oct 6. Cai's
/// violations on Oct 10, 18 and 19.
async fn cai_moves_to_blue_on_october_16th(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    put_agent(&app, "cai", "red").await;
    put_agent(&app, "dee", "blue").await;
    move_agent(&app, "cai", "blue", "2026-10-16").await;
    ingest_interactions(
        &app,
        vec![
            call("c-1", "cai", "2026-10-05T10:00:00Z"),
            call("c-2", "cai", "2026-10-15T23:59:00Z"),
            call("c-3", "cai", "2026-10-16T00:10:00Z"),
            call("c-4", "cai", "2026-10-20T10:00:00Z"),
            named(call("c-5", "cai", "2026-10-25T10:00:00Z"), "red"),
            call("d-1", "dee", "2026-10-06T10:00:00Z"),
        ],
    )
    .await;
    ingest_violations(
        &app,
        vec![
            violation_at("v-1", "cai", "2026-10-10T08:00:00Z"),
            violation_at("v-2", "cai", "2026-10-18T08:00:00Z"),
            violation_at("v-3", "cai", "2026-10-19T08:00:00Z"),
        ],
    )
    .await;
    app
}

async fn records_count_for_the_team_of_their_own_day(backend: Backend) {
    let app = cai_moves_to_blue_on_october_16th(backend).await;

    // The last minute of Oct 15 is still red's; c-5's sender named red,
    // which wins over the membership.
    assert_eq!(
        interaction_teams(&app).await,
        teams(&[
            ("c-1", "red"),
            ("c-2", "red"),
            ("c-3", "blue"),
            ("c-4", "blue"),
            ("c-5", "red"),
            ("d-1", "blue"),
        ])
    );
}

async fn a_team_scorecard_pools_the_records_of_its_days(backend: Backend) {
    let app = cai_moves_to_blue_on_october_16th(backend).await;

    let red = team_scorecard(&app, "red", month("2026-10")).await;
    let blue = team_scorecard(&app, "blue", month("2026-10")).await;

    // Red pools c-1, c-2, c-5 and v-1; blue c-3, c-4, d-1 and v-2, v-3.
    let red_card = red.scorecard.unwrap();
    assert_eq!(kpi(&red_card, "contacts_handled").value, Some(3.0));
    assert_eq!(kpi(&red_card, "violations").value, Some(1.0));
    let blue_card = blue.scorecard.unwrap();
    assert_eq!(kpi(&blue_card, "contacts_handled").value, Some(3.0));
    assert_eq!(kpi(&blue_card, "violations").value, Some(2.0));
}

async fn both_teams_list_an_agent_who_moved_during_the_month(backend: Backend) {
    let app = cai_moves_to_blue_on_october_16th(backend).await;

    let red = team_scorecard(&app, "red", month("2026-10")).await;
    let blue = team_scorecard(&app, "blue", month("2026-10")).await;

    // Records of cai's count in each.
    assert_eq!(red.member_agent_ids, vec!["cai"]);
    assert_eq!(blue.member_agent_ids, vec!["cai", "dee"]);
}

async fn an_agents_own_month_counts_the_records_of_both_teams(backend: Backend) {
    let app = cai_moves_to_blue_on_october_16th(backend).await;

    let cai = agent_scorecard(&app, "cai", month("2026-10")).await;

    assert_eq!(kpi(&cai, "contacts_handled").value, Some(5.0));
    assert_eq!(kpi(&cai, "violations").value, Some(3.0));
}

async fn a_correction_is_attributed_by_its_new_time(backend: Backend) {
    let app = cai_moves_to_blue_on_october_16th(backend).await;

    // c-4 moves back from Oct 20 (blue) to Oct 12 (red).
    ingest_interactions(&app, vec![call("c-4", "cai", "2026-10-12T10:00:00Z")]).await;

    let rows = interaction_teams(&app).await;
    assert!(rows.contains(&("c-4".to_owned(), Some("red".to_owned()))));
    let red = team_scorecard(&app, "red", month("2026-10")).await;
    assert_eq!(
        kpi(&red.scorecard.unwrap(), "contacts_handled").value,
        Some(4.0)
    );
    // Records from Oct 5 (c-1) to Oct 25 (c-5): 21 days.
    assert_rollups_verify(&app, "UTC", 21).await;
}
