//! `kpi.v1.IngestService`: batches of records in, one outcome per item out.

pub(crate) mod parse;

pub use parse::IngestLimits;

use sea_orm::EntityTrait;
use tonic::{Request, Response, Status};

use super::{error::ApiError, fields::FieldParser, log_outcome, pb};
use crate::{
    domain::ingest::IngestOutcome,
    storage::{
        ingest::{BatchOptions, BatchReport, IngestRecord},
        rollups::contribution::StoredRecord,
        Database,
    },
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

    /// Parses a batch, writes it atomically and reports each item.
    async fn ingest<P, R>(
        &self,
        items: Vec<P>,
        parse_item: fn(P, &mut FieldParser<'_>, &ItemContext) -> Option<R>,
    ) -> Result<(Vec<pb::IngestResult>, Vec<String>), ApiError>
    where
        R: IngestRecord,
        <R::Entity as EntityTrait>::ActiveModel: Send,
        <R::Entity as EntityTrait>::Model: StoredRecord
            + sea_orm::FromQueryResult
            + Sync
            + Send
            + sea_orm::IntoActiveModel<<R::Entity as EntityTrait>::ActiveModel>,
    {
        let records = parse_batch(items, R::FIELD, &self.limits, parse_item, |record: &R| {
            &record.meta().key
        })?;
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
                },
            )
            .await?;
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
        let items = request.into_inner().interactions;
        let result = self.ingest(items, parse::interaction).await;
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
        let items = request.into_inner().survey_responses;
        let result = self.ingest(items, parse::survey_response).await;
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
        let items = request.into_inner().qa_evaluations;
        let result = self.ingest(items, parse::qa_evaluation).await;
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
        let items = request.into_inner().compliance_checks;
        let result = self.ingest(items, parse::compliance_check).await;
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
        let items = request.into_inner().violations;
        let result = self.ingest(items, parse::violation).await;
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
        let items = request.into_inner().training_assignments;
        let result = self.ingest(items, parse::training_assignment).await;
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
        let items = request.into_inner().agent_time;
        let result = self.ingest(items, parse::agent_time).await;
        log_outcome("IngestAgentTime", result).map(|(results, registered_agent_ids)| {
            Response::new(pb::IngestAgentTimeResponse {
                results,
                registered_agent_ids,
            })
        })
    }
}
