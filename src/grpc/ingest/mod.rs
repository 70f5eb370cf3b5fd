//! `kpi.v1.IngestService`: batches of records in, one outcome per item
//! out. The adapter parses each batch into domain records (`batch`, with
//! the parsers of `contacts` and `workforce`), hands it to the ingest use
//! case (`service::ingest`) and converts the outcomes back.

mod batch;
mod contacts;
mod workforce;

pub use batch::IngestLimits;

use crate::grpc::reply::reply;
use tonic::{Request, Response, Status};

use super::{fields::FieldParser, log_outcome, pb};
use crate::{
    auth::Caller,
    domain::ingest::IngestOutcome,
    error::ServiceError,
    service::ingest::{Ingest, IngestKind, IngestReport},
    telemetry::metrics::Metrics,
};
use batch::{parse_batch, ItemContext};

#[cfg(test)]
pub(super) mod parsers {
    //! The item parsers, for the property tests.
    pub use super::batch::{parse_batch, IngestLimits, ItemContext};
    pub use super::contacts::{interaction, qa_evaluation, survey_response};
    pub use super::workforce::{agent_time, compliance_check, training_assignment, violation};
}

/// The ingestion service.
#[derive(Clone)]
pub struct IngestApi {
    ingest: Ingest,
    limits: IngestLimits,
}

impl IngestApi {
    pub fn new(ingest: Ingest, limits: IngestLimits) -> Self {
        Self { ingest, limits }
    }

    /// Parses a batch, has the use case write it, and reports each item.
    /// The items' outcomes are counted in `metrics` (put into the request's
    /// extensions by the call-observing layer when metrics are on).
    async fn ingest<P, R: IngestKind>(
        &self,
        caller: &Caller,
        items: Vec<P>,
        parse_item: fn(P, &mut FieldParser<'_>, &ItemContext) -> Option<R>,
        metrics: Option<Metrics>,
    ) -> Result<IngestAnswer, ServiceError> {
        let item_count = items.len();
        let parsed = parse_batch(items, R::KIND, &self.limits, parse_item, |record: &R| {
            &record.meta().key
        });
        let records = match parsed {
            Ok(records) => records,
            Err(error) => {
                if let Some(metrics) = &metrics {
                    metrics.ingest_batch(R::KIND, std::iter::repeat_n("rejected", item_count));
                }
                return Err(error);
            }
        };
        let IngestReport {
            outcomes,
            registered_agent_ids,
            consistency_token,
        } = self.ingest.ingest(caller, &records).await?;
        if let Some(metrics) = &metrics {
            metrics.ingest_batch(
                R::KIND,
                outcomes.iter().map(|outcome| outcome_label(*outcome)),
            );
        }
        let results = records
            .iter()
            .zip(outcomes)
            .map(|(record, outcome)| pb::IngestResult {
                key: Some(pb::RecordKey {
                    source: record.meta().key.source.clone(),
                    external_id: record.meta().key.external_id.clone(),
                }),
                outcome: outcome_to_pb(outcome) as i32,
            })
            .collect();
        Ok(IngestAnswer {
            results,
            registered_agent_ids,
            consistency_token,
        })
    }
}

/// What every ingest response carries.
struct IngestAnswer {
    results: Vec<pb::IngestResult>,
    registered_agent_ids: Vec<String>,
    consistency_token: String,
}

/// The `outcome` label of `kpi_ingest_items_total`.
fn outcome_label(outcome: IngestOutcome) -> &'static str {
    match outcome {
        IngestOutcome::Created => "created",
        IngestOutcome::Updated => "updated",
        IngestOutcome::Unchanged => "unchanged",
        IngestOutcome::Stale => "stale",
        IngestOutcome::Voided => "voided",
    }
}

fn outcome_to_pb(outcome: IngestOutcome) -> pb::IngestOutcome {
    match outcome {
        IngestOutcome::Created => pb::IngestOutcome::Created,
        IngestOutcome::Updated => pb::IngestOutcome::Updated,
        IngestOutcome::Unchanged => pb::IngestOutcome::Unchanged,
        IngestOutcome::Stale => pb::IngestOutcome::Stale,
        IngestOutcome::Voided => pb::IngestOutcome::Voided,
    }
}

#[tonic::async_trait]
impl pb::ingest_service_server::IngestService for IngestApi {
    async fn ingest_interactions(
        &self,
        request: Request<pb::IngestInteractionsRequest>,
    ) -> Result<Response<pb::IngestInteractionsResponse>, Status> {
        let caller = Caller::of(&request);
        let metrics = request.extensions().get::<Metrics>().cloned();
        let items = request.into_inner().interactions;
        let result = self
            .ingest(&caller, items, contacts::interaction, metrics)
            .await;
        log_outcome("IngestInteractions", result).map(|answer| {
            reply(pb::IngestInteractionsResponse {
                results: answer.results,
                registered_agent_ids: answer.registered_agent_ids,
                consistency_token: answer.consistency_token,
            })
        })
    }

    async fn ingest_survey_responses(
        &self,
        request: Request<pb::IngestSurveyResponsesRequest>,
    ) -> Result<Response<pb::IngestSurveyResponsesResponse>, Status> {
        let caller = Caller::of(&request);
        let metrics = request.extensions().get::<Metrics>().cloned();
        let items = request.into_inner().survey_responses;
        let result = self
            .ingest(&caller, items, contacts::survey_response, metrics)
            .await;
        log_outcome("IngestSurveyResponses", result).map(|answer| {
            reply(pb::IngestSurveyResponsesResponse {
                results: answer.results,
                registered_agent_ids: answer.registered_agent_ids,
                consistency_token: answer.consistency_token,
            })
        })
    }

    async fn ingest_qa_evaluations(
        &self,
        request: Request<pb::IngestQaEvaluationsRequest>,
    ) -> Result<Response<pb::IngestQaEvaluationsResponse>, Status> {
        let caller = Caller::of(&request);
        let metrics = request.extensions().get::<Metrics>().cloned();
        let items = request.into_inner().qa_evaluations;
        let result = self
            .ingest(&caller, items, contacts::qa_evaluation, metrics)
            .await;
        log_outcome("IngestQaEvaluations", result).map(|answer| {
            reply(pb::IngestQaEvaluationsResponse {
                results: answer.results,
                registered_agent_ids: answer.registered_agent_ids,
                consistency_token: answer.consistency_token,
            })
        })
    }

    async fn ingest_compliance_checks(
        &self,
        request: Request<pb::IngestComplianceChecksRequest>,
    ) -> Result<Response<pb::IngestComplianceChecksResponse>, Status> {
        let caller = Caller::of(&request);
        let metrics = request.extensions().get::<Metrics>().cloned();
        let items = request.into_inner().compliance_checks;
        let result = self
            .ingest(&caller, items, workforce::compliance_check, metrics)
            .await;
        log_outcome("IngestComplianceChecks", result).map(|answer| {
            reply(pb::IngestComplianceChecksResponse {
                results: answer.results,
                registered_agent_ids: answer.registered_agent_ids,
                consistency_token: answer.consistency_token,
            })
        })
    }

    async fn ingest_violations(
        &self,
        request: Request<pb::IngestViolationsRequest>,
    ) -> Result<Response<pb::IngestViolationsResponse>, Status> {
        let caller = Caller::of(&request);
        let metrics = request.extensions().get::<Metrics>().cloned();
        let items = request.into_inner().violations;
        let result = self
            .ingest(&caller, items, workforce::violation, metrics)
            .await;
        log_outcome("IngestViolations", result).map(|answer| {
            reply(pb::IngestViolationsResponse {
                results: answer.results,
                registered_agent_ids: answer.registered_agent_ids,
                consistency_token: answer.consistency_token,
            })
        })
    }

    async fn ingest_training_assignments(
        &self,
        request: Request<pb::IngestTrainingAssignmentsRequest>,
    ) -> Result<Response<pb::IngestTrainingAssignmentsResponse>, Status> {
        let caller = Caller::of(&request);
        let metrics = request.extensions().get::<Metrics>().cloned();
        let items = request.into_inner().training_assignments;
        let result = self
            .ingest(&caller, items, workforce::training_assignment, metrics)
            .await;
        log_outcome("IngestTrainingAssignments", result).map(|answer| {
            reply(pb::IngestTrainingAssignmentsResponse {
                results: answer.results,
                registered_agent_ids: answer.registered_agent_ids,
                consistency_token: answer.consistency_token,
            })
        })
    }

    async fn ingest_agent_time(
        &self,
        request: Request<pb::IngestAgentTimeRequest>,
    ) -> Result<Response<pb::IngestAgentTimeResponse>, Status> {
        let caller = Caller::of(&request);
        let metrics = request.extensions().get::<Metrics>().cloned();
        let items = request.into_inner().agent_time;
        let result = self
            .ingest(&caller, items, workforce::agent_time, metrics)
            .await;
        log_outcome("IngestAgentTime", result).map(|answer| {
            reply(pb::IngestAgentTimeResponse {
                results: answer.results,
                registered_agent_ids: answer.registered_agent_ids,
                consistency_token: answer.consistency_token,
            })
        })
    }
}
