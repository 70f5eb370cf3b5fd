//! The scorecard change feed (spec: "Scorecard changes"; API conventions:
//! "Streams"). Writes record their changes in their own transactions
//! through `recorder`; this module reads them back: a page of changes
//! after a cursor (`ListScorecardChanges`) and a stream of every later
//! change (`WatchScorecardChanges`, in `stream`), both filtered by the
//! request and narrowed to the caller's scope, and the background prune
//! that keeps the retention.
//!
//! Cursors are opaque tokens checked against the database's identity
//! (`domain::changes::cursor`): a token from another database is
//! INVALID_ARGUMENT, one after the latest change OUT_OF_RANGE, one older
//! than the retention FAILED_PRECONDITION (CURSOR_EXPIRED, naming the
//! oldest cursor still available).

mod batch;
mod judging;
mod reading;
pub mod recorder;
mod scope;
mod stream;
mod sums;

use reading::changes_after;
pub use recorder::{announce, Recorded, Recorder};
pub use scope::ChangeScope;
pub use stream::{ChangeStream, WatchEvent};

use std::{sync::Arc, time::Duration};

use tokio::sync::{watch, Semaphore};

use crate::{
    auth::{Caller, ReadSubject},
    configuration::ChangeSettings,
    domain::{
        changes::{cursor, ChangeFilter, ScorecardChange},
        violations::FieldViolation,
    },
    error::{CursorRefusal, ServiceError},
    service::{
        access::authorize_read,
        pagination::{decode_token, encode_token, page_size_within, request_fingerprint},
    },
    storage::{
        changes::{bounds, prune_before, LogBounds},
        directory, Database,
    },
};

pub(crate) const WATCH: &str = "/kpi.v1.ChangeService/WatchScorecardChanges";
pub(crate) const LIST: &str = "/kpi.v1.ChangeService/ListScorecardChanges";
const DEFAULT_PAGE_SIZE: u64 = 100;
const MAX_PAGE_SIZE: u64 = 1_000;

/// A change with its cursor as clients see it.
#[derive(Debug, Clone)]
pub struct CursorChange {
    pub cursor: String,
    pub change: ScorecardChange,
}

/// What a listing asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filter: ChangeFilter,
    /// Changes after this cursor; empty: from the oldest retained.
    pub since_cursor: String,
    pub page_token: String,
    pub page_size: i32,
    /// The request's fields as text, to bind page tokens to them.
    pub fingerprint_parts: Vec<String>,
}

/// One page of changes.
#[derive(Debug, Clone)]
pub struct ChangePage {
    pub changes: Vec<CursorChange>,
    /// Empty on the last page (nothing more has been committed yet).
    pub next_page_token: String,
    /// Where to resume later (as `since_cursor`, or a watch's cursor):
    /// after every change of this page, and after every change up to the
    /// latest when this is the last page.
    pub resume_cursor: String,
    /// The latest change's cursor when the page was read.
    pub latest_cursor: String,
}

/// The change feed's read side.
#[derive(Clone)]
pub struct ChangeFeed {
    database: Database,
    settings: ChangeSettings,
    streams: Arc<Semaphore>,
    draining: watch::Receiver<bool>,
}

impl ChangeFeed {
    /// The feed; `draining` turns true when the server starts shutting
    /// down (streams then end with UNAVAILABLE).
    pub fn new(
        database: Database,
        settings: ChangeSettings,
        draining: watch::Receiver<bool>,
    ) -> Self {
        Self {
            streams: Arc::new(Semaphore::new(settings.max_streams)),
            database,
            settings,
            draining,
        }
    }

    /// The caller may read the teams the filter names; the filter is then
    /// narrowed to the caller's scope.
    fn authorize(
        &self,
        caller: &Caller,
        method: &str,
        filter: &mut ChangeFilter,
    ) -> Result<(), ServiceError> {
        if filter.team_ids.is_empty() {
            authorize_read(caller, method, ReadSubject::Catalogue)?;
        }
        for team_id in &filter.team_ids {
            authorize_read(caller, method, ReadSubject::Team(team_id))?;
        }
        filter.scope_teams = caller.principal.readable_teams();
        Ok(())
    }

    /// Every team a filter names must be in the directory (checked after
    /// access). Agents need not be: ingest registers them on first sight,
    /// and a watch may wait for an agent's first record.
    async fn check_named(&self, filter: &ChangeFilter) -> Result<(), ServiceError> {
        let connection = self.database.connection();
        let mut violations = Vec::new();
        for (index, team_id) in filter.team_ids.iter().enumerate() {
            if directory::get_team(connection, team_id).await?.is_none() {
                violations.push(FieldViolation {
                    field: format!("filter.team_ids[{index}]"),
                    description: format!("team {team_id:?} is not in the directory"),
                });
            }
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::invalid_fields(violations))
        }
    }

    /// The position of a client's cursor, checked against the log.
    fn position_of(bounds: &LogBounds, field: &str, token: &str) -> Result<i64, ServiceError> {
        let position = cursor::decode(&bounds.database_id, token).map_err(|error| {
            let why = match error {
                cursor::CursorError::Malformed => {
                    format!("{field} is not a cursor this service issued")
                }
                cursor::CursorError::OtherDatabase => format!(
                    "{field} was issued by another database (another environment or a restored \
                     copy); start again without a cursor"
                ),
            };
            ServiceError::invalid_field(field, why)
        })?;
        check_position(bounds, position)?;
        Ok(position)
    }

    /// A page of changes.
    pub async fn list(
        &self,
        caller: &Caller,
        query: Result<ListQuery, ServiceError>,
    ) -> Result<ChangePage, ServiceError> {
        let mut query = query?;
        self.authorize(caller, LIST, &mut query.filter)?;
        self.check_named(&query.filter).await?;
        let limit = page_size_within(query.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
        let parts: Vec<&str> = query.fingerprint_parts.iter().map(String::as_str).collect();
        let fingerprint = request_fingerprint(&parts);
        let connection = self.database.connection();
        let log = bounds(connection).await?;
        let position = match decode_token(&query.page_token, &fingerprint)? {
            Some(token) => Self::position_of(&log, "page_token", &token)?,
            None if query.since_cursor.is_empty() => log.pruned_through,
            None => Self::position_of(&log, "since_cursor", &query.since_cursor)?,
        };
        let mut rows = changes_after(connection, position, &query.filter, limit + 1)
            .await?
            .changes;
        let full = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let last_row = rows.last().map(|row| row.position);
        let resume = match (full, last_row) {
            (true, Some(last)) => last,
            (_, last) => last.unwrap_or(position).max(log.last),
        };
        let encode = |position: i64| cursor::encode(&log.database_id, position);
        let next_page_token = if full {
            encode_token(&fingerprint, &encode(resume))
        } else {
            String::new()
        };
        Ok(ChangePage {
            changes: rows
                .into_iter()
                .map(|change| CursorChange {
                    cursor: encode(change.position),
                    change,
                })
                .collect(),
            next_page_token,
            resume_cursor: encode(resume),
            latest_cursor: encode(log.last),
        })
    }

    /// Removes changes older than the retention, every prune interval,
    /// until draining starts.
    pub async fn prune_until_draining(self) {
        let mut draining = self.draining.clone();
        let interval = Duration::from_secs(self.settings.prune_interval_seconds);
        loop {
            let cutoff = chrono::Utc::now()
                - chrono::Duration::from_std(self.settings.retention())
                    .unwrap_or(chrono::Duration::days(14));
            match self.prune(cutoff).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "pruned old scorecard changes"),
                Err(error) => tracing::warn!(?error, "pruning scorecard changes failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = draining.wait_for(|draining| *draining) => return,
            }
        }
    }

    async fn prune(&self, cutoff: chrono::DateTime<chrono::Utc>) -> Result<u64, ServiceError> {
        let transaction = self.database.begin_write().await?;
        let deleted = prune_before(&transaction, cutoff).await?;
        transaction.commit().await?;
        Ok(deleted)
    }
}

/// A position older than the pruned mark is expired; one after the latest
/// change lies in the future.
fn check_position(bounds: &LogBounds, position: i64) -> Result<(), ServiceError> {
    if position < bounds.pruned_through {
        return Err(ServiceError::Cursor {
            refusal: CursorRefusal::Expired,
            cursor: cursor::encode(&bounds.database_id, bounds.pruned_through),
        });
    }
    if position > bounds.last {
        return Err(ServiceError::Cursor {
            refusal: CursorRefusal::Future,
            cursor: cursor::encode(&bounds.database_id, bounds.last),
        });
    }
    Ok(())
}
