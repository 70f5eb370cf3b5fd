//! `ListAgentRecords`: the records of all seven kinds behind an agent's
//! numbers in a period, void ones included, each with the team it counts
//! for, in keyset pages ordered by (instant, kind, storage id).

use super::{resolve_period, Scorecards};
use crate::{
    auth::Caller,
    domain::{
        period::PeriodSpec,
        record_listing::{ListedRecord, RecordKind},
    },
    error::ServiceError,
    service::{
        access::authorize_agent_read,
        pagination::{decode_token, page_size, request_fingerprint, trim_page},
    },
    storage::record_listing::{agent_records, RecordCursor},
};

const LIST_AGENT_RECORDS: &str = "/kpi.v1.ScorecardService/ListAgentRecords";

/// A request for a page of an agent's records.
pub struct RecordsQuery {
    pub agent_id: String,
    pub period: Result<PeriodSpec, ServiceError>,
    pub page_size: i32,
    pub page_token: String,
}

/// A page of records and the next page's token (empty on the last).
#[derive(Debug, Clone)]
pub struct RecordsPage {
    pub records: Vec<ListedRecord>,
    pub next_page_token: String,
}

fn parse_cursor(key: &str) -> Result<RecordCursor, ServiceError> {
    let invalid = || {
        ServiceError::invalid_field(
            "page_token",
            "page_token is not a token this service issued",
        )
    };
    let mut parts = key.split(':');
    let (Some(at), Some(kind), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    Ok(RecordCursor {
        counted_at_us: at.parse().map_err(|_| invalid())?,
        kind: kind
            .parse()
            .ok()
            .and_then(RecordKind::from_number)
            .ok_or_else(invalid)?,
        id: id.parse().map_err(|_| invalid())?,
    })
}

impl Scorecards {
    /// Checks: page size, access (by the agent's current team), the
    /// period (a pay period must be one of the configured kind), the page
    /// token, the agent's existence.
    pub async fn agent_records(
        &self,
        caller: &Caller,
        query: RecordsQuery,
    ) -> Result<RecordsPage, ServiceError> {
        let size = page_size(query.page_size)?;
        let agent_id = query.agent_id;
        authorize_agent_read(&self.database, caller, LIST_AGENT_RECORDS, &agent_id).await?;
        self.check_pay_period(&query.period)?;
        let period = resolve_period(query.period, self.zone)?;
        let (start_us, end_us) = (
            period.start.timestamp_micros(),
            period.end.timestamp_micros(),
        );
        let fingerprint =
            request_fingerprint(&["records", &agent_id, &format!("{start_us}..{end_us}")]);
        let cursor = match decode_token(&query.page_token, &fingerprint)? {
            None => None,
            Some(key) => Some(parse_cursor(&key)?),
        };
        // A single agent's records: on the primary, like drill-down.
        let connection = self.database.connection();
        self.agent(connection, &agent_id).await?;
        let mut records =
            agent_records(connection, &agent_id, start_us, end_us, cursor, size + 1).await?;
        let next_page_token = trim_page(&mut records, size, &fingerprint, |record| {
            format!(
                "{}:{}:{}",
                record.counted_at_us,
                record.kind.number(),
                record.id
            )
        });
        Ok(RecordsPage {
            records,
            next_page_token,
        })
    }
}
