//! Racing deliveries: outcomes say what each call did, and the rollups
//! count every record once, as it is stored.

use kpi_service::{grpc::pb, storage::entities};
use sea_orm::EntityTrait;

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend},
        directory::{add_team, put_agent},
        ingest::{ingest_interactions, interactions, outcomes},
        periods::month,
        records::interaction,
        rollups::assert_rollups_verify,
        scorecards::{agent_scorecard, kpi},
    },
};

on_both_backends!(
    concurrent_identical_deliveries_create_each_record_once,
    racing_corrections_of_one_row_leave_the_rollups_equal_to_the_stored_revision,
);

async fn concurrent_identical_deliveries_create_each_record_once(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    // Known already: registering a new agent would itself serialise the race.
    put_agent(&app, "ana", "red").await;
    let batch: Vec<pb::Interaction> = (0..200)
        .map(|n| interaction(&format!("race-{n}"), "ana"))
        .collect();
    let senders = 16;
    let calls = (0..senders).map(|_| {
        let mut client = app.ingest();
        let request = interactions(batch.clone());
        tokio::spawn(async move { client.ingest_interactions(request).await })
    });
    let mut created = 0;
    let mut unchanged = 0;
    for call in calls {
        let reply = call.await.unwrap().expect("a racing delivery failed");
        for outcome in outcomes(&reply.into_inner().results) {
            match outcome {
                pb::IngestOutcome::Created => created += 1,
                pb::IngestOutcome::Unchanged => unchanged += 1,
                other => panic!("unexpected outcome {other:?}"),
            }
        }
    }
    assert_eq!((created, unchanged), (200, 200 * (senders - 1)));
    let scorecard = agent_scorecard(&app, "ana", month("2026-11")).await;
    assert_eq!(kpi(&scorecard, "contacts_handled").value, Some(200.0));
    assert_eq!(kpi(&scorecard, "aht").numerator, 200.0 * 300.0);
}

/// Rounds of racing corrections, and calls corrected in each.
const ROUNDS: usize = 20;
const CALLS_PER_ROUND: usize = 20;

/// Correction A: 100 s talk (handle 100 + 20 + 40 = 160 s), escalated.
fn correction_a(external_id: &str) -> pb::Interaction {
    pb::Interaction {
        talk_seconds: 100,
        escalated: true,
        ..interaction(external_id, "ana")
    }
}

/// Correction B: 500 s talk (handle 560 s), a complaint.
fn correction_b(external_id: &str) -> pb::Interaction {
    pb::Interaction {
        talk_seconds: 500,
        complaint: true,
        ..interaction(external_id, "ana")
    }
}

/// Two different corrections of the same stored rows, sent at once, each
/// compute their rollup deltas from the row they replace; unless the
/// second waits for the first (the per-key locks on PostgreSQL), both
/// start from the original (300 s, no flags) and the rollups end up with
/// A + B - original instead of the revision that was stored last.
async fn racing_corrections_of_one_row_leave_the_rollups_equal_to_the_stored_revision(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    put_agent(&app, "ana", "").await;
    for round in 0..ROUNDS {
        let ids: Vec<String> = (0..CALLS_PER_ROUND)
            .map(|n| format!("r{round}-{n}"))
            .collect();
        ingest_interactions(&app, ids.iter().map(|id| interaction(id, "ana")).collect()).await;
        let racers = [
            ids.iter().map(|id| correction_a(id)).collect::<Vec<_>>(),
            ids.iter().map(|id| correction_b(id)).collect::<Vec<_>>(),
        ]
        .map(|batch| {
            let mut client = app.ingest();
            tokio::spawn(async move { client.ingest_interactions(interactions(batch)).await })
        });
        for racer in racers {
            let reply = racer.await.unwrap().expect("a racing correction failed");
            assert!(
                outcomes(&reply.into_inner().results)
                    .iter()
                    .all(|outcome| *outcome == pb::IngestOutcome::Updated),
                "round {round}: each correction changes the row it finds"
            );
        }
    }

    // What is stored decides the expected numbers: a row is A or B.
    let rows = entities::interaction::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap();
    let total = ROUNDS * CALLS_PER_ROUND;
    assert_eq!(rows.len(), total);
    let stored_as_a = rows.iter().filter(|row| row.talk_seconds == 100).count();
    let stored_as_b = rows.iter().filter(|row| row.talk_seconds == 500).count();
    assert_eq!(stored_as_a + stored_as_b, total, "every row is A or B");
    let scorecard = agent_scorecard(&app, "ana", month("2026-11")).await;
    assert_eq!(
        kpi(&scorecard, "contacts_handled").value,
        Some(total as f64)
    );
    assert_eq!(
        kpi(&scorecard, "aht").numerator,
        (160 * stored_as_a + 560 * stored_as_b) as f64,
        "handle seconds of the stored revisions"
    );
    assert_eq!(
        kpi(&scorecard, "escalation_rate").numerator,
        stored_as_a as f64
    );
    assert_eq!(
        kpi(&scorecard, "complaint_rate").numerator,
        stored_as_b as f64
    );
    // Every call ended on 2026-11-02: one day to verify.
    assert_rollups_verify(&app, "UTC", 1).await;
}
