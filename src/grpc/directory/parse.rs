//! DirectoryService messages <-> domain values: parsing a team or an agent
//! to upsert (every problem a field violation), and teams and agents as
//! protobuf.

use chrono::{DateTime, NaiveDate, Utc};

use super::super::{
    fields::{FieldParser, MAX_ID_LEN, MAX_NAME_LEN},
    pb,
};
use crate::{
    domain::{
        directory::{Agent, AgentUpsert, Team, TeamMembership, TeamUpsert},
        violations::Violations,
    },
    error::ServiceError,
};

/// Earliest `team_effective_from` accepted (year, month, day).
const EARLIEST_TEAM_CHANGE: (i32, u32, u32) = (1970, 1, 1);

pub(crate) fn timestamp(instant: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: instant.timestamp_subsec_nanos() as i32,
    }
}

pub(super) fn team_to_pb(team: Team) -> pb::Team {
    pb::Team {
        team_id: team.team_id,
        display_name: team.display_name,
        create_time: Some(timestamp(team.created_at)),
        update_time: Some(timestamp(team.updated_at)),
    }
}

fn date_to_pb(date: Option<NaiveDate>) -> String {
    date.map(|date| date.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn membership_to_pb(membership: TeamMembership) -> pb::TeamMembership {
    pb::TeamMembership {
        team_id: membership.team_id,
        effective_from: date_to_pb(membership.effective_from),
        effective_to: date_to_pb(membership.effective_to),
    }
}

pub(super) fn agent_to_pb(agent: Agent) -> pb::Agent {
    pb::Agent {
        agent_id: agent.agent_id,
        display_name: agent.display_name,
        team_id: agent.team_id.unwrap_or_default(),
        create_time: Some(timestamp(agent.created_at)),
        update_time: Some(timestamp(agent.updated_at)),
        memberships: agent
            .memberships
            .into_iter()
            .map(membership_to_pb)
            .collect(),
    }
}

/// `team_effective_from`: empty, or a day from 1970-01-01 to `today`.
fn parse_team_effective_from(
    text: &str,
    today: NaiveDate,
    violations: &mut Violations,
) -> Option<NaiveDate> {
    const FIELD: &str = "team_effective_from";
    if text.is_empty() {
        return None;
    }
    let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") else {
        violations.add(
            FIELD,
            format!("{FIELD} must be a date written YYYY-MM-DD, got {text:?}"),
        );
        return None;
    };
    let (year, month, day) = EARLIEST_TEAM_CHANGE;
    let earliest = NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN);
    if date < earliest {
        violations.add(FIELD, format!("{FIELD} must be {earliest} or later"));
        return None;
    }
    // The current team (`agents.team_id`) is today's: a future change would
    // need something to apply it when its day comes, so it is refused.
    if date > today {
        violations.add(
            FIELD,
            format!("{FIELD} may not be after today ({today}) in the reporting zone"),
        );
        return None;
    }
    Some(date)
}

pub(crate) fn parse_team(request: pb::UpsertTeamRequest) -> Result<TeamUpsert, ServiceError> {
    let mut violations = Violations::new();
    let Some(team) = request.team else {
        return Err(ServiceError::invalid_field("team", "team is required"));
    };
    let mut parser = FieldParser::new("team", &mut violations);
    let upsert = TeamUpsert {
        team_id: parser.required_id("team_id", &team.team_id, MAX_ID_LEN),
        display_name: parser.text("display_name", &team.display_name, MAX_NAME_LEN),
    };
    violations
        .into_result(upsert)
        .map_err(ServiceError::invalid_fields)
}

pub(crate) fn parse_agent(
    request: pb::UpsertAgentRequest,
    today: NaiveDate,
) -> Result<AgentUpsert, ServiceError> {
    let mut violations = Violations::new();
    let Some(agent) = request.agent else {
        return Err(ServiceError::invalid_field("agent", "agent is required"));
    };
    let mut parser = FieldParser::new("agent", &mut violations);
    let agent_id = parser.required_id("agent_id", &agent.agent_id, MAX_ID_LEN);
    let display_name = parser.text("display_name", &agent.display_name, MAX_NAME_LEN);
    let team_id = parser.optional_id("team_id", &agent.team_id, MAX_ID_LEN);
    let team_effective_from =
        parse_team_effective_from(&request.team_effective_from, today, &mut violations);
    let upsert = AgentUpsert {
        agent_id,
        display_name,
        team_id,
        team_effective_from,
    };
    violations
        .into_result(upsert)
        .map_err(ServiceError::invalid_fields)
}
