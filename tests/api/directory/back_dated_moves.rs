//! A move back-dated into an open month re-attributes what is stored from
//! its day on, the rollups stay provable, and the history shows it.

use kpi_service::{
    domain::audit::{AuditChange, AuditFilter, AuditKind},
    grpc::pb,
};
use pb::SurveyKind::Csat;

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        directory::{add_team, get_agent, membership, move_agent, put_agent},
        ingest::{ingest_interactions, ingest_surveys, ingest_violations},
        periods::month,
        records::{call, survey_about, violation_at},
        rollups::assert_rollups_verify,
        scorecards::{kpi, team_scorecard},
    },
};

use super::{interaction_teams, named, teams};

on_both_backends!(
    a_back_dated_move_re_attributes_the_stored_interactions,
    a_back_dated_move_takes_linked_surveys_and_other_records_along,
    the_rollups_verify_after_a_back_dated_move,
    an_agent_lists_every_membership_of_its_history,
    a_team_move_is_audited_with_the_day_it_took_effect,
);

/// Fay is red, with calls on Oct 5, Oct 20 and Oct 25 (whose sender named
/// red), a CSAT of 5 about the first and of 2 about the second, and a
/// violation on Oct 22.
async fn fay_in_red_with_octobers_records(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    put_agent(&app, "fay", "red").await;
    ingest_interactions(
        &app,
        vec![
            call("f-1", "fay", "2026-10-05T10:00:00Z"),
            call("f-2", "fay", "2026-10-20T10:00:00Z"),
            named(call("f-3", "fay", "2026-10-25T10:00:00Z"), "red"),
        ],
    )
    .await;
    ingest_surveys(
        &app,
        vec![
            survey_about("s-1", "f-1", Csat, 5, "2026-10-05T12:00:00Z"),
            survey_about("s-2", "f-2", Csat, 2, "2026-10-20T12:00:00Z"),
        ],
    )
    .await;
    ingest_violations(
        &app,
        vec![violation_at("v-1", "fay", "2026-10-22T08:00:00Z")],
    )
    .await;
    app
}

/// Payroll learns that fay moved to blue on Oct 15.
async fn move_fay_to_blue_on_october_15th(app: &TestApp) {
    move_agent(app, "fay", "blue", "2026-10-15").await;
}

async fn a_back_dated_move_re_attributes_the_stored_interactions(backend: Backend) {
    let app = fay_in_red_with_octobers_records(backend).await;
    let red = team_scorecard(&app, "red", month("2026-10")).await;
    assert_eq!(
        kpi(&red.scorecard.unwrap(), "contacts_handled").value,
        Some(3.0),
        "before the move, all three are red's"
    );

    move_fay_to_blue_on_october_15th(&app).await;

    assert_eq!(
        interaction_teams(&app).await,
        teams(&[("f-1", "red"), ("f-2", "blue"), ("f-3", "red")]),
        "from Oct 15 on, except the call whose sender named red"
    );
}

async fn a_back_dated_move_takes_linked_surveys_and_other_records_along(backend: Backend) {
    let app = fay_in_red_with_octobers_records(backend).await;

    move_fay_to_blue_on_october_15th(&app).await;

    let red_card = team_scorecard(&app, "red", month("2026-10"))
        .await
        .scorecard
        .unwrap();
    let blue_card = team_scorecard(&app, "blue", month("2026-10"))
        .await
        .scorecard
        .unwrap();
    // Red: f-1 and f-3, CSAT 1 satisfied of 1 (s-1 follows f-1); no violation.
    assert_eq!(kpi(&red_card, "contacts_handled").value, Some(2.0));
    let csat = kpi(&red_card, "csat");
    assert_eq!((csat.numerator, csat.denominator), (1.0, 1.0));
    assert_eq!(kpi(&red_card, "violations").value, Some(0.0));
    // Blue: f-2 with its unsatisfied response, and the violation of Oct 22.
    assert_eq!(kpi(&blue_card, "contacts_handled").value, Some(1.0));
    let csat = kpi(&blue_card, "csat");
    assert_eq!((csat.numerator, csat.denominator), (0.0, 1.0));
    assert_eq!(kpi(&blue_card, "violations").value, Some(1.0));
}

async fn the_rollups_verify_after_a_back_dated_move(backend: Backend) {
    let app = fay_in_red_with_octobers_records(backend).await;

    move_fay_to_blue_on_october_15th(&app).await;

    // Records from Oct 5 (f-1, s-1) to Oct 25 (f-3): 21 days.
    assert_rollups_verify(&app, "UTC", 21).await;
}

async fn an_agent_lists_every_membership_of_its_history(backend: Backend) {
    let app = fay_in_red_with_octobers_records(backend).await;

    move_fay_to_blue_on_october_15th(&app).await;

    let expected = vec![
        membership("red", "", "2026-10-15"),
        membership("blue", "2026-10-15", ""),
    ];
    let fay = get_agent(&app, "fay").await;
    assert_eq!(fay.team_id, "blue");
    assert_eq!(fay.memberships, expected);
    let listed = app
        .directory()
        .list_agents(pb::ListAgentsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.agents[0].memberships, expected);
}

async fn a_team_move_is_audited_with_the_day_it_took_effect(backend: Backend) {
    let app = fay_in_red_with_octobers_records(backend).await;

    move_fay_to_blue_on_october_15th(&app).await;

    let events = kpi_service::storage::audit::list(
        app.database.connection(),
        &AuditFilter {
            kind: Some(AuditKind::AgentUpserted),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    let AuditChange::AgentUpserted {
        team_id,
        team_effective_from,
        ..
    } = &events[0].change
    else {
        panic!("not an agent event: {:?}", events[0].change);
    };
    assert_eq!(
        (team_id.as_deref(), team_effective_from.as_deref()),
        (Some("blue"), Some("2026-10-15"))
    );
}
