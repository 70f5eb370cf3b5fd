//! `kpi.v1.ChangeService`: the scorecard change feed. Protobuf <-> domain
//! only; the use cases are `service::changes::ChangeFeed`.

use crate::grpc::reply::reply;
use std::{collections::HashMap, str::FromStr, sync::Arc};

use chrono_tz::Tz;
use futures_util::StreamExt;
use tonic::{Request, Response, Status};

use super::{
    directory::timestamp,
    fields::{FieldParser, MAX_ID_LEN},
    kpi_results::scorecard_to_pb,
    log_outcome, pb,
    period::period_to_pb,
};
use crate::{
    auth::Caller,
    domain::{
        changes::{ChangeCause, ChangeFilter, PeriodKind, SubjectKind},
        kpi::KpiId,
        policy::KpiStatus,
        scorecard::Scorecard,
        violations::{indexed, Violations},
    },
    error::ServiceError,
    service::changes::{ChangeFeed, CursorChange, ListQuery, WatchEvent},
};

/// Most ids in one filter list.
const MAX_FILTER_IDS: usize = 100;

/// The change service.
#[derive(Clone)]
pub struct ChangeApi {
    feed: ChangeFeed,
    zone: Tz,
}

impl ChangeApi {
    pub fn new(feed: ChangeFeed, zone: Tz) -> Self {
        Self { feed, zone }
    }
}

fn status_from_pb(value: i32) -> Option<KpiStatus> {
    Some(match pb::KpiStatus::try_from(value).ok()? {
        pb::KpiStatus::Met => KpiStatus::Met,
        pb::KpiStatus::AtRisk => KpiStatus::AtRisk,
        pb::KpiStatus::Breached => KpiStatus::Breached,
        pb::KpiStatus::InsufficientData => KpiStatus::InsufficientData,
        pb::KpiStatus::NoTarget => KpiStatus::NoTarget,
        pb::KpiStatus::Unspecified => return None,
    })
}

fn ids(parser: &mut FieldParser<'_>, field: &str, values: &[String]) -> Vec<String> {
    if values.len() > MAX_FILTER_IDS {
        parser.violation(
            field,
            format!("{field} may name at most {MAX_FILTER_IDS} ids"),
        );
        return Vec::new();
    }
    values
        .iter()
        .enumerate()
        .map(|(index, value)| parser.required_id(&indexed(field, index), value, MAX_ID_LEN))
        .collect()
}

/// The filter of a request, every problem a violation under `filter.`.
fn parse_filter(filter: Option<&pb::ScorecardChangeFilter>) -> Result<ChangeFilter, ServiceError> {
    let Some(filter) = filter else {
        return Ok(ChangeFilter::default());
    };
    let mut violations = Violations::new();
    let mut parser = FieldParser::new("filter", &mut violations);
    let agent_ids = ids(&mut parser, "agent_ids", &filter.agent_ids);
    let team_ids = ids(&mut parser, "team_ids", &filter.team_ids);
    let mut kpis = Vec::new();
    for (index, kpi_id) in filter.kpi_ids.iter().enumerate() {
        match KpiId::from_str(kpi_id) {
            Ok(kpi) => kpis.push(kpi),
            Err(_) => parser.violation(
                &indexed("kpi_ids", index),
                "unknown KPI id; ScorecardService.ListKpis lists the ids",
            ),
        }
    }
    let mut into_statuses = Vec::new();
    for (index, status) in filter.into_statuses.iter().enumerate() {
        match status_from_pb(*status) {
            Some(status) => into_statuses.push(status),
            None => parser.violation(
                &indexed("into_statuses", index),
                "must be a KpiStatus other than KPI_STATUS_UNSPECIFIED",
            ),
        }
    }
    let month = if filter.month.is_empty() {
        None
    } else if chrono::NaiveDate::parse_from_str(&format!("{}-01", filter.month), "%Y-%m-%d").is_ok()
        && filter.month.len() == 7
    {
        Some(filter.month.clone())
    } else {
        parser.violation("month", "month must be \"YYYY-MM\"");
        None
    };
    let committed_since =
        parser.optional_instant("committed_since", filter.committed_since.as_ref());
    violations
        .into_result(ChangeFilter {
            agent_ids,
            team_ids,
            kpis,
            into_statuses,
            month,
            committed_since,
            scope_teams: None,
        })
        .map_err(ServiceError::invalid_fields)
}

/// Each scorecard's results as a read returns them, converted once for
/// all the changes of a message that share it.
#[derive(Default)]
struct Results {
    by_scorecard: HashMap<usize, Vec<pb::KpiResult>>,
}

impl Results {
    fn result(&mut self, scorecard: &Arc<Scorecard>, index: usize, zone: Tz) -> pb::KpiResult {
        self.by_scorecard
            .entry(Arc::as_ptr(scorecard) as usize)
            .or_insert_with(|| scorecard_to_pb(scorecard, zone).kpis)
            .get(index)
            .cloned()
            .unwrap_or_default()
    }
}

fn cause_to_pb(cause: &ChangeCause) -> pb::ChangeCause {
    match cause {
        ChangeCause::Ingest { record_kind } => pb::ChangeCause {
            kind: pb::ChangeCauseKind::Ingest as i32,
            record_kind: record_kind.clone(),
            ..Default::default()
        },
        ChangeCause::PolicyVersion { policy_version_id } => pb::ChangeCause {
            kind: pb::ChangeCauseKind::PolicyVersion as i32,
            policy_version_id: *policy_version_id,
            ..Default::default()
        },
        ChangeCause::TeamMove { agent_id } => pb::ChangeCause {
            kind: pb::ChangeCauseKind::TeamMove as i32,
            moved_agent_id: agent_id.clone(),
            ..Default::default()
        },
    }
}

fn change_to_pb(item: &CursorChange, results: &mut Results, zone: Tz) -> pb::ScorecardChange {
    let change = &item.change;
    let (subject_kind, agent_id) = match change.subject_kind {
        SubjectKind::Agent => (pb::ChangeSubjectKind::Agent, change.subject_id.clone()),
        SubjectKind::Team => (pb::ChangeSubjectKind::Team, String::new()),
    };
    pb::ScorecardChange {
        cursor: item.cursor.clone(),
        commit_time: Some(timestamp(change.committed_at)),
        subject_kind: subject_kind as i32,
        agent_id,
        team_id: change.team_id.clone().unwrap_or_default(),
        period_kind: match change.period_kind {
            PeriodKind::Day => pb::ChangePeriodKind::Day,
            PeriodKind::Month => pb::ChangePeriodKind::Month,
        } as i32,
        period: Some(period_to_pb(&change.after.period, zone)),
        kpi_id: change.kpi.as_str().to_owned(),
        before: Some(results.result(&change.before, change.index, zone)),
        after: Some(results.result(&change.after, change.index, zone)),
        cause: Some(cause_to_pb(&change.cause)),
    }
}

fn changes_to_pb(changes: &[CursorChange], zone: Tz) -> Vec<pb::ScorecardChange> {
    let mut results = Results::default();
    changes
        .iter()
        .map(|change| change_to_pb(change, &mut results, zone))
        .collect()
}

fn event_to_pb(event: WatchEvent, zone: Tz) -> pb::WatchScorecardChangesResponse {
    pb::WatchScorecardChangesResponse {
        changes: changes_to_pb(&event.changes, zone),
        progress_cursor: event.progress,
    }
}

/// The request fields a page token is bound to.
fn fingerprint_parts(request: &pb::ListScorecardChangesRequest) -> Vec<String> {
    let filter = request.filter.clone().unwrap_or_default();
    vec![
        filter.agent_ids.join("\u{1f}"),
        filter.team_ids.join("\u{1f}"),
        filter.kpi_ids.join("\u{1f}"),
        format!("{:?}", filter.into_statuses),
        filter.month,
        format!("{:?}", filter.committed_since),
        request.since_cursor.clone(),
    ]
}

type WatchStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<pb::WatchScorecardChangesResponse, Status>> + Send>,
>;

#[tonic::async_trait]
impl pb::change_service_server::ChangeService for ChangeApi {
    type WatchScorecardChangesStream = WatchStream;

    async fn watch_scorecard_changes(
        &self,
        request: Request<pb::WatchScorecardChangesRequest>,
    ) -> Result<Response<Self::WatchScorecardChangesStream>, Status> {
        let caller = Caller::of(&request);
        let request = request.into_inner();
        let filter = parse_filter(request.filter.as_ref());
        let zone = self.zone;
        let opened = self
            .feed
            .watch(&caller, filter, request.since_cursor)
            .await
            .map(|stream| -> WatchStream {
                Box::pin(stream.map(move |item| match item {
                    Ok(event) => Ok(event_to_pb(event, zone)),
                    Err(error) => Err(Status::from(error)),
                }))
            });
        log_outcome("WatchScorecardChanges", opened).map(Response::new)
    }

    async fn list_scorecard_changes(
        &self,
        request: Request<pb::ListScorecardChangesRequest>,
    ) -> Result<Response<pb::ListScorecardChangesResponse>, Status> {
        let caller = Caller::of(&request);
        let request = request.into_inner();
        let query = parse_filter(request.filter.as_ref()).map(|filter| ListQuery {
            filter,
            fingerprint_parts: fingerprint_parts(&request),
            since_cursor: request.since_cursor.clone(),
            page_token: request.page_token.clone(),
            page_size: request.page_size,
        });
        let zone = self.zone;
        let page =
            self.feed
                .list(&caller, query)
                .await
                .map(|page| pb::ListScorecardChangesResponse {
                    changes: changes_to_pb(&page.changes, zone),
                    next_page_token: page.next_page_token,
                    resume_cursor: page.resume_cursor,
                    latest_cursor: page.latest_cursor,
                });
        log_outcome("ListScorecardChanges", page).map(reply)
    }
}
