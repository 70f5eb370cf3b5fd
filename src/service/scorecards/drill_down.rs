//! `ListAgentInteractions`: the interactions behind an agent's numbers,
//! in the order they ended, in keyset pages.

use super::{resolve_period, Scorecards};
use crate::{
    auth::Caller,
    domain::{period::PeriodSpec, records::NewInteraction},
    error::ServiceError,
    service::{
        access::authorize_agent_read,
        pagination::{decode_token, page_size, request_fingerprint, trim_page},
    },
    storage::drill_down::{agent_interactions, InteractionCursor},
};

const LIST_AGENT_INTERACTIONS: &str = "/kpi.v1.ScorecardService/ListAgentInteractions";

/// A request for a page of an agent's interactions.
pub struct InteractionsQuery {
    pub agent_id: String,
    pub period: Result<PeriodSpec, ServiceError>,
    pub page_size: i32,
    pub page_token: String,
}

/// A page of interactions, each with the team recorded for it, and the
/// next page's token (empty on the last).
#[derive(Debug, Clone)]
pub struct InteractionsPage {
    pub interactions: Vec<(NewInteraction, Option<String>)>,
    pub next_page_token: String,
}

fn parse_cursor(key: &str) -> Result<InteractionCursor, ServiceError> {
    let invalid = || {
        ServiceError::invalid_field(
            "page_token",
            "page_token is not a token this service issued",
        )
    };
    let (ended_at_us, id) = key.split_once(':').ok_or_else(invalid)?;
    Ok(InteractionCursor {
        ended_at_us: ended_at_us.parse().map_err(|_| invalid())?,
        id: id.parse().map_err(|_| invalid())?,
    })
}

impl Scorecards {
    /// Checks: page size, access (by the agent's current team), the
    /// period, the page token, the agent's existence.
    pub async fn agent_interactions(
        &self,
        caller: &Caller,
        query: InteractionsQuery,
    ) -> Result<InteractionsPage, ServiceError> {
        let size = page_size(query.page_size)?;
        let agent_id = query.agent_id;
        authorize_agent_read(&self.database, caller, LIST_AGENT_INTERACTIONS, &agent_id).await?;
        let period = resolve_period(query.period, self.zone)?;
        let fingerprint = request_fingerprint(&[
            "interactions",
            &agent_id,
            &format!(
                "{}..{}",
                period.start.timestamp_micros(),
                period.end.timestamp_micros()
            ),
        ]);
        let cursor = match decode_token(&query.page_token, &fingerprint)? {
            None => None,
            Some(key) => Some(parse_cursor(&key)?),
        };
        self.agent(self.database.connection(), &agent_id).await?;
        let mut rows = agent_interactions(
            self.database.connection(),
            &agent_id,
            period.start.timestamp_micros(),
            period.end.timestamp_micros(),
            cursor,
            size + 1,
        )
        .await?;
        let next_page_token = trim_page(&mut rows, size, &fingerprint, |(cursor, _)| {
            format!("{}:{}", cursor.ended_at_us, cursor.id)
        });
        Ok(InteractionsPage {
            interactions: rows
                .into_iter()
                .map(|(_, stored)| (stored.record, stored.recorded_team_id))
                .collect(),
            next_page_token,
        })
    }
}
