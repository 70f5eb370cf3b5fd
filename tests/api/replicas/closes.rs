//! A close on one replica while others change what it freezes. Each test
//! runs many rounds, one month each (months close in order), because the
//! races it guards are a matter of milliseconds.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use tokio::sync::watch;

use kpi_service::grpc::pb;
use tonic::Code;

use super::{Replica, Replicas};
use crate::{
    helpers::error_reason,
    kpi_fixtures::{at_most, call, kpi},
};

/// Handle time of the calls here: 400 s talk + 20 s hold + 40 s wrap-up.
const SLOW_CALL_TALK_SECONDS: i64 = 400;

/// A call of `agent_id` on the 10th of `month` with a handle time of 460 s:
/// BREACHED by the catalogue's default AHT target (at most 300 s), MET by
/// a policy that allows 500 s.
fn slow_call(external_id: &str, agent_id: &str, month: &str) -> pb::Interaction {
    pb::Interaction {
        talk_seconds: SLOW_CALL_TALK_SECONDS,
        ..call(external_id, agent_id, &format!("{month}-10T10:00:00Z"))
    }
}

async fn create_lenient_aht_policy(
    replica: &Replica,
    effective_from: &str,
) -> Result<pb::PolicyVersion, tonic::Status> {
    create_aht_policy(replica, effective_from, 500.0).await
}

/// Stores an organisation policy with one rule, AHT at most `max_aht`
/// seconds, effective from `effective_from`.
async fn create_aht_policy(
    replica: &Replica,
    effective_from: &str,
    max_aht: f64,
) -> Result<pb::PolicyVersion, tonic::Status> {
    replica
        .policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            request_id: String::new(),
            policy: Some(pb::PolicyVersion {
                effective_from: effective_from.into(),
                rules: vec![at_most("aht", max_aht)],
                bonus_threshold: 0.0,
                ..Default::default()
            }),
        })
        .await
        .map(|response| response.into_inner().policy.expect("no policy returned"))
}

/// The months of `year`, `YYYY-MM`, in order.
fn months(year: i32, count: u32) -> Vec<String> {
    (1..=count).map(|m| format!("{year}-{m:02}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_close_freezes_the_policy_another_replica_created_just_before() {
    let replicas = Replicas::start(2).await;
    let (writer, closer) = (&replicas[0], &replicas[1]);
    for (round, month_key) in months(2024, 10).iter().enumerate() {
        writer
            .ingest_interactions(vec![
                slow_call(&format!("{month_key}-a"), "ana", month_key),
                slow_call(&format!("{month_key}-b"), "ana", month_key),
            ])
            .await
            .expect("ingest failed");
        // Each round's policy flips the verdict on AHT 460 s: the lenient
        // one (500 s) makes it MET, the strict one (300 s) BREACHED. The
        // closing replica has just read the month (and so its policies), as
        // a busy replica has. (That a live read follows a policy created
        // elsewhere is `policy_cache.rs`'s business.)
        let (max_aht, expected) = if round % 2 == 0 {
            (500.0, pb::KpiStatus::Met)
        } else {
            (300.0, pb::KpiStatus::Breached)
        };
        closer.agent_scorecard("ana", month_key).await;
        let created = create_aht_policy(writer, &format!("{month_key}-01"), max_aht)
            .await
            .expect("creating the policy failed");
        closer.close(month_key).await;

        let frozen = writer.agent_scorecard("ana", month_key).await;
        assert!(
            frozen.snapshot.is_some(),
            "round {round}: read from the snapshot"
        );
        assert_eq!(
            frozen
                .policy
                .as_ref()
                .map(|policy| policy.policy_version_id),
            Some(created.policy_version_id),
            "round {round}: the close froze the policy acknowledged before it was asked for"
        );
        assert_eq!(
            kpi(&frozen, "aht").status,
            expected as i32,
            "round {round}: AHT 460 s judged by the new policy"
        );
    }
}

/// Ingests batches of 10 calls in `month_key` until `stop`, counting the
/// calls acknowledged in `acknowledged`.
async fn ingest_until_stopped(
    writer: &Replica,
    month_key: String,
    stop: Arc<AtomicBool>,
    acknowledged: watch::Sender<i64>,
) {
    let mut batch = 0;
    while !stop.load(Ordering::Acquire) {
        let calls: Vec<pb::Interaction> = (0..10)
            .map(|index| slow_call(&format!("{month_key}-{batch}-{index}"), "ana", &month_key))
            .collect();
        if writer.ingest_interactions(calls).await.is_ok() {
            acknowledged.send_modify(|count| *count += 10);
        }
        batch += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_late_record_is_in_the_snapshot_or_in_the_adjustment_report() {
    let replicas = Arc::new(Replicas::start(2).await);
    for month_key in months(2023, 5) {
        let stop = Arc::new(AtomicBool::new(false));
        let (counter, mut acknowledged) = watch::channel(0_i64);
        let ingesting = {
            let replicas = replicas.clone();
            let (month_key, stop) = (month_key.clone(), stop.clone());
            tokio::spawn(async move {
                ingest_until_stopped(&replicas[0], month_key, stop, counter).await;
            })
        };
        let reached = |count: i64| move |acknowledged: &i64| *acknowledged >= count;
        acknowledged
            .wait_for(reached(30))
            .await
            .expect("ingest stopped");
        replicas[1].close(&month_key).await;
        let after_close = *acknowledged.borrow();
        acknowledged
            .wait_for(reached(after_close + 30))
            .await
            .expect("ingest stopped");
        stop.store(true, Ordering::Release);
        ingesting.await.expect("the ingesting task failed");
        let acknowledged = *acknowledged.borrow();

        let frozen = replicas[1].agent_scorecard("ana", &month_key).await;
        let in_snapshot = kpi(&frozen, "contacts_handled").value.unwrap_or_default() as i64;
        let adjustments = replicas[0]
            .periods()
            .list_adjustments(pb::ListAdjustmentsRequest {
                month: month_key.clone(),
                ..Default::default()
            })
            .await
            .expect("listing adjustments failed")
            .into_inner();
        assert_eq!(
            in_snapshot + adjustments.records_changed_since_snapshot,
            acknowledged,
            "{month_key}: {in_snapshot} calls in the snapshot and {} counted late, of \
             {acknowledged} acknowledged",
            adjustments.records_changed_since_snapshot,
        );
        assert!(
            in_snapshot >= 30,
            "{month_key}: the calls acknowledged before the close"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_policy_created_while_a_close_runs_is_refused_or_frozen_never_lost() {
    let replicas = Arc::new(Replicas::start(2).await);
    let (mut refused, mut frozen_in) = (0, 0);
    // The version in force before each round: none (0) at first.
    let mut in_force = 0;
    for month_key in months(2022, 10) {
        replicas[0]
            .ingest_interactions(vec![slow_call(
                &format!("{month_key}-a"),
                "ana",
                &month_key,
            )])
            .await
            .expect("ingest failed");
        let creating = {
            let replicas = replicas.clone();
            let effective_from = format!("{month_key}-01");
            tokio::spawn(
                async move { create_lenient_aht_policy(&replicas[0], &effective_from).await },
            )
        };
        replicas[1].close(&month_key).await;
        let created = creating.await.expect("the creating task failed");
        let frozen = replicas[1].agent_scorecard("ana", &month_key).await;
        let frozen_policy = frozen.policy.map(|policy| policy.policy_version_id);
        match created {
            Ok(version) => {
                assert_eq!(
                    frozen_policy,
                    Some(version.policy_version_id),
                    "{month_key}: a version acknowledged for the month is in its snapshot"
                );
                in_force = version.policy_version_id;
                frozen_in += 1;
            }
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                assert_eq!(error_reason(&status).as_deref(), Some("PERIOD_CLOSED"));
                assert_eq!(
                    frozen_policy,
                    Some(in_force),
                    "{month_key}: a refused version judges nothing; the one in force does"
                );
                refused += 1;
            }
        }
    }
    assert_eq!(refused + frozen_in, 10);
}
