//! `ListAgentInteractions`: the interactions behind an agent's numbers.

use super::{period_key, ScorecardApi, LIST_AGENT_INTERACTIONS};
use crate::error::ServiceError;
use crate::{
    auth::Caller,
    domain::records::{Channel, NewInteraction},
    grpc::{
        directory::timestamp,
        fields::required_request_id,
        pagination::{decode_token, page_size, request_fingerprint, trim_page},
        pb,
        period::resolve_period,
    },
    storage::drill_down::InteractionCursor,
};

fn interaction_to_pb(record: NewInteraction) -> pb::Interaction {
    let channel = match record.channel {
        Channel::Phone => pb::Channel::Phone,
        Channel::Chat => pb::Channel::Chat,
        Channel::Email => pb::Channel::Email,
        Channel::Social => pb::Channel::Social,
        Channel::Messaging => pb::Channel::Messaging,
        Channel::Other => pb::Channel::Other,
    };
    pb::Interaction {
        source: record.meta.key.source,
        external_id: record.meta.key.external_id,
        revision: record.meta.revision,
        voided: record.meta.voided,
        agent_id: record.agent_id,
        team_id: String::new(),
        channel: channel as i32,
        queued_at: Some(timestamp(record.queued_at)),
        first_response_at: record.first_response_at.map(timestamp),
        ended_at: Some(timestamp(record.ended_at)),
        resolved_at: record.resolved_at.map(timestamp),
        sla_due_at: record.sla_due_at.map(timestamp),
        talk_seconds: record.talk_seconds,
        hold_seconds: record.hold_seconds,
        after_contact_work_seconds: record.after_contact_work_seconds,
        resolved: record.resolved,
        first_contact_resolved: record.first_contact_resolved,
        escalated: record.escalated,
        transferred: record.transferred,
        agent_error: record.agent_error,
        complaint: record.complaint,
    }
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

impl ScorecardApi {
    pub(super) async fn list_agent_interactions(
        &self,
        caller: &Caller,
        request: pb::ListAgentInteractionsRequest,
    ) -> Result<pb::ListAgentInteractionsResponse, ServiceError> {
        let size = page_size(request.page_size)?;
        let agent_id = required_request_id("agent_id", &request.agent_id)?;
        self.authorize_agent(caller, LIST_AGENT_INTERACTIONS, &agent_id)
            .await?;
        let period = resolve_period("period", request.period.as_ref(), self.engine.zone())?;
        let fingerprint = request_fingerprint(&["interactions", &agent_id, &period_key(&period)]);
        let cursor = match decode_token(&request.page_token, &fingerprint)? {
            None => None,
            Some(key) => Some(parse_cursor(&key)?),
        };
        self.agent(&agent_id).await?;
        let mut rows = crate::storage::drill_down::agent_interactions(
            self.engine.database().connection(),
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
        Ok(pb::ListAgentInteractionsResponse {
            interactions: rows
                .into_iter()
                .map(|(_, stored)| pb::StoredInteraction {
                    interaction: Some(interaction_to_pb(stored.record)),
                    recorded_team_id: stored.recorded_team_id.unwrap_or_default(),
                })
                .collect(),
            next_page_token,
        })
    }
}
