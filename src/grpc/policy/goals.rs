//! `PolicyService`'s agent goals: protobuf <-> domain only; the use cases
//! are `service::goals::Goals`.

use super::{
    super::{
        directory::timestamp,
        fields::{idempotency_key, FieldParser, MAX_ID_LEN},
        graded_plans::floors_from_pb,
        kpi_results::{target_from_pb, target_to_pb},
        pagination::{page_size, request_fingerprint, trim_page},
        pb,
    },
    parse::parse_date,
    versions_before, PolicyApi,
};
use crate::{
    auth::Caller,
    domain::{
        policy::{validate_goal, AgentGoal, GoalInput, NewAgentGoal},
        violations::Violations,
    },
    error::ServiceError,
    service::goals::GoalsPage,
};

/// A goal as sent, for `validate_goal`.
pub fn goal_input_from_pb(goal: &pb::AgentGoal) -> GoalInput {
    GoalInput {
        kpi_id: goal.kpi_id.clone(),
        target: goal.target.as_ref().and_then(target_from_pb),
        warning_band: goal.warning_band,
        floors: floors_from_pb(goal.floor, goal.floor_below, goal.floor_above),
    }
}

pub fn agent_goal_to_pb(goal: &AgentGoal) -> pb::AgentGoal {
    let floors = goal.overrides.floors.unwrap_or_default();
    pb::AgentGoal {
        agent_goal_id: goal.id,
        agent_id: goal.agent_id.clone(),
        kpi_id: goal.kpi.as_str().to_owned(),
        effective_from: goal.effective_from.format("%Y-%m-%d").to_string(),
        target: goal.overrides.target.map(target_to_pb),
        warning_band: goal.overrides.warning_band,
        floor: floors.floor,
        floor_below: floors.below,
        floor_above: floors.above,
        create_time: Some(timestamp(goal.created_at)),
        created_by: goal.created_by.clone(),
    }
}

/// Parses and validates a new goal: every problem a field violation below
/// `goal`.
fn parse_new_goal(
    request: &pb::CreateAgentGoalRequest,
    created_by: &str,
) -> Result<NewAgentGoal, ServiceError> {
    let goal = request
        .goal
        .as_ref()
        .ok_or_else(|| ServiceError::invalid_field("goal", "goal is required"))?;
    let mut violations = Violations::new();
    let agent_id = FieldParser::new("goal", &mut violations).required_id(
        "agent_id",
        &goal.agent_id,
        MAX_ID_LEN,
    );
    let effective_from = parse_date("goal.effective_from", &goal.effective_from, &mut violations);
    if goal
        .target
        .as_ref()
        .is_some_and(|target| target.bound.is_none())
    {
        violations.add("goal.target", "a target needs at_least, at_most or between");
    }
    let validated = match validate_goal("goal", &goal_input_from_pb(goal)) {
        Ok(validated) => Some(validated),
        Err(goal_violations) => {
            violations.extend(goal_violations);
            None
        }
    };
    let (Some(effective_from), Some((kpi, overrides))) = (effective_from, validated) else {
        return Err(ServiceError::invalid_fields(violations.into_vec()));
    };
    violations
        .into_result(NewAgentGoal {
            agent_id,
            kpi,
            effective_from,
            overrides,
            created_by: created_by.to_owned(),
        })
        .map_err(ServiceError::invalid_fields)
}

impl PolicyApi {
    pub(super) async fn create_agent_goal(
        &self,
        caller: &Caller,
        request: pb::CreateAgentGoalRequest,
    ) -> Result<pb::CreateAgentGoalResponse, ServiceError> {
        let new_goal = parse_new_goal(&request, &caller.principal.name)?;
        let goal = request.goal.unwrap_or_default();
        let request_key = idempotency_key(&request.request_id, "CreateAgentGoal", &goal)?;
        let stored = self
            .goals
            .create_goal(caller, new_goal, request_key)
            .await?;
        Ok(pb::CreateAgentGoalResponse {
            goal: Some(agent_goal_to_pb(&stored)),
        })
    }

    pub(super) async fn list_agent_goals(
        &self,
        caller: &Caller,
        request: pb::ListAgentGoalsRequest,
    ) -> Result<pb::ListAgentGoalsResponse, ServiceError> {
        let size = page_size(request.page_size)?;
        let mut violations = Violations::new();
        let agent_id = FieldParser::new("", &mut violations).required_id(
            "agent_id",
            &request.agent_id,
            MAX_ID_LEN,
        );
        violations
            .into_result(())
            .map_err(ServiceError::invalid_fields)?;
        let fingerprint = request_fingerprint(&["agent_goals", &agent_id]);
        // The token is checked after access, by the use case; one goal
        // more than a page tells whether another page exists.
        let page = versions_before(&request.page_token, &fingerprint).map(|before| GoalsPage {
            before,
            limit: size + 1,
        });
        let mut goals = self.goals.list_goals(caller, &agent_id, page).await?;
        let next_page_token = trim_page(&mut goals, size, &fingerprint, |goal| goal.id.to_string());
        Ok(pb::ListAgentGoalsResponse {
            goals: goals.iter().map(agent_goal_to_pb).collect(),
            next_page_token,
        })
    }
}
