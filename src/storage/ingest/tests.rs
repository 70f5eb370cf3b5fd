//! The database's own revision guard, and the plain insert of new keys,
//! on both backends: each backend's exact answer.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::*;
use crate::{
    configuration::Settings,
    domain::records::{Channel, NewInteraction, RecordMeta},
    storage::{entities::interaction, Database},
};

fn the_key() -> RecordKey {
    RecordKey {
        source: "pbx".into(),
        external_id: "call-1".into(),
    }
}

fn call(revision: i64, talk_seconds: i64) -> (NewInteraction, RowContext) {
    let instant = DateTime::<Utc>::from_timestamp(1_793_000_000, 0).unwrap();
    let record = NewInteraction {
        meta: RecordMeta {
            key: the_key(),
            revision: Some(revision),
            voided: false,
        },
        agent_id: "ana".into(),
        team_id: None,
        channel: Channel::Phone,
        queued_at: instant,
        first_response_at: None,
        ended_at: instant,
        resolved_at: None,
        sla_due_at: None,
        talk_seconds,
        hold_seconds: 0,
        after_contact_work_seconds: 0,
        resolved: false,
        first_contact_resolved: false,
        escalated: false,
        transferred: false,
        agent_error: false,
        complaint: false,
    };
    let context = RowContext {
        revision: Some(revision),
        content_hash: record.fingerprint(),
        now_us: 0,
        team_id: None,
    };
    (record, context)
}

/// The database the guard is checked on: an in-memory SQLite, or a
/// fresh PostgreSQL database on `KPI_TEST_POSTGRES_URL`'s server (the
/// one the integration tests use), dropped afterwards.
async fn database(postgres: bool) -> (Database, Option<(String, String)>) {
    let mut settings = Settings::defaults().unwrap().database;
    settings.max_connections = 1;
    let mut created = None;
    if postgres {
        let admin_url = std::env::var("KPI_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("kpi_unit_guard_{}", std::process::id());
        let admin = sea_orm::Database::connect(admin_url.as_str())
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        let server = admin_url.rsplit_once('/').unwrap().0.to_owned();
        settings.url = format!("{server}/{name}");
        created = Some((admin_url, name));
    } else {
        settings.url = "sqlite::memory:".into();
    }
    let database = Database::connect(&settings).await.unwrap();
    database.migrate().await.unwrap();
    (database, created)
}

/// Upserts one revision of the call, as if it raced past the batch logic
/// (its key believed stored), and answers the keys the database wrote.
async fn write(database: &Database, revision: i64, talk_seconds: i64) -> Vec<RecordKey> {
    let (record, row) = call(revision, talk_seconds);
    let written = upsert_rows::<interaction::Entity>(
        database.connection(),
        vec![(record.meta.key.clone(), record.to_active_model(&row))],
        |_| false,
    )
    .await
    .unwrap();
    written.into_iter().collect()
}

/// The one stored row's (revision, talk seconds).
async fn stored(database: &Database) -> (Option<i64>, i64) {
    let stored = interaction::Entity::find()
        .all(database.connection())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    (stored[0].revision, stored[0].talk_seconds)
}

/// What a race between two batches looks like to the database: the
/// older revision's upsert arrives after the newer one was written,
/// without the batch logic having seen it.
#[tokio::test]
async fn the_database_refuses_an_older_revision_even_without_the_batch_logic() {
    for postgres in [false, true] {
        let (database, created) = database(postgres).await;
        let connection = database.connection();

        assert_eq!(write(&database, 5, 300).await, vec![the_key()]);
        assert_eq!(stored(&database).await, (Some(5), 300));
        // Both backends answer from the statement's own RETURNING: the
        // refused revision wrote nothing, so no key comes back.
        assert_eq!(write(&database, 3, 100).await, Vec::<RecordKey>::new());
        assert_eq!(stored(&database).await, (Some(5), 300));

        assert_eq!(write(&database, 6, 200).await, vec![the_key()]);
        assert_eq!(stored(&database).await, (Some(6), 200));

        // A key believed new but stored after all (a writer that took no
        // key lock).
        let (record, row) = call(7, 50);
        let believed_new = upsert_rows::<interaction::Entity>(
            connection,
            vec![(record.meta.key.clone(), record.to_active_model(&row))],
            |_| true,
        )
        .await;
        if postgres {
            // PostgreSQL's plain insert is refused as a conflict, which the
            // batch retries from the start; nothing changed.
            assert!(
                matches!(believed_new, Err(StorageError::Conflict(_))),
                "{believed_new:?}"
            );
            assert_eq!(stored(&database).await, (Some(6), 200));
        } else {
            // SQLite has no plain-insert path: the guarded upsert writes the
            // newer revision over the stored one.
            let written: Vec<RecordKey> = believed_new.unwrap().into_iter().collect();
            assert_eq!(written, vec![the_key()]);
            assert_eq!(stored(&database).await, (Some(7), 50));
        }

        database.close().await;
        if let Some((admin_url, name)) = created {
            let admin = sea_orm::Database::connect(admin_url.as_str())
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .await
                .unwrap();
        }
    }
}
