//! `kpi.v1.PolicyService`: insert-only policy versions.

use crate::domain::policy::NewPolicyVersion;
use crate::error::ServiceError;
use crate::service::access::authorize_read;
use chrono::NaiveDate;
use tonic::{Request, Response, Status};

use super::periods::{idempotency_key, request_id_reused};
use super::{
    fields::{optional_request_id, FieldParser, MAX_ID_LEN},
    kpi_results::{policy_version_to_pb, rule_input_from_pb, rule_to_pb},
    log_outcome,
    pagination::{decode_token, page_size, request_fingerprint, trim_page},
    pb,
    period::date_in_calendar,
};
use crate::{
    auth::{Caller, ReadSubject},
    domain::audit::AuditChange,
    domain::calendar::LocalDay,
    domain::{
        policy::{validate_policy, RuleInput},
        violations::Violations,
    },
    storage::periods::first_closed_month_ending_after,
};

const CREATE_POLICY_VERSION: &str = "/kpi.v1.PolicyService/CreatePolicyVersion";
const GET_POLICY_VERSION: &str = "/kpi.v1.PolicyService/GetPolicyVersion";
const LIST_POLICY_VERSIONS: &str = "/kpi.v1.PolicyService/ListPolicyVersions";
const GET_EFFECTIVE_POLICY: &str = "/kpi.v1.PolicyService/GetEffectivePolicy";

/// A policy scope as a read subject: a team's, or the organisation's.
fn policy_subject(team_id: Option<&str>) -> ReadSubject<'_> {
    match team_id {
        Some(team_id) => ReadSubject::Team(team_id),
        None => ReadSubject::OrganisationPolicy,
    }
}

/// The policy service.
#[derive(Clone)]
pub struct PolicyApi {
    database: crate::storage::Database,
}

impl PolicyApi {
    pub fn new(database: crate::storage::Database) -> Self {
        Self { database }
    }
}

/// A policy date: `YYYY-MM-DD` within the supported calendar, so that it is
/// stored and compared as a real date on every backend.
fn parse_date(field: &str, text: &str, violations: &mut Violations) -> Option<NaiveDate> {
    match date_in_calendar(field, text) {
        Ok(date) => Some(date),
        Err(description) => {
            violations.add(field, description);
            None
        }
    }
}

/// Parses and validates a new policy version, to be stored as created by
/// `created_by`: every problem is a field violation below `policy`.
pub(crate) fn parse_new_policy_version(
    request: &pb::CreatePolicyVersionRequest,
    created_by: &str,
) -> Result<NewPolicyVersion, ServiceError> {
    let policy = request
        .policy
        .as_ref()
        .ok_or_else(|| ServiceError::invalid_field("policy", "policy is required"))?;
    let mut violations = Violations::new();
    let team_id = FieldParser::new("policy", &mut violations).optional_id(
        "team_id",
        &policy.team_id,
        MAX_ID_LEN,
    );
    let effective_from = parse_date(
        "policy.effective_from",
        &policy.effective_from,
        &mut violations,
    );
    let inputs: Vec<RuleInput> = policy.rules.iter().map(rule_input_from_pb).collect();
    for (index, rule) in policy.rules.iter().enumerate() {
        if rule
            .target
            .as_ref()
            .is_some_and(|target| target.bound.is_none())
        {
            violations.add(
                format!("policy.rules[{index}].target"),
                "a target needs at_least, at_most or between",
            );
        }
    }
    let rules = match validate_policy("policy", &inputs, policy.bonus_threshold) {
        Ok(rules) => Some(rules),
        Err(rule_violations) => {
            violations.extend(rule_violations);
            None
        }
    };
    let (Some(effective_from), Some(rules)) = (effective_from, rules) else {
        return Err(ServiceError::invalid_fields(violations.into_vec()));
    };
    violations
        .into_result(NewPolicyVersion {
            team_id,
            effective_from,
            rules,
            created_by: created_by.to_owned(),
        })
        .map_err(ServiceError::invalid_fields)
}

impl PolicyApi {
    async fn ensure_team(&self, team_id: Option<&str>) -> Result<(), ServiceError> {
        let Some(team_id) = team_id else {
            return Ok(());
        };
        match crate::storage::directory::get_team(self.database.connection(), team_id).await? {
            Some(_) => Ok(()),
            None => Err(ServiceError::team_not_found(team_id)),
        }
    }

    async fn create_policy_version(
        &self,
        caller: &Caller,
        request: pb::CreatePolicyVersionRequest,
    ) -> Result<pb::CreatePolicyVersionResponse, ServiceError> {
        let new_version = parse_new_policy_version(&request, &caller.principal.name)?;
        self.ensure_team(new_version.team_id.as_deref()).await?;
        self.refuse_if_closed(
            caller,
            new_version.team_id.as_deref(),
            new_version.effective_from,
        )
        .await?;
        let policy = request.policy.unwrap_or_default();
        let request_key = idempotency_key(&request.request_id, "CreatePolicyVersion", &policy)?;
        let stored = self
            .database
            .create_policy_version(
                &new_version,
                &caller.audit_actor(CREATE_POLICY_VERSION),
                request_key.as_ref(),
            )
            .await?
            .ok_or_else(request_id_reused)?;
        Ok(pb::CreatePolicyVersionResponse {
            policy: Some(policy_version_to_pb(&stored)),
        })
    }

    /// A version effective before the end of the latest closed month could
    /// judge that month: refused (FAILED_PRECONDITION naming the month), and
    /// the attempt audited.
    async fn refuse_if_closed(
        &self,
        caller: &Caller,
        team_id: Option<&str>,
        effective_from: NaiveDate,
    ) -> Result<(), ServiceError> {
        let database = &self.database;
        let Some(open_from) =
            crate::storage::periods::closed_through(database.connection()).await?
        else {
            return Ok(());
        };
        let day = LocalDay::of_date(effective_from);
        if day >= open_from {
            return Ok(());
        }
        let month = first_closed_month_ending_after(database.connection(), day)
            .await?
            .unwrap_or_default();
        crate::storage::audit::append_alone(
            database,
            &caller.audit_actor(CREATE_POLICY_VERSION),
            &AuditChange::ChangeRefused {
                what: "policy_version".into(),
                subject: team_id.unwrap_or_default().to_owned(),
                effective_from: effective_from.format("%Y-%m-%d").to_string(),
                closed_month: month.clone(),
            },
        )
        .await?;
        Err(ServiceError::period_closed(
            "a policy version",
            effective_from,
            &month,
        ))
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
        let version = crate::storage::policy::get_policy_version(
            self.database.connection(),
            request.policy_version_id,
        )
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            reason: "POLICY_VERSION_NOT_FOUND",
            resource_type: "policy version",
            name: request.policy_version_id.to_string(),
        })?;
        // The version's team is known only once it is read.
        authorize_read(
            caller,
            GET_POLICY_VERSION,
            policy_subject(version.team_id.as_deref()),
        )?;
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
        authorize_read(
            caller,
            LIST_POLICY_VERSIONS,
            policy_subject(team_id.as_deref()),
        )?;
        let fingerprint = request_fingerprint(&["policies", team_id.as_deref().unwrap_or("")]);
        let before = match decode_token(&request.page_token, &fingerprint)? {
            None => None,
            Some(id) => Some(id.parse::<i64>().map_err(|_| {
                ServiceError::invalid_field(
                    "page_token",
                    "page_token is not a token this service issued",
                )
            })?),
        };
        self.ensure_team(team_id.as_deref()).await?;
        let mut versions = crate::storage::policy::list_policy_versions(
            self.database.connection(),
            team_id.as_deref(),
            before,
            size + 1,
        )
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
        authorize_read(
            caller,
            GET_EFFECTIVE_POLICY,
            policy_subject(team_id.as_deref()),
        )?;
        self.ensure_team(team_id.as_deref()).await?;
        let version = crate::storage::policy::effective_policy(
            self.database.connection(),
            team_id.as_deref(),
            date,
        )
        .await?;
        let policy = match version {
            Some(version) => policy_version_to_pb(&version),
            None => {
                let defaults = crate::domain::policy::PolicyRules::catalogue_defaults();
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
        .map(Response::new)
    }

    async fn get_policy_version(
        &self,
        request: Request<pb::GetPolicyVersionRequest>,
    ) -> Result<Response<pb::GetPolicyVersionResponse>, Status> {
        log_outcome(
            "GetPolicyVersion",
            PolicyApi::get_policy_version(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(Response::new)
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
        .map(Response::new)
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
        .map(Response::new)
    }
}
