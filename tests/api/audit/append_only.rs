//! The trail is append-only in the database itself, and names the
//! anonymous principal when nobody is authenticated.

use kpi_service::grpc::pb;
use sea_orm::{ConnectionTrait, Statement};

use crate::{
    on_both_backends,
    support::app::{spawn_app_with, Backend, TestApp},
};

on_both_backends!(
    the_database_refuses_to_rewrite_the_audit_trail,
    without_authentication_the_anonymous_principal_is_audited,
);

/// An app without authentication and the one audit event of a team upsert.
async fn one_team_upserted(backend: Backend) -> TestApp {
    let app = spawn_app_with(backend, |_| {}).await;
    app.directory()
        .upsert_team(pb::UpsertTeamRequest {
            team: Some(pb::Team {
                team_id: "north".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    assert_eq!(app.count_rows("audit_events").await, 1);
    app
}

async fn the_database_refuses_to_rewrite_the_audit_trail(backend: Backend) {
    let app = one_team_upserted(backend).await;
    let connection = app.database.connection();
    let backend_kind = connection.get_database_backend();

    for statement in [
        "UPDATE audit_events SET principal = 'someone else'",
        "DELETE FROM audit_events",
    ] {
        let outcome = connection
            .execute(Statement::from_string(backend_kind, statement))
            .await;
        assert!(outcome.is_err(), "{statement} was allowed");
    }
    let events =
        kpi_service::storage::audit::list(app.database.connection(), &Default::default(), 10)
            .await
            .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.principal, "anonymous", "unchanged");
}

async fn without_authentication_the_anonymous_principal_is_audited(backend: Backend) {
    let app = one_team_upserted(backend).await;

    let events =
        kpi_service::storage::audit::list(app.database.connection(), &Default::default(), 10)
            .await
            .unwrap();

    assert_eq!(
        events[0].actor.principal, "anonymous",
        "mode none audits the anonymous principal"
    );
}
