//! The use cases behind `PolicyService`'s agent goals: insert-only
//! overrides of one rule for one agent from a day (graded plans).
//!
//! A goal changes how the agent's days are judged, so creating one has the
//! shape of creating a policy version (`service::policies`): it holds the
//! numbers lock exclusively and checks the closed months inside its
//! transaction, after the lock, so that it either commits before a close
//! reads the goals or sees the month closed and is refused (audited).
//! Scorecards read goals afresh (`storage::goals`), never from a cache.

use super::{
    access::authorize_read_of_agent,
    period_guard::{self, closed_month_altered_by, ClosedMonth, AGENT_GOAL},
};
use crate::{
    auth::Caller,
    domain::{
        audit::{AuditActor, AuditChange},
        calendar::LocalDay,
        idempotency::IdempotencyKey,
        policy::{AgentGoal, NewAgentGoal},
    },
    error::ServiceError,
    storage::{
        audit, directory, goals,
        idempotency::{remember, replay, Replay},
        lock_numbers, Database, NumbersLock, StorageError,
    },
};

const CREATE_AGENT_GOAL: &str = "/kpi.v1.PolicyService/CreateAgentGoal";
const LIST_AGENT_GOALS: &str = "/kpi.v1.PolicyService/ListAgentGoals";

/// Where a listing of goals (newest first) resumes, and how many it
/// returns at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoalsPage {
    /// Only goals with a smaller id.
    pub before: Option<i64>,
    pub limit: u64,
}

/// How one attempt to create a goal ended.
enum Attempt {
    Created(AgentGoal),
    /// A retry of a request already answered: the goal it created.
    Replayed(AgentGoal),
    UnknownAgent,
    RequestIdReused,
    Closed(ClosedMonth),
}

/// Agent goals.
#[derive(Clone)]
pub struct Goals {
    database: Database,
}

impl Goals {
    pub fn new(database: Database) -> Self {
        Self { database }
    }

    /// Stores a goal, audited in the same transaction. In order: an
    /// unknown agent is NOT_FOUND; with a client request id, a retry of the
    /// same request returns the goal the first call created and the id
    /// sent with another request is INVALID_ARGUMENT; a goal effective
    /// inside or before a closed month is FAILED_PRECONDITION
    /// (PERIOD_CLOSED, audited).
    pub async fn create_goal(
        &self,
        caller: &Caller,
        new: NewAgentGoal,
        request: Option<IdempotencyKey>,
    ) -> Result<AgentGoal, ServiceError> {
        let actor = caller.audit_actor(CREATE_AGENT_GOAL);
        let attempt = self
            .database
            .with_retries(|| self.try_create(&new, &actor, request.as_ref()))
            .await?;
        match attempt {
            Attempt::Created(goal) | Attempt::Replayed(goal) => Ok(goal),
            Attempt::UnknownAgent => Err(ServiceError::agent_not_found(new.agent_id)),
            Attempt::RequestIdReused => Err(ServiceError::invalid_field(
                "request_id",
                "request_id was already used for a different request; use a new id for a new \
                 request",
            )),
            Attempt::Closed(closed) => {
                Err(
                    period_guard::refuse(&self.database, &actor, AGENT_GOAL, &new.agent_id, closed)
                        .await,
                )
            }
        }
    }

    /// One attempt of [`Goals::create_goal`], in one transaction
    /// (committed only when it stored the goal).
    async fn try_create(
        &self,
        new: &NewAgentGoal,
        actor: &AuditActor,
        request: Option<&IdempotencyKey>,
    ) -> Result<Attempt, StorageError> {
        let transaction = self.database.begin_write().await?;
        if directory::get_agent(&transaction, &new.agent_id)
            .await?
            .is_none()
        {
            return Ok(Attempt::UnknownAgent);
        }
        // First of the locks (see storage::locks), and before the closed
        // months are read: a close either committed already or waits.
        let clock_us = lock_numbers(&transaction, NumbersLock::Exclusive).await?;
        if let Some(key) = request {
            match replay(&transaction, key).await? {
                Replay::Same(response) => {
                    let id = <[u8; 8]>::try_from(response.as_slice())
                        .map(i64::from_be_bytes)
                        .map_err(|_| StorageError::Corrupt("idempotent goal response".into()))?;
                    let goal = goals::get_goal(&transaction, id).await?.ok_or_else(|| {
                        StorageError::Corrupt("replayed agent goal is missing".into())
                    })?;
                    return Ok(Attempt::Replayed(goal));
                }
                Replay::Reused => return Ok(Attempt::RequestIdReused),
                Replay::New => {}
            }
        }
        let effective = LocalDay::of_date(new.effective_from);
        if let Some(closed) = closed_month_altered_by(&transaction, effective).await? {
            return Ok(Attempt::Closed(closed));
        }
        let goal = goals::insert_goal(&transaction, new, clock_us).await?;
        if let Some(key) = request {
            remember(&transaction, key, goal.id.to_be_bytes().to_vec()).await?;
        }
        let change = AuditChange::AgentGoalCreated {
            agent_goal_id: goal.id,
            agent_id: goal.agent_id.clone(),
            kpi_id: goal.kpi.as_str().to_owned(),
            effective_from: goal.effective_from.format("%Y-%m-%d").to_string(),
            overridden: goal
                .overrides
                .field_names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        };
        audit::append(&transaction, actor, &change).await?;
        transaction.commit().await?;
        Ok(Attempt::Created(goal))
    }

    /// A page of one agent's goals, newest first. Access is checked by the
    /// agent's current team before existence (as agent reads are); the
    /// page after access.
    pub async fn list_goals(
        &self,
        caller: &Caller,
        agent_id: &str,
        page: Result<GoalsPage, ServiceError>,
    ) -> Result<Vec<AgentGoal>, ServiceError> {
        let connection = self.database.connection();
        let agent = directory::get_agent(connection, agent_id).await?;
        authorize_read_of_agent(caller, LIST_AGENT_GOALS, agent.as_ref())?;
        let page = page?;
        if agent.is_none() {
            return Err(ServiceError::agent_not_found(agent_id));
        }
        let listed = goals::list_goals(connection, agent_id, page.before, page.limit).await?;
        Ok(listed)
    }
}
