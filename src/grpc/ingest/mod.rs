//! `kpi.v1.IngestService`: batches of records in, one outcome per item out.

pub(crate) mod parse;

pub use parse::IngestLimits;

use crate::error::ServiceError;
use tonic::{Request, Response, Status};

use super::{fields::FieldParser, log_outcome, pb};
use crate::{
    auth::{authorize_body, Body, Caller},
    domain::ingest::IngestOutcome,
    storage::{
        ingest::{BatchOptions, BatchReport, IngestRecord},
        Database,
    },
    telemetry::metrics::Metrics,
};
use parse::{parse_batch, ItemContext};

/// The ingestion service.
#[derive(Clone)]
pub struct IngestApi {
    database: Database,
    limits: IngestLimits,
}

impl IngestApi {
    pub fn new(database: Database, limits: IngestLimits) -> Self {
        Self { database, limits }
    }

    /// Parses a batch, checks that the caller may write every record's
    /// source, writes it atomically, records the audit event and reports
    /// each item. The items' outcomes are counted in `metrics` (put into the
    /// request's extensions by the call-observing layer when metrics are on).
    async fn ingest<P, R: IngestRecord>(
        &self,
        caller: &Caller,
        method: &str,
        items: Vec<P>,
        parse_item: fn(P, &mut FieldParser<'_>, &ItemContext) -> Option<R>,
        metrics: Option<Metrics>,
    ) -> Result<(Vec<pb::IngestResult>, Vec<String>), ServiceError> {
        let item_count = items.len();
        let parsed = parse_batch(items, R::FIELD, &self.limits, parse_item, |record: &R| {
            &record.meta().key
        });
        let records = match parsed {
            Ok(records) => records,
            Err(error) => {
                if let Some(metrics) = &metrics {
                    metrics.ingest_batch(R::FIELD, std::iter::repeat_n("rejected", item_count));
                }
                return Err(error);
            }
        };
        let sources = records
            .iter()
            .map(|record| record.meta().key.source.as_str())
            .collect();
        authorize_body(&caller.principal, method, Body::Sources(sources))?;
        let BatchReport {
            outcomes,
            registered_agent_ids,
        } = self
            .database
            .ingest(
                &records,
                BatchOptions {
                    zone: self.limits.time_zone,
                    max_new_agents: self.limits.max_new_agents_per_batch,
                    audit: Some(&caller.audit_actor(method)),
                },
            )
            .await?;
        if let Some(metrics) = &metrics {
            metrics.ingest_batch(
                R::FIELD,
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
        tracing::info!(
            kind = R::FIELD,
            items = records.len(),
            registered_agents = registered_agent_ids.len(),
            "batch committed"
        );
        Ok((results, registered_agent_ids))
    }
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
        let method = "/kpi.v1.IngestService/IngestInteractions";
        let result = self
            .ingest(&caller, method, items, parse::interaction, metrics)
            .await;
        log_outcome("IngestInteractions", result).map(|(results, registered_agent_ids)| {
            Response::new(pb::IngestInteractionsResponse {
                results,
                registered_agent_ids,
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
        let method = "/kpi.v1.IngestService/IngestSurveyResponses";
        let result = self
            .ingest(&caller, method, items, parse::survey_response, metrics)
            .await;
        log_outcome("IngestSurveyResponses", result).map(|(results, registered_agent_ids)| {
            Response::new(pb::IngestSurveyResponsesResponse {
                results,
                registered_agent_ids,
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
        let method = "/kpi.v1.IngestService/IngestQaEvaluations";
        let result = self
            .ingest(&caller, method, items, parse::qa_evaluation, metrics)
            .await;
        log_outcome("IngestQaEvaluations", result).map(|(results, registered_agent_ids)| {
            Response::new(pb::IngestQaEvaluationsResponse {
                results,
                registered_agent_ids,
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
        let method = "/kpi.v1.IngestService/IngestComplianceChecks";
        let result = self
            .ingest(&caller, method, items, parse::compliance_check, metrics)
            .await;
        log_outcome("IngestComplianceChecks", result).map(|(results, registered_agent_ids)| {
            Response::new(pb::IngestComplianceChecksResponse {
                results,
                registered_agent_ids,
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
        let method = "/kpi.v1.IngestService/IngestViolations";
        let result = self
            .ingest(&caller, method, items, parse::violation, metrics)
            .await;
        log_outcome("IngestViolations", result).map(|(results, registered_agent_ids)| {
            Response::new(pb::IngestViolationsResponse {
                results,
                registered_agent_ids,
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
        let method = "/kpi.v1.IngestService/IngestTrainingAssignments";
        let result = self
            .ingest(&caller, method, items, parse::training_assignment, metrics)
            .await;
        log_outcome("IngestTrainingAssignments", result).map(|(results, registered_agent_ids)| {
            Response::new(pb::IngestTrainingAssignmentsResponse {
                results,
                registered_agent_ids,
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
        let method = "/kpi.v1.IngestService/IngestAgentTime";
        let result = self
            .ingest(&caller, method, items, parse::agent_time, metrics)
            .await;
        log_outcome("IngestAgentTime", result).map(|(results, registered_agent_ids)| {
            Response::new(pb::IngestAgentTimeResponse {
                results,
                registered_agent_ids,
            })
        })
    }
}
