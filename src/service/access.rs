//! Adapter glue for the body checks of the scope table: the adapters call
//! these right after parsing a request, and the decision itself is
//! `auth::authorize_body`. Reads about an agent need the agent's current
//! team, looked up only for team-scoped callers.

use crate::{
    auth::{authorize_body, Body, Caller, ReadSubject},
    domain::directory::Agent,
    error::ServiceError,
    storage::Database,
};

/// May the caller read what `subject` names through `method`?
pub fn authorize_read(
    caller: &Caller,
    method: &str,
    subject: ReadSubject<'_>,
) -> Result<(), ServiceError> {
    authorize_body(&caller.principal, method, Body::Read(subject))
}

/// May the caller read `agent_id` (by the agent's current team)? Checked
/// before existence: for a team-scoped caller an unknown agent is
/// PERMISSION_DENIED, like another team's.
pub async fn authorize_agent_read(
    database: &Database,
    caller: &Caller,
    method: &str,
    agent_id: &str,
) -> Result<(), ServiceError> {
    if caller.principal.reads_everything() {
        return authorize_read_of_agent(caller, method, None);
    }
    let agent = crate::storage::directory::get_agent(database.connection(), agent_id).await?;
    authorize_read_of_agent(caller, method, agent.as_ref())
}

/// [`authorize_agent_read`] for a caller that already looked the agent up
/// (`None`: no such agent).
pub fn authorize_read_of_agent(
    caller: &Caller,
    method: &str,
    agent: Option<&Agent>,
) -> Result<(), ServiceError> {
    let current_team = if caller.principal.reads_everything() {
        None
    } else {
        agent.and_then(|agent| agent.team_id.as_deref())
    };
    authorize_read(caller, method, ReadSubject::Agent { current_team })
}

/// May the caller read a list with this optional team filter?
pub fn authorize_list(
    caller: &Caller,
    method: &str,
    team_id: Option<&str>,
) -> Result<(), ServiceError> {
    let subject = match team_id {
        Some(team_id) => ReadSubject::Team(team_id),
        None => ReadSubject::Organisation,
    };
    authorize_read(caller, method, subject)
}
