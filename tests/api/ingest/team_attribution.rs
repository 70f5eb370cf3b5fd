//! The team an interaction is stored with (catalogue, Conventions: Team):
//! the team the agent belonged to when the interaction ended, or the team
//! its sender named; never simply the team at ingest.

use kpi_service::{grpc::pb, storage::entities};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        directory::{add_team, move_agent},
        ingest::ingest_interactions,
        records::{call, interaction},
    },
};

on_both_backends!(
    an_interaction_counts_for_the_team_in_force_when_it_ended,
    an_interaction_ingested_after_a_move_keeps_the_team_of_its_end,
    a_correction_after_a_move_keeps_the_team_of_its_end,
    a_team_named_in_the_record_wins_over_the_membership,
);

/// Ana is red, with call-1 of 2026-11-02 stored, then blue from
/// 2026-11-03 on.
async fn ana_moved_to_blue_on_november_3rd(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    move_agent(&app, "ana", "red", "").await;
    ingest_interactions(&app, vec![interaction("call-1", "ana")]).await;
    move_agent(&app, "ana", "blue", "2026-11-03").await;
    app
}

async fn stored_team(app: &TestApp, external_id: &str) -> Option<String> {
    entities::interaction::Entity::find()
        .filter(entities::interaction::Column::ExternalId.eq(external_id))
        .one(app.database.connection())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{external_id} is not stored"))
        .team_id
}

async fn an_interaction_counts_for_the_team_in_force_when_it_ended(backend: Backend) {
    let app = ana_moved_to_blue_on_november_3rd(backend).await;

    ingest_interactions(&app, vec![call("call-4", "ana", "2026-11-03T09:05:00Z")]).await;

    assert_eq!(stored_team(&app, "call-4").await.as_deref(), Some("blue"));
}

async fn an_interaction_ingested_after_a_move_keeps_the_team_of_its_end(backend: Backend) {
    let app = ana_moved_to_blue_on_november_3rd(backend).await;

    ingest_interactions(&app, vec![interaction("call-2", "ana")]).await;

    assert_eq!(
        stored_team(&app, "call-2").await.as_deref(),
        Some("red"),
        "ingested after the move, but ended while ana was red"
    );
}

async fn a_correction_after_a_move_keeps_the_team_of_its_end(backend: Backend) {
    let app = ana_moved_to_blue_on_november_3rd(backend).await;

    let corrected = pb::Interaction {
        hold_seconds: 0,
        ..interaction("call-1", "ana")
    };
    ingest_interactions(&app, vec![corrected]).await;

    assert_eq!(
        stored_team(&app, "call-1").await.as_deref(),
        Some("red"),
        "a correction does not move history"
    );
}

async fn a_team_named_in_the_record_wins_over_the_membership(backend: Backend) {
    let app = ana_moved_to_blue_on_november_3rd(backend).await;

    // Ended on Nov 3, when ana was blue, but the sender names red.
    let explicit = pb::Interaction {
        team_id: "red".into(),
        ..call("call-3", "ana", "2026-11-03T09:05:00Z")
    };
    ingest_interactions(&app, vec![explicit]).await;

    assert_eq!(
        stored_team(&app, "call-3").await.as_deref(),
        Some("red"),
        "a team named in the record wins"
    );
}
