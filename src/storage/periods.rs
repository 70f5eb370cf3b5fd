//! Closed months: which months payroll has closed, their snapshot versions
//! and the scorecards each snapshot holds. Snapshots are written once and
//! never updated; a restatement adds a version. The scorecards are stored
//! as the opaque bytes the API answered, so a closed month reads back
//! byte for byte.

use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement, Value};

use super::{
    audit,
    idempotency::{remember, replay, IdempotencyKey, Replay},
    lock_numbers, now_micros,
    rollups::maintain::placeholder,
    Database, NumbersLock, StorageError, WriteWork,
};
use crate::domain::{
    audit::{AuditActor, AuditChange},
    calendar::LocalDay,
};

/// Most bind parameters one statement may carry.
const MAX_BIND_PARAMETERS: usize = 30_000;

/// Whose scorecard a snapshot entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Agent,
    Team,
}

impl SubjectKind {
    fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Agent => "agent",
            SubjectKind::Team => "team",
        }
    }
}

/// One stored scorecard of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotEntry {
    pub subject_id: String,
    /// The team the scorecard was judged for (empty for none).
    pub team_id: String,
    pub payload: Vec<u8>,
}

/// One snapshot version of a closed month.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotMeta {
    pub version: i32,
    pub taken_at_us: i64,
    pub taken_by: String,
    pub reason: String,
    pub agent_scorecards: i64,
    pub team_scorecards: i64,
}

/// A closed month.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedPeriod {
    /// `YYYY-MM`.
    pub month: String,
    pub first_day: i32,
    pub end_day: i32,
    pub closed_at_us: i64,
    pub closed_by: String,
    pub current_version: i32,
    /// Oldest first.
    pub versions: Vec<SnapshotMeta>,
}

impl ClosedPeriod {
    pub fn version(&self, version: i32) -> Option<&SnapshotMeta> {
        self.versions.iter().find(|meta| meta.version == version)
    }
}

/// A snapshot to take: the close (no reason) or a restatement.
pub struct NewSnapshot<'a> {
    pub month: &'a str,
    pub first_day: i32,
    pub end_day: i32,
    /// `None` closes the month; `Some(reason)` restates it.
    pub restatement: Option<&'a str>,
    pub agents: Vec<SnapshotEntry>,
    pub teams: Vec<SnapshotEntry>,
    pub actor: &'a AuditActor,
    /// A client request id, and how to encode the response kept under it.
    pub idempotency: Option<(IdempotencyKey, ResponseEncoder<'a>)>,
}

/// Encodes the response of a snapshot call, to keep under its request id.
pub type ResponseEncoder<'a> = &'a (dyn Fn(&SnapshotOutcome) -> Vec<u8> + Sync);

/// What taking a snapshot did.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotOutcome {
    Taken(ClosedPeriod),
    /// Closing a month that was closed already: nothing written.
    AlreadyClosed(ClosedPeriod),
    /// Restating a month that is not closed.
    NotClosed,
    /// A retry of a request already answered: its first response.
    Replayed(Vec<u8>),
    /// The request id was used for another request.
    RequestIdReused,
}

impl Database {
    /// The first local day after the latest closed month, if any month is
    /// closed: nothing effective before this day (a policy version, a team
    /// move) may be stored, or a closed month would change.
    pub async fn closed_through(&self) -> Result<Option<LocalDay>, StorageError> {
        closed_through(self.connection()).await
    }

    /// The closed month `month` (`YYYY-MM`), if it is closed.
    pub async fn closed_period(&self, month: &str) -> Result<Option<ClosedPeriod>, StorageError> {
        load_period(self.connection(), month).await
    }

    /// Closed months before `before` (exclusive, `YYYY-MM`), newest first.
    pub async fn list_closed_periods(
        &self,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<ClosedPeriod>, StorageError> {
        let connection = self.connection();
        let backend = connection.get_database_backend();
        let mut values: Vec<Value> = Vec::new();
        let mut sql = "SELECT month FROM closed_periods".to_owned();
        if let Some(before) = before {
            values.push(before.to_owned().into());
            sql.push_str(&format!(" WHERE month < {}", placeholder(backend, 1)));
        }
        sql.push_str(&format!(" ORDER BY month DESC LIMIT {limit}"));
        let rows = connection
            .query_all(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        let mut periods = Vec::with_capacity(rows.len());
        for row in rows {
            let month: String = row.try_get("", "month")?;
            if let Some(period) = load_period(connection, &month).await? {
                periods.push(period);
            }
        }
        Ok(periods)
    }

    /// Takes a snapshot (closing or restating) in one transaction, with its
    /// audit event.
    pub async fn take_snapshot(
        &self,
        snapshot: NewSnapshot<'_>,
    ) -> Result<SnapshotOutcome, StorageError> {
        self.write(TakeSnapshot(snapshot)).await
    }

    /// One subject's scorecard bytes in a snapshot version.
    pub async fn snapshot_entry(
        &self,
        month: &str,
        version: i32,
        kind: SubjectKind,
        subject_id: &str,
    ) -> Result<Option<SnapshotEntry>, StorageError> {
        let entries = self
            .snapshot_entries(month, version, kind, Some(subject_id), None, 1)
            .await?;
        Ok(entries.into_iter().next())
    }

    /// Entries of a snapshot version by subject id: exactly `only`, or those
    /// after `after`, at most `limit`.
    pub async fn snapshot_entries(
        &self,
        month: &str,
        version: i32,
        kind: SubjectKind,
        only: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<SnapshotEntry>, StorageError> {
        let connection = self.connection();
        let backend = connection.get_database_backend();
        let mut values: Vec<Value> = vec![
            month.to_owned().into(),
            version.into(),
            kind.as_str().into(),
        ];
        let mut sql = format!(
            "SELECT subject_id, team_id, payload FROM snapshot_scorecards \
             WHERE month = {} AND version = {} AND subject_kind = {}",
            placeholder(backend, 1),
            placeholder(backend, 2),
            placeholder(backend, 3)
        );
        if let Some(only) = only {
            values.push(only.to_owned().into());
            sql.push_str(&format!(
                " AND subject_id = {}",
                placeholder(backend, values.len())
            ));
        }
        if let Some(after) = after {
            values.push(after.to_owned().into());
            sql.push_str(&format!(
                " AND subject_id > {}",
                placeholder(backend, values.len())
            ));
        }
        sql.push_str(&format!(" ORDER BY subject_id LIMIT {limit}"));
        let rows = connection
            .query_all(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SnapshotEntry {
                    subject_id: row.try_get("", "subject_id")?,
                    team_id: row.try_get("", "team_id")?,
                    payload: row.try_get("", "payload")?,
                })
            })
            .collect()
    }

    /// Records counted in `[start_us, end_us)` that were stored, corrected
    /// or voided after `since_us`: late data for a closed month.
    pub async fn records_changed_since(
        &self,
        start_us: i64,
        end_us: i64,
        since_us: i64,
    ) -> Result<i64, StorageError> {
        let connection = self.connection();
        let backend = connection.get_database_backend();
        let p = |index| placeholder(backend, index);
        let mut total = 0;
        let own_instant: [(&str, &str); 6] = [
            ("interactions", "ended_at_us"),
            ("qa_evaluations", "evaluated_at_us"),
            ("compliance_checks", "checked_at_us"),
            ("violations", "occurred_at_us"),
            ("training_assignments", "due_at_us"),
            ("agent_time", "starts_at_us"),
        ];
        let mut statements: Vec<String> = own_instant
            .iter()
            .map(|(table, column)| {
                format!(
                    "SELECT COUNT(*) AS n FROM {table} WHERE {column} >= {} AND {column} < {} \
                     AND updated_at_us > {}",
                    p(1),
                    p(2),
                    p(3)
                )
            })
            .collect();
        // Survey responses count in their interaction's month when linked.
        statements.push(format!(
            "SELECT COUNT(*) AS n FROM survey_responses s LEFT JOIN interactions i \
             ON i.source = s.interaction_source AND i.external_id = s.interaction_external_id \
             WHERE s.updated_at_us > {} AND ((s.interaction_source IS NULL AND \
             s.responded_at_us >= {} AND s.responded_at_us < {}) OR \
             (i.ended_at_us >= {} AND i.ended_at_us < {}))",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5)
        ));
        let last = statements.len() - 1;
        for (index, sql) in statements.into_iter().enumerate() {
            let values: Vec<Value> = if index == last {
                vec![
                    since_us.into(),
                    start_us.into(),
                    end_us.into(),
                    start_us.into(),
                    end_us.into(),
                ]
            } else {
                vec![start_us.into(), end_us.into(), since_us.into()]
            };
            if let Some(row) = connection
                .query_one(Statement::from_sql_and_values(backend, sql, values))
                .await?
            {
                total += row.try_get::<i64>("", "n")?;
            }
        }
        Ok(total)
    }
}

/// See [`Database::closed_through`]; on any connection or transaction.
pub async fn closed_through(
    connection: &impl ConnectionTrait,
) -> Result<Option<LocalDay>, StorageError> {
    let backend = connection.get_database_backend();
    let row = connection
        .query_one(Statement::from_string(
            backend,
            "SELECT MAX(end_day) AS end_day FROM closed_periods",
        ))
        .await?;
    let Some(end_day) = row
        .map(|row| row.try_get::<Option<i32>>("", "end_day"))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    Ok(Some(LocalDay::from_number(end_day)))
}

/// The earliest closed month that ends after `day` (a change effective on
/// `day` would alter it), if any.
pub async fn first_closed_month_ending_after(
    connection: &impl ConnectionTrait,
    day: LocalDay,
) -> Result<Option<String>, StorageError> {
    let backend = connection.get_database_backend();
    let row = connection
        .query_one(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT month FROM closed_periods WHERE end_day > {} ORDER BY month LIMIT 1",
                placeholder(backend, 1)
            ),
            [Value::from(day.number())],
        ))
        .await?;
    Ok(row.map(|row| row.try_get("", "month")).transpose()?)
}

async fn load_period(
    connection: &impl ConnectionTrait,
    month: &str,
) -> Result<Option<ClosedPeriod>, StorageError> {
    let backend = connection.get_database_backend();
    let Some(row) = connection
        .query_one(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT month, first_day, end_day, closed_at_us, closed_by, current_version \
                 FROM closed_periods WHERE month = {}",
                placeholder(backend, 1)
            ),
            [Value::from(month)],
        ))
        .await?
    else {
        return Ok(None);
    };
    let versions = connection
        .query_all(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT v.version, v.taken_at_us, v.taken_by, v.reason, \
                 (SELECT COUNT(*) FROM snapshot_scorecards e WHERE e.month = v.month AND \
                  e.version = v.version AND e.subject_kind = 'agent') AS agents, \
                 (SELECT COUNT(*) FROM snapshot_scorecards e WHERE e.month = v.month AND \
                  e.version = v.version AND e.subject_kind = 'team') AS teams \
                 FROM period_snapshots v WHERE v.month = {} ORDER BY v.version",
                placeholder(backend, 1)
            ),
            [Value::from(month)],
        ))
        .await?
        .iter()
        .map(|version| {
            Ok(SnapshotMeta {
                version: version.try_get("", "version")?,
                taken_at_us: version.try_get("", "taken_at_us")?,
                taken_by: version.try_get("", "taken_by")?,
                reason: version.try_get("", "reason")?,
                agent_scorecards: version.try_get("", "agents")?,
                team_scorecards: version.try_get("", "teams")?,
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    Ok(Some(ClosedPeriod {
        month: row.try_get("", "month")?,
        first_day: row.try_get("", "first_day")?,
        end_day: row.try_get("", "end_day")?,
        closed_at_us: row.try_get("", "closed_at_us")?,
        closed_by: row.try_get("", "closed_by")?,
        current_version: row.try_get("", "current_version")?,
        versions,
    }))
}

struct TakeSnapshot<'a>(NewSnapshot<'a>);

impl WriteWork for TakeSnapshot<'_> {
    type Output = SnapshotOutcome;
    type Error = StorageError;

    async fn run(
        &self,
        transaction: &DatabaseTransaction,
    ) -> Result<SnapshotOutcome, StorageError> {
        let snapshot = &self.0;
        // A team change checks the closed months and writes under this
        // lock: it either commits before this snapshot is stored, or sees
        // the month closed and is refused.
        lock_numbers(transaction, NumbersLock::Exclusive).await?;
        if let Some((key, encode)) = &snapshot.idempotency {
            match replay(transaction, key).await? {
                Replay::Same(response) => return Ok(SnapshotOutcome::Replayed(response)),
                Replay::Reused => return Ok(SnapshotOutcome::RequestIdReused),
                Replay::New => {}
            }
            let outcome = take(transaction, snapshot).await?;
            remember(transaction, key, encode(&outcome)).await?;
            return Ok(outcome);
        }
        take(transaction, snapshot).await
    }

    fn is_retryable(&self, error: &StorageError) -> bool {
        matches!(error, StorageError::Conflict(_))
    }
}

async fn take(
    transaction: &DatabaseTransaction,
    snapshot: &NewSnapshot<'_>,
) -> Result<SnapshotOutcome, StorageError> {
    {
        let backend = transaction.get_database_backend();
        let p = |index| placeholder(backend, index);
        let existing = load_period(transaction, snapshot.month).await?;
        let now_us = now_micros();
        let version = match (&existing, snapshot.restatement) {
            (Some(period), None) => return Ok(SnapshotOutcome::AlreadyClosed(period.clone())),
            (None, Some(_)) => return Ok(SnapshotOutcome::NotClosed),
            (None, None) => {
                transaction
                    .execute(Statement::from_sql_and_values(
                        backend,
                        format!(
                            "INSERT INTO closed_periods (month, first_day, end_day, closed_at_us, \
                             closed_by, current_version) VALUES ({}, {}, {}, {}, {}, 1)",
                            p(1),
                            p(2),
                            p(3),
                            p(4),
                            p(5)
                        ),
                        [
                            Value::from(snapshot.month),
                            snapshot.first_day.into(),
                            snapshot.end_day.into(),
                            now_us.into(),
                            Value::from(principal(snapshot.actor)),
                        ],
                    ))
                    .await?;
                1
            }
            (Some(period), Some(_)) => {
                let version = period.current_version + 1;
                transaction
                    .execute(Statement::from_sql_and_values(
                        backend,
                        format!(
                            "UPDATE closed_periods SET current_version = {} WHERE month = {}",
                            p(1),
                            p(2)
                        ),
                        [Value::from(version), Value::from(snapshot.month)],
                    ))
                    .await?;
                version
            }
        };
        transaction
            .execute(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO period_snapshots (month, version, taken_at_us, taken_by, reason) \
                     VALUES ({}, {}, {}, {}, {})",
                    p(1),
                    p(2),
                    p(3),
                    p(4),
                    p(5)
                ),
                [
                    Value::from(snapshot.month),
                    version.into(),
                    now_us.into(),
                    Value::from(principal(snapshot.actor)),
                    Value::from(snapshot.restatement.unwrap_or_default()),
                ],
            ))
            .await?;
        insert_entries(
            transaction,
            snapshot.month,
            version,
            SubjectKind::Agent,
            &snapshot.agents,
        )
        .await?;
        insert_entries(
            transaction,
            snapshot.month,
            version,
            SubjectKind::Team,
            &snapshot.teams,
        )
        .await?;
        let change = match snapshot.restatement {
            None => AuditChange::PeriodClosed {
                month: snapshot.month.to_owned(),
                version,
                agent_scorecards: snapshot.agents.len() as u32,
                team_scorecards: snapshot.teams.len() as u32,
            },
            Some(reason) => AuditChange::PeriodRestated {
                month: snapshot.month.to_owned(),
                version,
                reason: reason.to_owned(),
            },
        };
        audit::append(transaction, snapshot.actor, &change).await?;
        let period = load_period(transaction, snapshot.month)
            .await?
            .ok_or_else(|| StorageError::Corrupt("closed period vanished".into()))?;
        Ok(SnapshotOutcome::Taken(period))
    }
}

fn principal(actor: &AuditActor) -> String {
    actor.principal.chars().take(256).collect()
}

async fn insert_entries(
    connection: &impl ConnectionTrait,
    month: &str,
    version: i32,
    kind: SubjectKind,
    entries: &[SnapshotEntry],
) -> Result<(), StorageError> {
    let backend = connection.get_database_backend();
    for chunk in entries.chunks(MAX_BIND_PARAMETERS / 6) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 6);
        let mut tuples = Vec::with_capacity(chunk.len());
        for entry in chunk {
            let first = values.len();
            values.push(month.to_owned().into());
            values.push(version.into());
            values.push(kind.as_str().into());
            values.push(entry.subject_id.clone().into());
            values.push(entry.team_id.clone().into());
            values.push(entry.payload.clone().into());
            let placeholders: Vec<String> = (first..values.len())
                .map(|index| placeholder(backend, index + 1))
                .collect();
            tuples.push(format!("({})", placeholders.join(", ")));
        }
        connection
            .execute(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO snapshot_scorecards (month, version, subject_kind, subject_id, \
                     team_id, payload) VALUES {}",
                    tuples.join(", ")
                ),
                values,
            ))
            .await?;
    }
    Ok(())
}
