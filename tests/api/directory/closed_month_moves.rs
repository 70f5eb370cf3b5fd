//! A team move effective inside a closed month is refused (catalogue,
//! "Closed periods"), leaves no trace but an audit event, and the first
//! open day is allowed; the effective day must be a real, past day.

use kpi_service::{
    domain::audit::{AuditChange, AuditFilter, AuditKind},
    grpc::pb,
};
use tonic::Code;
use tonic_types::StatusExt;

use crate::{
    on_both_backends,
    support::{
        app::{error_reason, field_violations, spawn_app, Backend, TestApp},
        directory::{add_team, get_agent, membership, move_agent, put_agent},
        ingest::ingest_interactions,
        periods::close_month,
        records::call,
        rollups::assert_rollups_verify,
    },
};

use super::{interaction_teams, teams};

on_both_backends!(
    a_move_into_a_closed_month_is_refused_naming_the_month,
    a_refused_move_changes_neither_team_nor_history_nor_attribution,
    a_refused_move_is_in_the_audit_trail,
    a_move_from_the_first_open_day_re_attributes_only_the_open_month,
    an_upsert_that_leaves_the_history_as_it_is_passes_whatever_its_day,
    a_bad_or_future_effective_day_is_invalid,
);

/// Gus is red, with calls on Sep 10 and Oct 10; September is closed.
async fn gus_in_red_with_september_closed(backend: Backend) -> TestApp {
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
    app
}

/// Days inside (or before) the closed September.
const CLOSED_DAYS: [&str; 2] = ["2026-09-20", "2026-08-01"];

async fn try_moving_gus_to_blue(app: &TestApp, effective_from: &str) -> tonic::Status {
    app.directory()
        .upsert_agent(pb::UpsertAgentRequest {
            agent: Some(pb::Agent {
                agent_id: "gus".into(),
                team_id: "blue".into(),
                ..Default::default()
            }),
            team_effective_from: effective_from.into(),
        })
        .await
        .expect_err("a move into a closed month must be refused")
}

async fn a_move_into_a_closed_month_is_refused_naming_the_month(backend: Backend) {
    let app = gus_in_red_with_september_closed(backend).await;

    for effective_from in CLOSED_DAYS {
        let status = try_moving_gus_to_blue(&app, effective_from).await;
        assert_eq!(status.code(), Code::FailedPrecondition, "{effective_from}");
        assert_eq!(error_reason(&status).as_deref(), Some("PERIOD_CLOSED"));
        let info = status.get_details_error_info().unwrap();
        assert_eq!(
            info.metadata.get("month").map(String::as_str),
            Some("2026-09"),
            "the first closed month the move would change"
        );
    }
}

async fn a_refused_move_changes_neither_team_nor_history_nor_attribution(backend: Backend) {
    let app = gus_in_red_with_september_closed(backend).await;

    for effective_from in CLOSED_DAYS {
        try_moving_gus_to_blue(&app, effective_from).await;
    }

    let gus = get_agent(&app, "gus").await;
    assert_eq!(gus.team_id, "red");
    assert_eq!(gus.memberships, vec![membership("red", "", "")]);
    assert_eq!(
        interaction_teams(&app).await,
        teams(&[("g-1", "red"), ("g-2", "red")])
    );
}

async fn a_refused_move_is_in_the_audit_trail(backend: Backend) {
    let app = gus_in_red_with_september_closed(backend).await;

    for effective_from in CLOSED_DAYS {
        try_moving_gus_to_blue(&app, effective_from).await;
    }

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
    // Newest first.
    assert_eq!(refused, vec![refusal("2026-08-01"), refusal("2026-09-20")]);
}

async fn a_move_from_the_first_open_day_re_attributes_only_the_open_month(backend: Backend) {
    let app = gus_in_red_with_september_closed(backend).await;

    move_agent(&app, "gus", "blue", "2026-10-01").await;

    assert_eq!(
        interaction_teams(&app).await,
        teams(&[("g-1", "red"), ("g-2", "blue")])
    );
    // Records from Sep 10 to Oct 10: 21 + 10 days.
    assert_rollups_verify(&app, "UTC", 31).await;
}

async fn an_upsert_that_leaves_the_history_as_it_is_passes_whatever_its_day(backend: Backend) {
    let app = gus_in_red_with_september_closed(backend).await;
    move_agent(&app, "gus", "blue", "2026-10-01").await;

    // Blue again from the same day, and a plain upsert in blue (today).
    move_agent(&app, "gus", "blue", "2026-10-01").await;
    put_agent(&app, "gus", "blue").await;

    assert_eq!(
        get_agent(&app, "gus").await.memberships,
        vec![
            membership("red", "", "2026-10-01"),
            membership("blue", "2026-10-01", "")
        ]
    );
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
