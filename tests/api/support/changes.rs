//! The change feed from a client's side: paging through every change,
//! opening watches and reading them until enough changes arrived, and
//! finding one change among many.

use std::time::Duration;

use kpi_service::grpc::pb::{self, change_service_client::ChangeServiceClient};
use tonic::{transport::Channel, Streaming};

/// How long a test waits for a change to arrive.
pub const ARRIVAL: Duration = Duration::from_secs(20);

pub fn changes_client(channel: &Channel) -> ChangeServiceClient<Channel> {
    ChangeServiceClient::new(channel.clone())
}

/// A filter of the given agents and teams (empty lists: any).
pub fn subjects(agent_ids: &[&str], team_ids: &[&str]) -> pb::ScorecardChangeFilter {
    pb::ScorecardChangeFilter {
        agent_ids: agent_ids.iter().map(|id| (*id).to_owned()).collect(),
        team_ids: team_ids.iter().map(|id| (*id).to_owned()).collect(),
        ..Default::default()
    }
}

/// Every change after `since` (empty: from the oldest) that passes
/// `filter`, paging with `page_size`, and the resume cursor after them.
pub async fn list_all(
    channel: &Channel,
    filter: Option<pb::ScorecardChangeFilter>,
    since: &str,
    page_size: i32,
) -> (Vec<pb::ScorecardChange>, String) {
    let mut client = changes_client(channel);
    let mut changes = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_scorecard_changes(pb::ListScorecardChangesRequest {
                filter: filter.clone(),
                since_cursor: since.to_owned(),
                page_size,
                page_token: page_token.clone(),
            })
            .await
            .unwrap_or_else(|status| panic!("ListScorecardChanges failed: {status:?}"))
            .into_inner();
        changes.extend(page.changes);
        if page.next_page_token.is_empty() {
            return (changes, page.resume_cursor);
        }
        page_token = page.next_page_token;
    }
}

/// The cursor of the latest change now.
pub async fn latest_cursor(channel: &Channel) -> String {
    changes_client(channel)
        .list_scorecard_changes(pb::ListScorecardChangesRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("ListScorecardChanges failed")
        .into_inner()
        .latest_cursor
}

pub async fn watch(
    channel: &Channel,
    filter: Option<pb::ScorecardChangeFilter>,
    since: &str,
) -> Streaming<pb::WatchScorecardChangesResponse> {
    changes_client(channel)
        .watch_scorecard_changes(pb::WatchScorecardChangesRequest {
            filter,
            since_cursor: since.to_owned(),
        })
        .await
        .unwrap_or_else(|status| panic!("WatchScorecardChanges failed: {status:?}"))
        .into_inner()
}

/// Reads `stream` until at least `count` changes arrived (or `ARRIVAL`
/// passed: then it panics); returns them and the last progress cursor.
pub async fn receive(
    stream: &mut Streaming<pb::WatchScorecardChangesResponse>,
    count: usize,
) -> (Vec<pb::ScorecardChange>, String) {
    let mut changes = Vec::new();
    let mut progress = String::new();
    let deadline = tokio::time::Instant::now() + ARRIVAL;
    while changes.len() < count {
        let message = tokio::time::timeout_at(deadline, stream.message())
            .await
            .unwrap_or_else(|_| panic!("only {} of {count} changes arrived in time", changes.len()))
            .unwrap_or_else(|status| panic!("the stream failed: {status:?}"))
            .expect("the stream ended");
        changes.extend(message.changes);
        progress = message.progress_cursor;
    }
    (changes, progress)
}

/// The change of `kpi_id` for the subject and period kind, if any.
pub fn find<'a>(
    changes: &'a [pb::ScorecardChange],
    kind: pb::ChangeSubjectKind,
    subject_id: &str,
    period: pb::ChangePeriodKind,
    kpi_id: &str,
) -> Option<&'a pb::ScorecardChange> {
    changes.iter().rev().find(|change| {
        change.subject_kind == kind as i32
            && match kind {
                pb::ChangeSubjectKind::Team => change.team_id == subject_id,
                _ => change.agent_id == subject_id,
            }
            && change.period_kind == period as i32
            && change.kpi_id == kpi_id
    })
}

/// The value of a change's before or after result.
pub fn value(result: &Option<pb::KpiResult>) -> Option<f64> {
    result.as_ref().and_then(|result| result.value)
}

/// The status of a change's before or after result.
pub fn status(result: &Option<pb::KpiResult>) -> pb::KpiStatus {
    result
        .as_ref()
        .and_then(|result| pb::KpiStatus::try_from(result.status).ok())
        .unwrap_or(pb::KpiStatus::Unspecified)
}

/// The ErrorInfo metadata entry `key` of a status.
pub fn error_metadata(status: &tonic::Status, key: &str) -> Option<String> {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get(key).cloned())
}
