//! The use cases behind `PolicyService`: insert-only policy versions.
//!
//! A version changes how past days are judged, so creating one holds the
//! numbers lock exclusively and checks the closed months inside its
//! transaction, after the lock (`service::period_guard`): it commits before
//! a close reads the policies, or sees the month closed and is refused.
//!
//! Reads here go to the database (`storage::policy`). The scorecard read
//! path reads the version in force through `storage::policy_cache`, which a
//! creation invalidates on every replica: in this process once it commits,
//! elsewhere by the `NOTIFY` its transaction sends.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::{
    access::authorize_read,
    changes::{announce, ChangeScope, Recorded, Recorder},
    period_guard::{self, closed_month_altered_by, ClosedMonth, POLICY_VERSION},
};
use crate::{
    auth::{Caller, ReadSubject},
    domain::{
        audit::{AuditActor, AuditChange},
        calendar::LocalDay,
        changes::ChangeCause,
        idempotency::IdempotencyKey,
        policy::{NewPolicyVersion, PolicyVersion},
    },
    error::ServiceError,
    storage::{
        audit, changes, directory,
        idempotency::{remember, replay, Replay},
        lock_numbers, policy, Database, NumbersLock, StorageError,
    },
};

const CREATE_POLICY_VERSION: &str = "/kpi.v1.PolicyService/CreatePolicyVersion";
const GET_POLICY_VERSION: &str = "/kpi.v1.PolicyService/GetPolicyVersion";
const LIST_POLICY_VERSIONS: &str = "/kpi.v1.PolicyService/ListPolicyVersions";
const GET_EFFECTIVE_POLICY: &str = "/kpi.v1.PolicyService/GetEffectivePolicy";

/// Where a listing of versions (newest first) resumes, and how many it
/// returns at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionsPage {
    /// Only versions with a smaller id.
    pub before: Option<i64>,
    pub limit: u64,
}

/// How one attempt to create a version ended.
enum Attempt {
    /// Stored now, with the scorecard changes it recorded.
    Created(PolicyVersion, Option<Recorded>),
    /// A retry of a request already answered: the version it created.
    Replayed(PolicyVersion),
    UnknownTeam(String),
    RequestIdReused,
    Closed(ClosedMonth),
}

/// A policy scope as a read subject: a team's, or the organisation's.
fn policy_subject(team_id: Option<&str>) -> ReadSubject<'_> {
    match team_id {
        Some(team_id) => ReadSubject::Team(team_id),
        None => ReadSubject::OrganisationPolicy,
    }
}

/// The most recent days with records whose changes a policy version
/// records (a bound on the work one version does inside its exclusive
/// lock).
const MAX_JUDGED_DAYS: u64 = 93;

/// Policy versions.
#[derive(Clone)]
pub struct Policies {
    database: Database,
    /// The reporting zone: the periods whose statuses a version changes.
    zone: Tz,
}

impl Policies {
    pub fn new(database: Database, zone: Tz) -> Self {
        Self { database, zone }
    }

    /// The agent goals' use cases, on the same database.
    pub fn goals(&self) -> super::goals::Goals {
        super::goals::Goals::new(self.database.clone())
    }

    /// Stores a new version, audited in the same transaction. In order:
    /// an unknown team is NOT_FOUND; with a client request id, a retry of
    /// the same request returns the version the first call created (even
    /// once its month has closed) and the id sent with another request is
    /// INVALID_ARGUMENT; a version effective inside or before a closed
    /// month is FAILED_PRECONDITION (PERIOD_CLOSED, audited).
    pub async fn create_policy_version(
        &self,
        caller: &Caller,
        new: NewPolicyVersion,
        request: Option<IdempotencyKey>,
    ) -> Result<PolicyVersion, ServiceError> {
        let actor = caller.audit_actor(CREATE_POLICY_VERSION);
        let attempt = self
            .database
            .with_retries(|| self.try_create(&new, &actor, request.as_ref()))
            .await?;
        match attempt {
            Attempt::Created(version, recorded) => {
                self.database.policy_cache().invalidate();
                announce(&self.database, recorded);
                Ok(version)
            }
            Attempt::Replayed(version) => Ok(version),
            Attempt::UnknownTeam(team_id) => Err(ServiceError::team_not_found(team_id)),
            Attempt::RequestIdReused => Err(ServiceError::invalid_field(
                "request_id",
                "request_id was already used for a different request; use a new id for a new \
                 request",
            )),
            Attempt::Closed(closed) => Err(period_guard::refuse(
                &self.database,
                &actor,
                POLICY_VERSION,
                new.team_id.as_deref().unwrap_or_default(),
                closed,
            )
            .await),
        }
    }

    /// One attempt of [`Policies::create_policy_version`], in one
    /// transaction (committed only when it stored the version).
    async fn try_create(
        &self,
        new: &NewPolicyVersion,
        actor: &AuditActor,
        request: Option<&IdempotencyKey>,
    ) -> Result<Attempt, StorageError> {
        let transaction = self.database.begin_write().await?;
        if let Some(team_id) = &new.team_id {
            if directory::get_team(&transaction, team_id).await?.is_none() {
                return Ok(Attempt::UnknownTeam(team_id.clone()));
            }
        }
        // First of the locks (see storage::locks), and before the closed
        // months are read: a close either committed already or waits for
        // this transaction.
        let clock_us = lock_numbers(&transaction, NumbersLock::Exclusive).await?;
        if let Some(key) = request {
            match replay(&transaction, key).await? {
                Replay::Same(response) => {
                    let id = <[u8; 8]>::try_from(response.as_slice())
                        .map(i64::from_be_bytes)
                        .map_err(|_| StorageError::Corrupt("idempotent policy response".into()))?;
                    let version = policy::get_policy_version(&transaction, id)
                        .await?
                        .ok_or_else(|| {
                            StorageError::Corrupt("replayed policy version is missing".into())
                        })?;
                    return Ok(Attempt::Replayed(version));
                }
                Replay::Reused => return Ok(Attempt::RequestIdReused),
                Replay::New => {}
            }
        }
        let effective = LocalDay::of_date(new.effective_from);
        if let Some(closed) = closed_month_altered_by(&transaction, effective).await? {
            return Ok(Attempt::Closed(closed));
        }
        // Every agent and team on the days with records from the effective
        // day on (and their months): the version may change how any of
        // them is judged; only the results that moved become changes.
        let mut scope = ChangeScope::default();
        scope.agents.extend(
            directory::all_agents(&transaction, None)
                .await?
                .into_iter()
                .map(|agent| agent.agent_id),
        );
        scope.teams.extend(
            directory::list_teams(&transaction, None, 1_000_000)
                .await?
                .into_iter()
                .map(|team| team.team_id),
        );
        scope
            .days
            .extend(changes::days_with_data(&transaction, effective, None, MAX_JUDGED_DAYS).await?);
        let recorder = Recorder::new(self.zone);
        let before = recorder.before(&transaction, scope).await?;
        let version = policy::insert_policy_version(&transaction, new, clock_us).await?;
        let cause = ChangeCause::PolicyVersion {
            policy_version_id: version.id,
        };
        let recorded = recorder
            .after(&transaction, before, &cause, clock_us, false)
            .await?;
        if let Some(key) = request {
            remember(&transaction, key, version.id.to_be_bytes().to_vec()).await?;
        }
        let change = AuditChange::PolicyVersionCreated {
            policy_version_id: version.id,
            team_id: version.team_id.clone(),
            effective_from: version.effective_from.format("%Y-%m-%d").to_string(),
            bonus_threshold: version.rules.bonus_threshold,
        };
        audit::append(&transaction, actor, &change).await?;
        transaction.commit().await?;
        Ok(Attempt::Created(version, recorded))
    }

    /// One version. Its team is known only once it is read, so existence
    /// is checked before access here.
    pub async fn get_policy_version(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<PolicyVersion, ServiceError> {
        let version = policy::get_policy_version(self.database.connection(), id)
            .await?
            .ok_or_else(|| ServiceError::NotFound {
                reason: "POLICY_VERSION_NOT_FOUND",
                resource_type: "policy version",
                name: id.to_string(),
            })?;
        authorize_read(
            caller,
            GET_POLICY_VERSION,
            policy_subject(version.team_id.as_deref()),
        )?;
        Ok(version)
    }

    /// A page of one scope's versions, newest first (NOT_FOUND for an
    /// unknown team). The page is checked after access.
    pub async fn list_policy_versions(
        &self,
        caller: &Caller,
        team_id: Option<String>,
        page: Result<VersionsPage, ServiceError>,
    ) -> Result<Vec<PolicyVersion>, ServiceError> {
        authorize_read(
            caller,
            LIST_POLICY_VERSIONS,
            policy_subject(team_id.as_deref()),
        )?;
        let page = page?;
        self.ensure_team(team_id.as_deref()).await?;
        let versions = policy::list_policy_versions(
            self.database.connection(),
            team_id.as_deref(),
            page.before,
            page.limit,
        )
        .await?;
        Ok(versions)
    }

    /// The version in force on `date` for a team (else the organisation's)
    /// or the organisation; `None` means the catalogue defaults. Read
    /// afresh: it answers what a close would freeze now.
    pub async fn effective_policy(
        &self,
        caller: &Caller,
        team_id: Option<String>,
        date: NaiveDate,
    ) -> Result<Option<PolicyVersion>, ServiceError> {
        authorize_read(
            caller,
            GET_EFFECTIVE_POLICY,
            policy_subject(team_id.as_deref()),
        )?;
        self.ensure_team(team_id.as_deref()).await?;
        let version =
            policy::effective_policy(self.database.connection(), team_id.as_deref(), date).await?;
        Ok(version)
    }

    async fn ensure_team(&self, team_id: Option<&str>) -> Result<(), ServiceError> {
        let Some(team_id) = team_id else {
            return Ok(());
        };
        match directory::get_team(self.database.connection(), team_id).await? {
            Some(_) => Ok(()),
            None => Err(ServiceError::team_not_found(team_id)),
        }
    }
}
