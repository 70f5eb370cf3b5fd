//! `kpi.v1.PolicyService`: insert-only policy versions. Protobuf <-> domain
//! only; the use cases are `service::policies::Policies`.

mod goals;
mod parse;

pub(crate) use parse::parse_new_policy_version;

use crate::grpc::reply::reply;
use tonic::{Request, Response, Status};

use super::{
    fields::{idempotency_key, optional_request_id, FieldParser, MAX_ID_LEN},
    kpi_results::{policy_version_to_pb, rule_to_pb},
    log_outcome,
    pagination::{decode_token, page_size, request_fingerprint, trim_page},
    pb,
};
use crate::{
    auth::Caller,
    domain::{policy::PolicyRules, violations::Violations},
    error::ServiceError,
    service::{
        goals::Goals,
        policies::{Policies, VersionsPage},
    },
};
use parse::parse_date;

/// The policy service.
#[derive(Clone)]
pub struct PolicyApi {
    policies: Policies,
    goals: Goals,
}

impl PolicyApi {
    pub fn new(policies: Policies) -> Self {
        Self {
            goals: policies.goals(),
            policies,
        }
    }
}

/// The id a page token of a version listing carries.
fn versions_before(token: &str, fingerprint: &str) -> Result<Option<i64>, ServiceError> {
    let Some(id) = decode_token(token, fingerprint)? else {
        return Ok(None);
    };
    id.parse::<i64>().map(Some).map_err(|_| {
        ServiceError::invalid_field(
            "page_token",
            "page_token is not a token this service issued",
        )
    })
}

/// The catalogue's defaults as the policy in force where no version is.
fn catalogue_defaults_to_pb() -> pb::PolicyVersion {
    let defaults = PolicyRules::catalogue_defaults();
    pb::PolicyVersion {
        rules: defaults
            .rules
            .iter()
            .map(|(kpi, rule)| rule_to_pb(kpi.as_str(), rule))
            .collect(),
        bonus_threshold: defaults.bonus_threshold,
        ..Default::default()
    }
}

impl PolicyApi {
    async fn create_policy_version(
        &self,
        caller: &Caller,
        request: pb::CreatePolicyVersionRequest,
    ) -> Result<pb::CreatePolicyVersionResponse, ServiceError> {
        let new_version = parse_new_policy_version(&request, &caller.principal.name)?;
        let policy = request.policy.unwrap_or_default();
        let request_key = idempotency_key(&request.request_id, "CreatePolicyVersion", &policy)?;
        let stored = self
            .policies
            .create_policy_version(caller, new_version, request_key)
            .await?;
        Ok(pb::CreatePolicyVersionResponse {
            policy: Some(policy_version_to_pb(&stored)),
        })
    }

    async fn get_policy_version(
        &self,
        caller: &Caller,
        request: pb::GetPolicyVersionRequest,
    ) -> Result<pb::GetPolicyVersionResponse, ServiceError> {
        if request.policy_version_id <= 0 {
            return Err(ServiceError::invalid_field(
                "policy_version_id",
                "policy_version_id must be > 0",
            ));
        }
        let version = self
            .policies
            .get_policy_version(caller, request.policy_version_id)
            .await?;
        Ok(pb::GetPolicyVersionResponse {
            policy: Some(policy_version_to_pb(&version)),
        })
    }

    async fn list_policy_versions(
        &self,
        caller: &Caller,
        request: pb::ListPolicyVersionsRequest,
    ) -> Result<pb::ListPolicyVersionsResponse, ServiceError> {
        let size = page_size(request.page_size)?;
        let team_id = optional_request_id("team_id", &request.team_id)?;
        let fingerprint = request_fingerprint(&["policies", team_id.as_deref().unwrap_or("")]);
        // The token is checked after access, by the use case; one version
        // more than a page tells whether another page exists.
        let page = versions_before(&request.page_token, &fingerprint).map(|before| VersionsPage {
            before,
            limit: size + 1,
        });
        let mut versions = self
            .policies
            .list_policy_versions(caller, team_id, page)
            .await?;
        let next_page_token = trim_page(&mut versions, size, &fingerprint, |version| {
            version.id.to_string()
        });
        Ok(pb::ListPolicyVersionsResponse {
            policies: versions.iter().map(policy_version_to_pb).collect(),
            next_page_token,
        })
    }

    async fn get_effective_policy(
        &self,
        caller: &Caller,
        request: pb::GetEffectivePolicyRequest,
    ) -> Result<pb::GetEffectivePolicyResponse, ServiceError> {
        let mut violations = Violations::new();
        let team_id = FieldParser::new("", &mut violations).optional_id(
            "team_id",
            &request.team_id,
            MAX_ID_LEN,
        );
        let date = parse_date("date", &request.date, &mut violations);
        let Some(date) = date else {
            return Err(ServiceError::invalid_fields(violations.into_vec()));
        };
        violations
            .into_result(())
            .map_err(ServiceError::invalid_fields)?;
        let version = self
            .policies
            .effective_policy(caller, team_id, date)
            .await?;
        let policy = match version {
            Some(version) => policy_version_to_pb(&version),
            None => catalogue_defaults_to_pb(),
        };
        Ok(pb::GetEffectivePolicyResponse {
            policy: Some(policy),
        })
    }
}

#[tonic::async_trait]
impl pb::policy_service_server::PolicyService for PolicyApi {
    async fn create_policy_version(
        &self,
        request: Request<pb::CreatePolicyVersionRequest>,
    ) -> Result<Response<pb::CreatePolicyVersionResponse>, Status> {
        log_outcome(
            "CreatePolicyVersion",
            PolicyApi::create_policy_version(self, &Caller::of(&request), request.into_inner())
                .await,
        )
        .map(reply)
    }

    async fn get_policy_version(
        &self,
        request: Request<pb::GetPolicyVersionRequest>,
    ) -> Result<Response<pb::GetPolicyVersionResponse>, Status> {
        log_outcome(
            "GetPolicyVersion",
            PolicyApi::get_policy_version(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }

    async fn list_policy_versions(
        &self,
        request: Request<pb::ListPolicyVersionsRequest>,
    ) -> Result<Response<pb::ListPolicyVersionsResponse>, Status> {
        log_outcome(
            "ListPolicyVersions",
            PolicyApi::list_policy_versions(self, &Caller::of(&request), request.into_inner())
                .await,
        )
        .map(reply)
    }

    async fn get_effective_policy(
        &self,
        request: Request<pb::GetEffectivePolicyRequest>,
    ) -> Result<Response<pb::GetEffectivePolicyResponse>, Status> {
        log_outcome(
            "GetEffectivePolicy",
            PolicyApi::get_effective_policy(self, &Caller::of(&request), request.into_inner())
                .await,
        )
        .map(reply)
    }

    async fn create_agent_goal(
        &self,
        request: Request<pb::CreateAgentGoalRequest>,
    ) -> Result<Response<pb::CreateAgentGoalResponse>, Status> {
        log_outcome(
            "CreateAgentGoal",
            PolicyApi::create_agent_goal(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }

    async fn list_agent_goals(
        &self,
        request: Request<pb::ListAgentGoalsRequest>,
    ) -> Result<Response<pb::ListAgentGoalsResponse>, Status> {
        log_outcome(
            "ListAgentGoals",
            PolicyApi::list_agent_goals(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }
}
