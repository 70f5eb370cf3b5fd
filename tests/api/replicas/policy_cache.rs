//! The policy cache of one replica follows versions created on another:
//! the creating transaction announces the version (`NOTIFY`) and every
//! replica listens. Each round warms the reading replica's cache with a
//! read just before the other replica creates a version, so a cache that
//! missed the announcement would judge by the previous one until its age
//! ran out.

use std::time::Duration;

use kpi_service::{grpc::pb, storage::policy_cache::MAX_AGE};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::{Replica, Replicas};
use crate::{
    kpi_fixtures::{at_most, call, kpi, policy_id},
    support::databases::Cleanup,
};

/// The month every scorecard here reads.
const MONTH: &str = "2025-03";

/// Rounds per test: a stale cache shows in the first round it is read.
const ROUNDS: usize = 30;

/// How long a replica may take to listen again after its connection was cut.
const RELISTEN_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a reader may serve the previous version after a new one was
/// acknowledged: generous for a loaded machine (the announcement takes
/// milliseconds), and far below the cache's own [`MAX_AGE`], so that only
/// an announcement (or reading through while not listening) gets there.
const FOLLOW_TIMEOUT: Duration = Duration::from_secs(10);
const _: () = assert!(FOLLOW_TIMEOUT.as_secs() * 2 <= MAX_AGE.as_secs());

/// Two calls of `ana` in [`MONTH`] with a handle time of 460 s each.
async fn ingest_slow_calls(replica: &Replica) {
    let calls = ["a", "b"]
        .map(|suffix| pb::Interaction {
            talk_seconds: 400,
            ..call(
                &format!("slow-{suffix}"),
                "ana",
                &format!("{MONTH}-10T10:00:00Z"),
            )
        })
        .to_vec();
    replica
        .ingest_interactions(calls)
        .await
        .expect("ingest failed");
}

/// An organisation policy from the month's first day whose AHT target is
/// met by 460 s (`lenient`) or breached by it.
async fn create_aht_policy(replica: &Replica, lenient: bool) -> i64 {
    let bound = if lenient { 500.0 } else { 300.0 };
    replica
        .policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            request_id: String::new(),
            policy: Some(pb::PolicyVersion {
                effective_from: format!("{MONTH}-01"),
                rules: vec![at_most("aht", bound)],
                bonus_threshold: 0.0,
                ..Default::default()
            }),
        })
        .await
        .expect("creating the policy failed")
        .into_inner()
        .policy
        .expect("no policy returned")
        .policy_version_id
}

async fn effective_policy_id(replica: &Replica) -> i64 {
    replica
        .policies()
        .get_effective_policy(pb::GetEffectivePolicyRequest {
            team_id: String::new(),
            date: format!("{MONTH}-15"),
        })
        .await
        .expect("reading the effective policy failed")
        .into_inner()
        .policy
        .expect("no policy returned")
        .policy_version_id
}

/// What a reader served after a version was created elsewhere.
struct Followed {
    /// The very next read judged by the new version.
    at_once: bool,
}

/// `reader` has just read the month (its cache is warm) when `writer`
/// creates a version that flips AHT's status: `reader` reports it at once
/// through GetEffectivePolicy (read afresh), and its scorecards judge by it
/// as soon as the announcement arrived: at once, or after a few reads, and
/// well before the cache's [`MAX_AGE`] could have expired it.
async fn assert_reader_follows(writer: &Replica, reader: &Replica, round: usize) -> Followed {
    let lenient = round.is_multiple_of(2);
    // Warms the reader's cache.
    reader.agent_scorecard("ana", MONTH).await;
    let created = create_aht_policy(writer, lenient).await;
    assert_eq!(
        effective_policy_id(reader).await,
        created,
        "round {round}: GetEffectivePolicy reports it at once"
    );
    let deadline = tokio::time::Instant::now() + FOLLOW_TIMEOUT;
    let mut scorecard = reader.agent_scorecard("ana", MONTH).await;
    let at_once = policy_id(&scorecard) == created;
    while policy_id(&scorecard) != created {
        assert!(
            tokio::time::Instant::now() < deadline,
            "round {round}: the reader still judges by version {} {FOLLOW_TIMEOUT:?} after \
             version {created} was acknowledged",
            policy_id(&scorecard)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        scorecard = reader.agent_scorecard("ana", MONTH).await;
    }
    let expected = if lenient {
        pb::KpiStatus::Met
    } else {
        pb::KpiStatus::Breached
    };
    assert_eq!(
        kpi(&scorecard, "aht").status,
        expected as i32,
        "round {round}: AHT 460 s against the new version"
    );
    Followed { at_once }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_version_created_on_one_replica_judges_the_reads_of_another_within_moments() {
    let replicas = Replicas::start(2).await;
    let (writer, reader) = (&replicas[0], &replicas[1]);
    ingest_slow_calls(writer).await;
    let mut at_once = 0;
    for round in 0..ROUNDS {
        at_once += usize::from(assert_reader_follows(writer, reader, round).await.at_once);
    }
    // The announcement races the client's next call to the other replica;
    // it loses only when the database or the reader is slow to schedule
    // it (a few rounds in thirty on a loaded machine). A cache that waited
    // for its age to expire would lose every round.
    assert!(
        at_once * 2 >= ROUNDS,
        "only {at_once} of {ROUNDS} reads right after a version was created judged by it"
    );
}

/// A connection to the replicas' database.
async fn database_of(replicas: &Replicas) -> (DatabaseConnection, String) {
    let Cleanup::PostgresDatabase { admin_url, name } = &replicas._cleanup else {
        panic!("replicas run on PostgreSQL");
    };
    let admin = sea_orm::Database::connect(admin_url.as_str())
        .await
        .expect("cannot connect to PostgreSQL");
    (admin, name.clone())
}

/// How many sessions of the database listen for policy versions.
async fn listening_sessions(admin: &DatabaseConnection, database: &str) -> i64 {
    let row = admin
        .query_one(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT COUNT(*) AS n FROM pg_stat_activity \
             WHERE datname = $1 AND query LIKE 'LISTEN %'",
            [database.into()],
        ))
        .await
        .expect("reading pg_stat_activity failed")
        .expect("no row");
    row.try_get("", "n").expect("no count")
}

/// Cuts every listening session of the database, as a database restart or
/// a network fault would, and waits until they are gone.
async fn cut_listeners(admin: &DatabaseConnection, database: &str) {
    admin
        .execute(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND query LIKE 'LISTEN %'",
            [database.into()],
        ))
        .await
        .expect("terminating the listeners failed");
    while listening_sessions(admin, database).await > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_until_listening(admin: &DatabaseConnection, database: &str) {
    let deadline = tokio::time::Instant::now() + RELISTEN_TIMEOUT;
    while listening_sessions(admin, database).await == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replica did not listen again within {RELISTEN_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_whose_listening_connection_was_cut_still_follows_new_versions() {
    let replicas = Replicas::start(2).await;
    let (writer, reader) = (&replicas[0], &replicas[1]);
    let (admin, database) = database_of(&replicas).await;
    ingest_slow_calls(writer).await;
    // Only the reader serves scorecards, so its listener is the only one.
    assert_reader_follows(writer, reader, 0).await;
    wait_until_listening(&admin, &database).await;
    for round in 1..=3 {
        // Announcements sent while it is cut are lost: the reader must not
        // keep judging by what it loaded before.
        cut_listeners(&admin, &database).await;
        assert_reader_follows(writer, reader, round).await;
        // Once it listens again, it follows announcements.
        wait_until_listening(&admin, &database).await;
        assert_reader_follows(writer, reader, round + 10).await;
    }
    let _ = admin.close().await;
}
