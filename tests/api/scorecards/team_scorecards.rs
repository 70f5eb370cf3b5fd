//! A team's scorecard pools the numerators and denominators of the records
//! that count for the team, never averages of its agents' values.

use kpi_service::grpc::pb;
use pb::{
    KpiStatus::{Breached, InsufficientData},
    SurveyKind::Csat,
};

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        directory::{add_team, move_agent, put_agent},
        ingest::{ingest_interactions, ingest_qa, ingest_surveys},
        periods::month,
        records::{call, evaluation, survey_about},
        scorecards::{agent_scorecard, assert_close_option, assert_judged, kpi, team_scorecard},
    },
};

on_both_backends!(
    a_team_scorecard_pools_numerators_not_averages,
    a_team_pools_the_worked_days_of_its_agents,
    other_records_count_for_the_team_of_their_own_time,
    interactions_before_a_move_stay_with_the_old_team,
    a_team_scorecard_lists_every_agent_who_was_a_member_during_the_period,
    an_agent_who_moved_keeps_every_record_on_their_own_scorecard,
);

/// Amy and ben are red. Amy: one call on Nov 2 with a CSAT of 5. Ben: calls
/// on Nov 2 (two) and Nov 3 with CSAT 5, 2 and 1. Ben moves to blue from
/// Nov 4 (dated: the catalogue counts other records "for the team the agent
/// belonged to at the record's own timestamp"); then QA evaluations of Nov
/// 5: amy 50 of 50, ben 40 of 50.
async fn ben_moves_to_blue_after_his_calls(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    put_agent(&app, "amy", "red").await;
    put_agent(&app, "ben", "red").await;
    ingest_interactions(
        &app,
        vec![
            call("a-1", "amy", "2026-11-02T09:05:00Z"),
            call("b-1", "ben", "2026-11-02T09:05:00Z"),
            call("b-2", "ben", "2026-11-02T11:05:00Z"),
            call("b-3", "ben", "2026-11-03T09:05:00Z"),
        ],
    )
    .await;
    ingest_surveys(
        &app,
        vec![
            survey_about("sa-1", "a-1", Csat, 5, "2026-11-02T12:00:00Z"),
            survey_about("sb-1", "b-1", Csat, 5, "2026-11-02T12:00:00Z"),
            survey_about("sb-2", "b-2", Csat, 2, "2026-11-02T12:00:00Z"),
            survey_about("sb-3", "b-3", Csat, 1, "2026-11-03T12:00:00Z"),
        ],
    )
    .await;
    move_agent(&app, "ben", "blue", "2026-11-04").await;
    ingest_qa(
        &app,
        vec![
            evaluation("qa-a", "amy", "2026-11-05T12:00:00Z", (50.0, 50.0), &[]),
            evaluation("qa-b", "ben", "2026-11-05T12:00:00Z", (40.0, 50.0), &[]),
        ],
    )
    .await;
    app
}

async fn novembers_card(app: &TestApp, team_id: &str) -> pb::Scorecard {
    team_scorecard(app, team_id, month("2026-11"))
        .await
        .scorecard
        .unwrap()
}

async fn a_team_scorecard_pools_numerators_not_averages(backend: Backend) {
    let app = ben_moves_to_blue_after_his_calls(backend).await;

    let red_card = novembers_card(&app, "red").await;

    // Amy 1/1, ben 1/3: the team is 2/4 = 50 %, not (100 + 33.3) / 2.
    let csat = kpi(&red_card, "csat");
    assert_eq!(
        (csat.numerator, csat.denominator, csat.sample_size),
        (2.0, 4.0, 4)
    );
    assert_judged(&red_card, "csat", Some(50.0), Breached, Some(-35.0));
    assert_eq!(kpi(&red_card, "contacts_handled").value, Some(4.0));
}

async fn a_team_pools_the_worked_days_of_its_agents(backend: Backend) {
    let app = ben_moves_to_blue_after_his_calls(backend).await;

    let red_card = novembers_card(&app, "red").await;

    // Agent-days: amy on Nov 2, ben on Nov 2 and Nov 3 = 3; 4 contacts / 3.
    let per_day = kpi(&red_card, "contacts_per_day");
    assert_eq!((per_day.numerator, per_day.denominator), (4.0, 3.0));
    assert_close_option(per_day.value, Some(4.0 / 3.0), "contacts_per_day");
}

async fn other_records_count_for_the_team_of_their_own_time(backend: Backend) {
    let app = ben_moves_to_blue_after_his_calls(backend).await;

    let red_card = novembers_card(&app, "red").await;
    let blue_card = novembers_card(&app, "blue").await;

    // The QA of Nov 5: amy's 50/50 for red, ben's 40/50 = 80 % for blue.
    let qa = kpi(&red_card, "qa_score");
    assert_eq!(
        (qa.numerator, qa.denominator, qa.sample_size),
        (50.0, 50.0, 1)
    );
    assert_judged(&blue_card, "qa_score", Some(80.0), Breached, Some(-10.0));
}

async fn interactions_before_a_move_stay_with_the_old_team(backend: Backend) {
    let app = ben_moves_to_blue_after_his_calls(backend).await;

    let blue_card = novembers_card(&app, "blue").await;

    // Ben's calls (and their surveys) ended while he was red.
    assert_eq!(kpi(&blue_card, "contacts_handled").value, Some(0.0));
    assert_judged(&blue_card, "csat", None, InsufficientData, None);
}

async fn a_team_scorecard_lists_every_agent_who_was_a_member_during_the_period(backend: Backend) {
    let app = ben_moves_to_blue_after_his_calls(backend).await;

    let red = team_scorecard(&app, "red", month("2026-11")).await;
    let blue = team_scorecard(&app, "blue", month("2026-11")).await;

    assert_eq!(red.team_id, "red");
    assert_eq!(red.member_agent_ids, vec!["amy", "ben"]);
    assert_eq!(blue.member_agent_ids, vec!["ben"]);
}

async fn an_agent_who_moved_keeps_every_record_on_their_own_scorecard(backend: Backend) {
    let app = ben_moves_to_blue_after_his_calls(backend).await;

    let ben = agent_scorecard(&app, "ben", month("2026-11")).await;

    // 1 satisfied of 3.
    assert_close_option(kpi(&ben, "csat").value, Some(100.0 / 3.0), "ben's csat");
}
