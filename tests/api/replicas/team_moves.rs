//! A team move on one replica racing a close on another: the move either
//! commits before the close reads (and the snapshot attributes the month
//! to the new team) or sees the month closed and is refused (and the
//! snapshot keeps the old team); never acknowledged but missing from the
//! snapshot. Each round moves the agent back dated to the first day of a
//! new month while that month is closed.

use std::sync::Arc;

use kpi_service::grpc::pb::{self, directory_service_client::DirectoryServiceClient};
use tonic::Code;

use super::{Replica, Replicas};
use crate::{
    helpers::error_reason,
    kpi_fixtures::{call, kpi, month},
};

/// Calls of `ana` ingested in each round's month.
const CALLS_PER_MONTH: usize = 3;

async fn upsert_team(replica: &Replica, team_id: &str) {
    DirectoryServiceClient::new(replica.channel.clone())
        .upsert_team(pb::UpsertTeamRequest {
            team: Some(pb::Team {
                team_id: team_id.into(),
                ..Default::default()
            }),
        })
        .await
        .expect("creating the team failed");
}

/// Moves `ana` to `team_id` from `effective_from`.
async fn move_ana(
    replica: &Replica,
    team_id: &str,
    effective_from: &str,
) -> Result<pb::Agent, tonic::Status> {
    DirectoryServiceClient::new(replica.channel.clone())
        .upsert_agent(pb::UpsertAgentRequest {
            agent: Some(pb::Agent {
                agent_id: "ana".into(),
                team_id: team_id.into(),
                ..Default::default()
            }),
            team_effective_from: effective_from.into(),
        })
        .await
        .map(|response| response.into_inner().agent.expect("no agent returned"))
}

/// The calls `team_id` handled in `month_key`: from the snapshot, or
/// computed from today's data when `live`.
async fn calls_of_team(replica: &Replica, team_id: &str, month_key: &str, live: bool) -> f64 {
    let scorecard = replica
        .scorecards()
        .get_team_scorecard(pb::GetTeamScorecardRequest {
            team_id: team_id.into(),
            period: Some(month(month_key)),
            live,
            ..Default::default()
        })
        .await
        .expect("reading the team scorecard failed")
        .into_inner()
        .scorecard
        .expect("no scorecard returned");
    assert_eq!(scorecard.snapshot.is_some(), !live, "{month_key} {team_id}");
    kpi(&scorecard, "contacts_handled")
        .value
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_team_move_racing_a_close_is_refused_or_frozen_never_lost() {
    let replicas = Arc::new(Replicas::start(2).await);
    let (mover, closer) = (&replicas[0], &replicas[1]);
    upsert_team(mover, "red").await;
    upsert_team(mover, "blue").await;
    move_ana(mover, "red", "")
        .await
        .expect("placing ana in red failed");
    let (mut refused, mut frozen_in) = (0, 0);
    let mut current = "red";
    for month_number in 1..=10 {
        let month_key = format!("2021-{month_number:02}");
        let calls = (0..CALLS_PER_MONTH)
            .map(|index| {
                call(
                    &format!("{month_key}-{index}"),
                    "ana",
                    &format!("{month_key}-1{index}T10:00:00Z"),
                )
            })
            .collect();
        mover
            .ingest_interactions(calls)
            .await
            .expect("ingest failed");
        let target = if current == "red" { "blue" } else { "red" };
        let moving = {
            let replicas = replicas.clone();
            let effective_from = format!("{month_key}-01");
            tokio::spawn(async move { move_ana(&replicas[0], target, &effective_from).await })
        };
        closer.close(&month_key).await;
        let moved = moving.await.expect("the moving task failed");
        let owner = match moved {
            Ok(agent) => {
                assert_eq!(agent.team_id, target, "{month_key}");
                frozen_in += 1;
                target
            }
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                assert_eq!(error_reason(&status).as_deref(), Some("PERIOD_CLOSED"));
                refused += 1;
                current
            }
        };
        let other = if owner == "red" { "blue" } else { "red" };
        let handled = CALLS_PER_MONTH as f64;
        for live in [false, true] {
            assert_eq!(
                calls_of_team(closer, owner, &month_key, live).await,
                handled,
                "{month_key}: {owner} handled the month's calls (live: {live})"
            );
            assert_eq!(
                calls_of_team(closer, other, &month_key, live).await,
                0.0,
                "{month_key}: {other} handled none (live: {live})"
            );
        }
        current = owner;
    }
    assert_eq!(refused + frozen_in, 10);
}
