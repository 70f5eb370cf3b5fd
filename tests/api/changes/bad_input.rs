//! Bad cursors and filters are refused clearly, never answered with a
//! silent empty stream.

use kpi_service::{domain::changes::cursor, grpc::pb};
use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;

use crate::{
    helpers::{error_reason, field_violations, spawn_app, Backend, TestApp},
    kpi_fixtures::{add_team, call, ingest_interactions, put_agent},
    support::changes::{changes_client, error_metadata, latest_cursor},
};

async fn list_since(app: &TestApp, since: &str) -> tonic::Status {
    changes_client(&app.channel)
        .list_scorecard_changes(pb::ListScorecardChangesRequest {
            since_cursor: since.into(),
            ..Default::default()
        })
        .await
        .expect_err("the cursor was accepted")
}

async fn watch_since(app: &TestApp, since: &str) -> tonic::Status {
    changes_client(&app.channel)
        .watch_scorecard_changes(pb::WatchScorecardChangesRequest {
            since_cursor: since.into(),
            ..Default::default()
        })
        .await
        .expect_err("the cursor was accepted")
}

async fn database_id(app: &TestApp) -> String {
    let connection = app.database.connection();
    connection
        .query_one(Statement::from_string(
            connection.get_database_backend(),
            "SELECT database_id FROM scorecard_change_state",
        ))
        .await
        .unwrap()
        .expect("no change-log state")
        .try_get("", "database_id")
        .unwrap()
}

async fn cursors_of_another_database_or_altered_are_invalid(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = spawn_app(backend).await;
    let foreign = latest_cursor(&other.channel).await;
    let _ = latest_cursor(&app.channel).await;
    for status in [
        list_since(&app, &foreign).await,
        watch_since(&app, &foreign).await,
    ] {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        let violations = field_violations(&status);
        assert_eq!(violations[0].0, "since_cursor");
        assert!(
            violations[0].1.contains("another database"),
            "{violations:?}"
        );
    }
    for status in [
        list_since(&app, "bm90LWEtY3Vyc29y").await,
        watch_since(&app, "x").await,
    ] {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(field_violations(&status)[0].0, "since_cursor");
    }
}

async fn a_cursor_after_the_latest_change_is_out_of_range(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "north").await;
    put_agent(&app, "ana", "north").await;
    ingest_interactions(&app, vec![call("c1", "ana", "2026-11-02T09:05:00Z")]).await;
    let latest = latest_cursor(&app.channel).await;
    let id = database_id(&app).await;
    let latest_position = cursor::decode(&id, &latest).unwrap();
    let future = cursor::encode(&id, latest_position + 1000);
    for status in [
        list_since(&app, &future).await,
        watch_since(&app, &future).await,
    ] {
        assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
        assert_eq!(error_reason(&status).as_deref(), Some("CURSOR_IN_FUTURE"));
        assert_eq!(
            error_metadata(&status, "latest_cursor"),
            Some(latest.clone())
        );
    }
}

async fn unknown_filters_are_field_violations(backend: Backend) {
    let app = spawn_app(backend).await;
    let filter = pb::ScorecardChangeFilter {
        kpi_ids: vec!["contacts_handled".into(), "happiness".into()],
        into_statuses: vec![0, 99],
        month: "2026-13".into(),
        ..Default::default()
    };
    let status = changes_client(&app.channel)
        .watch_scorecard_changes(pb::WatchScorecardChangesRequest {
            filter: Some(filter),
            ..Default::default()
        })
        .await
        .expect_err("unknown filters were accepted");
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(
        fields,
        [
            "filter.kpi_ids[1]",
            "filter.into_statuses[0]",
            "filter.into_statuses[1]",
            "filter.month"
        ]
    );
    let status = changes_client(&app.channel)
        .list_scorecard_changes(pb::ListScorecardChangesRequest {
            filter: Some(pb::ScorecardChangeFilter {
                team_ids: vec!["nowhere".into()],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect_err("an unknown team was accepted");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "filter.team_ids[0]");
}

crate::on_both_backends!(
    cursors_of_another_database_or_altered_are_invalid,
    a_cursor_after_the_latest_change_is_out_of_range,
    unknown_filters_are_field_violations,
);
