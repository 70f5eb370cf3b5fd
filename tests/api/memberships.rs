//! Team membership history (catalogue: "Conventions: Team", "Team
//! membership", "Scorecard and bonus semantics"): records count for the
//! team in force at their own time, a back-dated move re-attributes what is
//! stored (and the rollups stay provable), a move into a closed month is
//! refused, and an agent's month is judged by the team at its start. The
//! reporting zone is UTC, so local days are UTC days.

use chrono_tz::Tz;
use kpi_service::{
    domain::audit::{AuditChange, AuditFilter, AuditKind},
    grpc::pb,
    storage::entities,
};
use pb::KpiStatus::{Breached, Met};
use pb::SurveyKind::Csat;
use sea_orm::EntityTrait;
use tonic::Code;
use tonic_types::StatusExt;

use crate::{
    helpers::{error_reason, field_violations, spawn_app, Backend, TestApp},
    kpi_fixtures::*,
    on_both_backends,
};

on_both_backends!(
    an_agent_who_changes_team_mid_month_counts_for_each_team_by_date,
    an_agents_month_is_judged_by_the_team_at_its_start_or_the_first_joined,
    a_back_dated_move_in_an_open_month_re_attributes_and_rollups_still_verify,
    a_back_dated_move_into_a_closed_month_is_refused_and_audited,
    a_bad_or_future_effective_day_is_invalid,
);

fn zone() -> Tz {
    "UTC".parse().unwrap()
}

/// The stored team of each interaction, by external id.
async fn interaction_teams(app: &TestApp) -> Vec<(String, Option<String>)> {
    let mut rows: Vec<(String, Option<String>)> = entities::interaction::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.external_id, row.team_id))
        .collect();
    rows.sort();
    rows
}

fn teams(expected: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    expected
        .iter()
        .map(|(id, team)| ((*id).to_owned(), Some((*team).to_owned())))
        .collect()
}

async fn get_agent(app: &TestApp, agent_id: &str) -> pb::Agent {
    app.directory()
        .get_agent(pb::GetAgentRequest {
            agent_id: agent_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .agent
        .unwrap()
}

fn membership(team_id: &str, from: &str, to: &str) -> pb::TeamMembership {
    pb::TeamMembership {
        team_id: team_id.into(),
        effective_from: from.into(),
        effective_to: to.into(),
    }
}

fn named(mut interaction: pb::Interaction, team_id: &str) -> pb::Interaction {
    interaction.team_id = team_id.into();
    interaction
}

async fn an_agent_who_changes_team_mid_month_counts_for_each_team_by_date(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    put_agent(&app, "cai", "red").await;
    put_agent(&app, "dee", "blue").await;
    // Cai is blue from Oct 16 on; nothing is stored yet, so this is only
    // the history the records below are attributed by.
    move_agent(&app, "cai", "blue", "2026-10-16").await;

    ingest_interactions(
        &app,
        vec![
            call("c-1", "cai", "2026-10-05T10:00:00Z"),
            // The last minute of Oct 15 is still red's.
            call("c-2", "cai", "2026-10-15T23:59:00Z"),
            call("c-3", "cai", "2026-10-16T00:10:00Z"),
            call("c-4", "cai", "2026-10-20T10:00:00Z"),
            // The sender named red: that wins over the membership.
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

    // Red pools c-1, c-2, c-5 and v-1; blue c-3, c-4, d-1 and v-2, v-3.
    let red = team_scorecard(&app, "red", month("2026-10")).await;
    let red_card = red.scorecard.unwrap();
    assert_eq!(kpi(&red_card, "contacts_handled").value, Some(3.0));
    assert_eq!(kpi(&red_card, "violations").value, Some(1.0));
    let blue = team_scorecard(&app, "blue", month("2026-10")).await;
    let blue_card = blue.scorecard.unwrap();
    assert_eq!(kpi(&blue_card, "contacts_handled").value, Some(3.0));
    assert_eq!(kpi(&blue_card, "violations").value, Some(2.0));
    // Both teams list cai: records of his count in each.
    assert_eq!(red.member_agent_ids, vec!["cai"]);
    assert_eq!(blue.member_agent_ids, vec!["cai", "dee"]);

    // Cai's own month has all five calls and three violations.
    let cai = agent_scorecard(&app, "cai", month("2026-10")).await;
    assert_eq!(kpi(&cai, "contacts_handled").value, Some(5.0));
    assert_eq!(kpi(&cai, "violations").value, Some(3.0));

    // A correction is attributed by its new time: c-4 moved back to Oct 12.
    let corrected = call("c-4", "cai", "2026-10-12T10:00:00Z");
    ingest_interactions(&app, vec![corrected]).await;
    let rows = interaction_teams(&app).await;
    assert!(rows.contains(&("c-4".to_owned(), Some("red".to_owned()))));
    let red = team_scorecard(&app, "red", month("2026-10")).await;
    assert_eq!(
        kpi(&red.scorecard.unwrap(), "contacts_handled").value,
        Some(4.0)
    );
    assert_no_rollup_differences(&app).await;
}

async fn an_agents_month_is_judged_by_the_team_at_its_start_or_the_first_joined(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    // Distinct thresholds: every call's handle time is 300 s.
    let red_policy =
        create_policy(&app, "red", "2026-01-01", 10.0, vec![at_most("aht", 400.0)]).await;
    let blue_policy = create_policy(
        &app,
        "blue",
        "2026-01-01",
        90.0,
        vec![at_most("aht", 200.0)],
    )
    .await;
    put_agent(&app, "cai", "red").await;
    move_agent(&app, "cai", "blue", "2026-10-16").await;
    // Eve has no team until she joins blue on Oct 10.
    put_agent(&app, "eve", "").await;
    move_agent(&app, "eve", "blue", "2026-10-10").await;
    ingest_interactions(
        &app,
        vec![
            call("c-1", "cai", "2026-10-05T10:00:00Z"),
            call("c-2", "cai", "2026-10-20T10:00:00Z"),
            call("e-1", "eve", "2026-10-05T10:00:00Z"),
            call("e-2", "eve", "2026-10-12T10:00:00Z"),
            call("c-3", "cai", "2026-11-03T10:00:00Z"),
        ],
    )
    .await;
    // e-1 ended before eve had a team: it counts for no team.
    let rows = interaction_teams(&app).await;
    assert!(rows.contains(&("e-1".to_owned(), None)));
    assert!(rows.contains(&("e-2".to_owned(), Some("blue".to_owned()))));

    // October: cai was red on Oct 1, so red's policy judges his month (300 s
    // meets <= 400 s), although half of it was spent in blue.
    let response = app
        .scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "cai".into(),
            period: Some(month("2026-10")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.team_id, "red");
    let october = response.scorecard.unwrap();
    assert_eq!(policy_id(&october), red_policy.policy_version_id);
    assert_judged(&october, "aht", Some(300.0), Met, Some(100.0));

    // November: blue on Nov 1, so blue's policy (300 s breaches <= 200 s).
    let response = app
        .scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "cai".into(),
            period: Some(month("2026-11")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.team_id, "blue");
    let november = response.scorecard.unwrap();
    assert_eq!(policy_id(&november), blue_policy.policy_version_id);
    assert_judged(&november, "aht", Some(300.0), Breached, Some(-100.0));

    // Eve joined blue during October: the first team within it judges her.
    let listed = app
        .scorecards()
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: Some(month("2026-10")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let judged: Vec<(String, String, i64)> = listed
        .scorecards
        .iter()
        .map(|card| {
            (
                card.agent_id.clone(),
                card.team_id.clone(),
                policy_id(card.scorecard.as_ref().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        judged,
        vec![
            (
                "cai".to_owned(),
                "red".to_owned(),
                red_policy.policy_version_id
            ),
            (
                "eve".to_owned(),
                "blue".to_owned(),
                blue_policy.policy_version_id
            ),
        ]
    );
    let eve = &listed.scorecards[1];
    assert_judged(
        eve.scorecard.as_ref().unwrap(),
        "aht",
        Some(300.0),
        Breached,
        Some(-100.0),
    );
}

async fn a_back_dated_move_in_an_open_month_re_attributes_and_rollups_still_verify(
    backend: Backend,
) {
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
    let red = team_scorecard(&app, "red", month("2026-10")).await;
    assert_eq!(
        kpi(&red.scorecard.unwrap(), "contacts_handled").value,
        Some(3.0)
    );

    // Payroll learns that fay moved to blue on Oct 15.
    move_agent(&app, "fay", "blue", "2026-10-15").await;

    assert_eq!(
        interaction_teams(&app).await,
        teams(&[("f-1", "red"), ("f-2", "blue"), ("f-3", "red")]),
        "from Oct 15 on, except the call whose sender named red"
    );
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
    assert_no_rollup_differences(&app).await;

    // The history, in GetAgent and ListAgents.
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

    // The move is audited with the day it took effect.
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

/// Closes a month through PeriodService.ClosePeriod.
async fn close_month(app: &TestApp, month: &str) {
    kpi_service::grpc::pb::period_service_client::PeriodServiceClient::new(app.channel.clone())
        .close_period(pb::ClosePeriodRequest {
            month: month.into(),
            request_id: String::new(),
        })
        .await
        .expect("ClosePeriod failed");
}

async fn a_back_dated_move_into_a_closed_month_is_refused_and_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    put_agent(&app, "gus", "red").await;
    ingest_interactions(
        &app,
        vec![
            call("g-1", "gus", "2026-09-10T10:00:00Z"),
            call("g-2", "gus", "2026-10-10T10:00:00Z"),
        ],
    )
    .await;
    close_month(&app, "2026-09").await;

    for effective_from in ["2026-09-20", "2026-08-01"] {
        let status = app
            .directory()
            .upsert_agent(pb::UpsertAgentRequest {
                agent: Some(pb::Agent {
                    agent_id: "gus".into(),
                    team_id: "blue".into(),
                    ..Default::default()
                }),
                team_effective_from: effective_from.into(),
            })
            .await
            .expect_err("a move into a closed month must be refused");
        assert_eq!(status.code(), Code::FailedPrecondition, "{effective_from}");
        assert_eq!(error_reason(&status).as_deref(), Some("PERIOD_CLOSED"));
        let info = status.get_details_error_info().unwrap();
        assert_eq!(
            info.metadata.get("month").map(String::as_str),
            Some("2026-09"),
            "the first closed month the move would change"
        );
    }

    // Nothing was written: same team, same history, same attribution.
    let gus = get_agent(&app, "gus").await;
    assert_eq!(gus.team_id, "red");
    assert_eq!(gus.memberships, vec![membership("red", "", "")]);
    assert_eq!(
        interaction_teams(&app).await,
        teams(&[("g-1", "red"), ("g-2", "red")])
    );
    // But the refusals are in the audit trail.
    let refusals = kpi_service::storage::audit::list(
        app.database.connection(),
        &AuditFilter {
            kind: Some(AuditKind::ChangeRefused),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    let refused: Vec<AuditChange> = refusals.into_iter().map(|event| event.change).collect();
    let refusal = |effective_from: &str| AuditChange::ChangeRefused {
        what: "team_move".into(),
        subject: "gus".into(),
        effective_from: effective_from.into(),
        closed_month: "2026-09".into(),
    };
    assert_eq!(refused, vec![refusal("2026-08-01"), refusal("2026-09-20")]);

    // The first open day is allowed, and moves only October.
    move_agent(&app, "gus", "blue", "2026-10-01").await;
    assert_eq!(
        interaction_teams(&app).await,
        teams(&[("g-1", "red"), ("g-2", "blue")])
    );
    // An upsert that leaves the history as it is passes whatever its day
    // (a rename, or blue again from a day inside the closed month).
    move_agent(&app, "gus", "blue", "2026-10-01").await;
    put_agent(&app, "gus", "blue").await;
    assert_eq!(
        get_agent(&app, "gus").await.memberships,
        vec![
            membership("red", "", "2026-10-01"),
            membership("blue", "2026-10-01", "")
        ]
    );
    assert_no_rollup_differences(&app).await;
}

async fn a_bad_or_future_effective_day_is_invalid(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(2)).to_string();
    for effective_from in ["2026-13-01", "yesterday", "1969-12-31", tomorrow.as_str()] {
        let status = app
            .directory()
            .upsert_agent(pb::UpsertAgentRequest {
                agent: Some(pb::Agent {
                    agent_id: "hal".into(),
                    team_id: "red".into(),
                    ..Default::default()
                }),
                team_effective_from: effective_from.into(),
            })
            .await
            .expect_err("a bad effective day must be refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{effective_from}");
        let fields: Vec<String> = field_violations(&status)
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(fields, vec!["team_effective_from"], "{effective_from}");
    }
    let status = app
        .directory()
        .get_agent(pb::GetAgentRequest {
            agent_id: "hal".into(),
        })
        .await
        .expect_err("nothing was stored");
    assert_eq!(status.code(), Code::NotFound);
}

async fn assert_no_rollup_differences(app: &TestApp) {
    let report = app.database.verify_rollups(zone()).await.unwrap();
    assert!(
        report.differences.is_empty(),
        "rollups differ from raw rows: {:?}",
        report.differences
    );
}
