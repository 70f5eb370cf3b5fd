//! Authorization: one table from RPC to what it requires, checked in one
//! place. The auth layer checks every call against the table before the
//! handler runs; two requirements also depend on the request body (which
//! sources a batch writes, which team a read is about), so the ingest and
//! read adapters call [`authorize_body`] right after parsing, and that
//! function again takes its rule from the table.

use super::{record_permission_denied, scopes, Principal};
use crate::error::ServiceError;

/// What an RPC requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Anyone, even without credentials (health).
    Open,
    /// Any valid credential (reflection, unless `auth.open_reflection`).
    Authenticated,
    /// Exactly this scope.
    Scope(&'static str),
    /// `kpi.ingest:<source>` for every record's source, or `kpi.ingest:*`.
    /// The layer checks that some ingest scope is held; the adapter checks
    /// each source with [`authorize_body`].
    Ingest,
    /// `kpi.read`, or `kpi.read:team:<team_id>` for reads about that team and
    /// its members (checked by [`authorize_body`]); organisation-wide lists
    /// need `kpi.read`.
    Read,
}

use Requirement::{Ingest, Read, Scope};

/// Every RPC of the kpi.v1 services and what it requires. A method missing
/// here is refused (a unit test checks that every RPC in the descriptors is
/// listed).
pub const RPC_REQUIREMENTS: &[(&str, Requirement)] = &[
    ("/kpi.v1.IngestService/IngestInteractions", Ingest),
    ("/kpi.v1.IngestService/IngestSurveyResponses", Ingest),
    ("/kpi.v1.IngestService/IngestQaEvaluations", Ingest),
    ("/kpi.v1.IngestService/IngestComplianceChecks", Ingest),
    ("/kpi.v1.IngestService/IngestViolations", Ingest),
    ("/kpi.v1.IngestService/IngestTrainingAssignments", Ingest),
    ("/kpi.v1.IngestService/IngestAgentTime", Ingest),
    (
        "/kpi.v1.DirectoryService/UpsertTeam",
        Scope(scopes::DIRECTORY_WRITE),
    ),
    (
        "/kpi.v1.DirectoryService/UpsertAgent",
        Scope(scopes::DIRECTORY_WRITE),
    ),
    ("/kpi.v1.DirectoryService/GetTeam", Read),
    ("/kpi.v1.DirectoryService/ListTeams", Read),
    ("/kpi.v1.DirectoryService/GetAgent", Read),
    ("/kpi.v1.DirectoryService/ListAgents", Read),
    ("/kpi.v1.ScorecardService/ListKpis", Read),
    ("/kpi.v1.ScorecardService/GetAgentScorecard", Read),
    ("/kpi.v1.ScorecardService/GetTeamScorecard", Read),
    ("/kpi.v1.ScorecardService/ListAgentScorecards", Read),
    ("/kpi.v1.ScorecardService/ListThresholdBreaches", Read),
    ("/kpi.v1.ScorecardService/GetKpiTrend", Read),
    ("/kpi.v1.ScorecardService/ListAgentInteractions", Read),
    ("/kpi.v1.ScorecardService/ListAgentRecords", Read),
    (
        "/kpi.v1.PolicyService/CreatePolicyVersion",
        Scope(scopes::POLICY_WRITE),
    ),
    ("/kpi.v1.PolicyService/GetPolicyVersion", Read),
    ("/kpi.v1.PolicyService/ListPolicyVersions", Read),
    ("/kpi.v1.PolicyService/GetEffectivePolicy", Read),
    ("/kpi.v1.ChangeService/WatchScorecardChanges", Read),
    ("/kpi.v1.ChangeService/ListScorecardChanges", Read),
    (
        "/kpi.v1.PolicyService/CreateAgentGoal",
        Scope(scopes::POLICY_WRITE),
    ),
    ("/kpi.v1.PolicyService/ListAgentGoals", Read),
    (
        "/kpi.v1.AuditService/ListAuditEvents",
        Scope(scopes::AUDIT_READ),
    ),
    (
        "/kpi.v1.PeriodService/ClosePeriod",
        Scope(scopes::PERIOD_WRITE),
    ),
    (
        "/kpi.v1.PeriodService/RestatePeriod",
        Scope(scopes::PERIOD_WRITE),
    ),
    ("/kpi.v1.PeriodService/GetPeriod", Read),
    ("/kpi.v1.PeriodService/ListPeriods", Read),
    ("/kpi.v1.PeriodService/ListAdjustments", Read),
];

const HEALTH_PREFIX: &str = "/grpc.health.v1.Health/";
const REFLECTION_PREFIXES: &[&str] = &[
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];

/// What the call to `path` requires. A served path missing from the table
/// needs a credential and a scope nobody holds, so nothing new is ever open
/// by accident (paths the server does not serve at all are UNIMPLEMENTED
/// before this is asked: see `layer`).
pub fn requirement(path: &str, open_reflection: bool) -> Requirement {
    if path.starts_with(HEALTH_PREFIX) {
        return Requirement::Open;
    }
    if REFLECTION_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
    {
        return if open_reflection {
            Requirement::Open
        } else {
            Requirement::Authenticated
        };
    }
    RPC_REQUIREMENTS
        .iter()
        .find(|(method, _)| *method == path)
        .map(|(_, requirement)| *requirement)
        .unwrap_or(Requirement::Scope("kpi.unlisted-method"))
}

/// The scope missing for `principal` to call an RPC with `requirement`, if
/// any (before looking at the body).
pub fn missing_scope(principal: &Principal, requirement: Requirement) -> Option<String> {
    match requirement {
        Requirement::Open | Requirement::Authenticated => None,
        Requirement::Scope(scope) => (!principal.has(scope)).then(|| scope.to_owned()),
        Requirement::Ingest => {
            (!principal.ingests_something()).then(|| format!("{}<source>", scopes::INGEST_PREFIX))
        }
        Requirement::Read => (!principal.reads_something()).then(|| scopes::READ.to_owned()),
    }
}

/// What a read is about, for the team check.
#[derive(Debug, Clone, Copy)]
pub enum ReadSubject<'a> {
    /// The KPI catalogue: any reader.
    Catalogue,
    /// The organisation's policy versions: any reader (they judge every team).
    OrganisationPolicy,
    /// A list over the whole organisation (no team filter): `kpi.read`.
    Organisation,
    /// One team (its scorecard, members, policy): `kpi.read` or its team scope.
    Team(&'a str),
    /// One agent, by the agent's current team (`None`: no team or no such
    /// agent): `kpi.read` or the scope of that team.
    Agent { current_team: Option<&'a str> },
}

/// The part of a request that decides whether its caller may make it.
#[derive(Debug, Clone)]
pub enum Body<'a> {
    /// The `source` of every record of an ingest batch.
    Sources(Vec<&'a str>),
    /// What a read is about.
    Read(ReadSubject<'a>),
}

/// Checks a decoded request against the requirement of `method` in the
/// table. A body that does not fit the method's requirement is refused
/// (fail closed).
pub fn authorize_body(
    principal: &Principal,
    method: &str,
    body: Body<'_>,
) -> Result<(), ServiceError> {
    let missing = match (requirement(method, false), body) {
        (Requirement::Ingest, Body::Sources(sources)) => sources
            .into_iter()
            .find(|source| !principal.may_ingest(source))
            .map(|source| format!("{}{source}", scopes::INGEST_PREFIX)),
        (Requirement::Read, Body::Read(subject)) => missing_read_scope(principal, subject),
        (requirement, body) => {
            tracing::error!(
                method,
                ?requirement,
                ?body,
                "body check does not fit the method"
            );
            Some(format!("{method} body check"))
        }
    };
    match missing {
        None => Ok(()),
        Some(scope) => {
            record_permission_denied(method, &principal.name, &scope);
            Err(ServiceError::PermissionDenied { scope })
        }
    }
}

fn missing_read_scope(principal: &Principal, subject: ReadSubject<'_>) -> Option<String> {
    if principal.reads_everything() {
        return None;
    }
    match subject {
        ReadSubject::Catalogue | ReadSubject::OrganisationPolicy => {
            (!principal.reads_something()).then(|| scopes::READ.to_owned())
        }
        ReadSubject::Organisation => Some(scopes::READ.to_owned()),
        ReadSubject::Team(team_id) => (!principal.may_read_team(team_id))
            .then(|| format!("{}{team_id}", scopes::READ_TEAM_PREFIX)),
        // Naming the agent's team would tell a stranger where the agent works.
        ReadSubject::Agent { current_team } => match current_team {
            Some(team_id) if principal.may_read_team(team_id) => None,
            _ => Some(scopes::READ.to_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    fn principal(scopes: &[&str]) -> Principal {
        Principal::new("test", scopes.iter().map(|scope| (*scope).to_owned()))
    }

    #[test]
    fn every_rpc_of_the_api_is_in_the_table() {
        let descriptors =
            prost_types::FileDescriptorSet::decode(crate::grpc::pb::FILE_DESCRIPTOR_SET).unwrap();
        let mut methods = Vec::new();
        for file in descriptors.file {
            for service in &file.service {
                for method in &service.method {
                    methods.push(format!(
                        "/{}.{}/{}",
                        file.package(),
                        service.name(),
                        method.name()
                    ));
                }
            }
        }
        assert_eq!(methods.len(), 35, "{methods:?}");
        for method in &methods {
            assert!(
                RPC_REQUIREMENTS.iter().any(|(listed, _)| listed == method),
                "{method} has no requirement"
            );
        }
        assert_eq!(methods.len(), RPC_REQUIREMENTS.len(), "no stale entries");
    }

    #[test]
    fn health_is_open_reflection_needs_a_credential_unknown_needs_the_impossible() {
        assert_eq!(
            requirement("/grpc.health.v1.Health/Check", false),
            Requirement::Open
        );
        assert_eq!(
            requirement(
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                false
            ),
            Requirement::Authenticated
        );
        assert_eq!(
            requirement(
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                true
            ),
            Requirement::Open
        );
        let unknown = requirement("/kpi.v1.Other/Thing", false);
        assert!(missing_scope(&Principal::anonymous(), unknown).is_some());
    }

    #[test]
    fn a_connector_writes_only_its_own_source() {
        let genesys = principal(&["kpi.ingest:genesys"]);
        let method = "/kpi.v1.IngestService/IngestInteractions";
        assert!(authorize_body(&genesys, method, Body::Sources(vec!["genesys"])).is_ok());
        let error = authorize_body(&genesys, method, Body::Sources(vec!["genesys", "zendesk"]))
            .unwrap_err();
        assert!(
            matches!(error, ServiceError::PermissionDenied { scope } if scope == "kpi.ingest:zendesk")
        );
        let any = principal(&["kpi.ingest:*"]);
        assert!(authorize_body(&any, method, Body::Sources(vec!["zendesk"])).is_ok());
    }

    #[test]
    fn a_team_reader_reads_its_team_and_members_only() {
        let reader = principal(&["kpi.read:team:north"]);
        let method = "/kpi.v1.ScorecardService/GetTeamScorecard";
        let read = |subject| authorize_body(&reader, method, Body::Read(subject));
        assert!(read(ReadSubject::Team("north")).is_ok());
        assert!(read(ReadSubject::Team("south")).is_err());
        assert!(read(ReadSubject::Agent {
            current_team: Some("north")
        })
        .is_ok());
        assert!(read(ReadSubject::Agent { current_team: None }).is_err());
        assert!(read(ReadSubject::Organisation).is_err());
        assert!(read(ReadSubject::OrganisationPolicy).is_ok());
        let everything = principal(&["kpi.read"]);
        assert!(authorize_body(&everything, method, Body::Read(ReadSubject::Organisation)).is_ok());
    }

    #[test]
    fn a_body_that_does_not_fit_the_method_is_refused() {
        let anonymous = Principal::anonymous();
        assert!(authorize_body(
            &anonymous,
            "/kpi.v1.DirectoryService/UpsertTeam",
            Body::Read(ReadSubject::Catalogue)
        )
        .is_err());
    }
}
