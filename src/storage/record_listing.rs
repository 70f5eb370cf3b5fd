//! Records of all seven kinds in one listing: an agent's records in a
//! period (`ListAgentRecords`), and every record of a period changed after
//! a snapshot (the adjustment report). Each row says where the record
//! counts: its agent, its team (fixed at ingest, or moved by a back-dated
//! team move; a linked survey response's is its interaction's), the instant that puts it in a period (a linked survey
//! response's is its interaction's end), and whether it counts at all.

use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};

use super::{rollups::maintain::placeholder, StorageError};
use crate::domain::record_listing::{ListedRecord, RecordKind};

/// Where a page of an agent's records starts: after this (instant, kind,
/// storage id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordCursor {
    pub counted_at_us: i64,
    pub kind: RecordKind,
    pub id: i64,
}

/// Every record as one row shape: kind, id, source, external_id, revision,
/// voided (0/1), agent_id, team_id, counted_at_us, stored_at_us,
/// changed_at_us.
const ALL_RECORDS: &str = "\
SELECT 1 AS kind, id, source, external_id, revision, \
  CASE WHEN voided THEN 1 ELSE 0 END AS voided, agent_id, team_id, \
  ended_at_us AS counted_at_us, ingested_at_us AS stored_at_us, updated_at_us AS changed_at_us \
  FROM interactions \
UNION ALL SELECT 2, s.id, s.source, s.external_id, s.revision, \
  CASE WHEN s.voided OR i.voided THEN 1 ELSE 0 END, COALESCE(i.agent_id, s.agent_id), \
  CASE WHEN s.interaction_source IS NULL THEN s.team_id ELSE i.team_id END, \
  CASE WHEN s.interaction_source IS NULL THEN s.responded_at_us ELSE i.ended_at_us END, \
  s.ingested_at_us, s.updated_at_us \
  FROM survey_responses s LEFT JOIN interactions i \
  ON i.source = s.interaction_source AND i.external_id = s.interaction_external_id \
UNION ALL SELECT 3, q.id, q.source, q.external_id, q.revision, \
  CASE WHEN q.voided OR i.voided THEN 1 ELSE 0 END, q.agent_id, q.team_id, q.evaluated_at_us, \
  q.ingested_at_us, q.updated_at_us \
  FROM qa_evaluations q LEFT JOIN interactions i \
  ON i.source = q.interaction_source AND i.external_id = q.interaction_external_id \
UNION ALL SELECT 4, id, source, external_id, revision, CASE WHEN voided THEN 1 ELSE 0 END, \
  agent_id, team_id, checked_at_us, ingested_at_us, updated_at_us FROM compliance_checks \
UNION ALL SELECT 5, id, source, external_id, revision, CASE WHEN voided THEN 1 ELSE 0 END, \
  agent_id, team_id, occurred_at_us, ingested_at_us, updated_at_us FROM violations \
UNION ALL SELECT 6, id, source, external_id, revision, CASE WHEN voided THEN 1 ELSE 0 END, \
  agent_id, team_id, due_at_us, ingested_at_us, updated_at_us FROM training_assignments \
UNION ALL SELECT 7, id, source, external_id, revision, CASE WHEN voided THEN 1 ELSE 0 END, \
  agent_id, team_id, starts_at_us, ingested_at_us, updated_at_us FROM agent_time";

/// Builds `WHERE` clauses with numbered placeholders.
struct Filter {
    backend: DatabaseBackend,
    clauses: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            clauses: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The next placeholder, bound to `value`.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        placeholder(self.backend, self.values.len())
    }

    fn add(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    fn statement(self, order_and_limit: &str) -> Statement {
        Statement::from_sql_and_values(
            self.backend,
            format!(
                "SELECT * FROM ({ALL_RECORDS}) r WHERE {} {order_and_limit}",
                self.clauses.join(" AND ")
            ),
            self.values,
        )
    }
}

/// Records of `agent_id` counted in `[start_us, end_us)`, void ones too,
/// ordered by (instant, kind, id), after `cursor`, at most `limit`.
pub async fn agent_records(
    connection: &impl ConnectionTrait,
    agent_id: &str,
    start_us: i64,
    end_us: i64,
    cursor: Option<RecordCursor>,
    limit: u64,
) -> Result<Vec<ListedRecord>, StorageError> {
    let mut filter = Filter::new(connection.get_database_backend());
    let agent = filter.bind(agent_id);
    filter.add(format!("r.agent_id = {agent}"));
    in_period(&mut filter, start_us, end_us);
    if let Some(cursor) = cursor {
        let (at_1, at_2) = (
            filter.bind(cursor.counted_at_us),
            filter.bind(cursor.counted_at_us),
        );
        let (kind_1, kind_2) = (
            filter.bind(cursor.kind.number()),
            filter.bind(cursor.kind.number()),
        );
        let id = filter.bind(cursor.id);
        filter.add(format!(
            "(r.counted_at_us > {at_1} OR (r.counted_at_us = {at_2} AND (r.kind > {kind_1} OR \
             (r.kind = {kind_2} AND r.id > {id}))))"
        ));
    }
    let rows = connection
        .query_all(filter.statement(&format!(
            "ORDER BY r.counted_at_us, r.kind, r.id LIMIT {limit}"
        )))
        .await?;
    rows.iter().map(listed_record).collect()
}

/// Records counted in `[start_us, end_us)` whose last change lies in
/// `(after_us, until_us]` (`until_us` `None`: up to now), of every agent,
/// ordered by agent, instant, kind and id.
pub async fn records_changed_between(
    connection: &impl ConnectionTrait,
    start_us: i64,
    end_us: i64,
    after_us: i64,
    until_us: Option<i64>,
) -> Result<Vec<ListedRecord>, StorageError> {
    let mut filter = Filter::new(connection.get_database_backend());
    in_period(&mut filter, start_us, end_us);
    let after = filter.bind(after_us);
    filter.add(format!("r.changed_at_us > {after}"));
    if let Some(until_us) = until_us {
        let until = filter.bind(until_us);
        filter.add(format!("r.changed_at_us <= {until}"));
    }
    let rows = connection
        .query_all(filter.statement("ORDER BY r.agent_id, r.counted_at_us, r.kind, r.id"))
        .await?;
    rows.iter().map(listed_record).collect()
}

fn in_period(filter: &mut Filter, start_us: i64, end_us: i64) {
    let start = filter.bind(start_us);
    let end = filter.bind(end_us);
    filter.add(format!(
        "r.counted_at_us >= {start} AND r.counted_at_us < {end}"
    ));
}

fn listed_record(row: &QueryResult) -> Result<ListedRecord, StorageError> {
    let kind: i32 = row.try_get("", "kind")?;
    let voided: i32 = row.try_get("", "voided")?;
    Ok(ListedRecord {
        kind: RecordKind::from_number(kind)
            .ok_or_else(|| StorageError::Corrupt(format!("unknown record kind {kind}")))?,
        id: row.try_get("", "id")?,
        source: row.try_get("", "source")?,
        external_id: row.try_get("", "external_id")?,
        revision: row.try_get("", "revision")?,
        voided: voided != 0,
        agent_id: row
            .try_get::<Option<String>>("", "agent_id")?
            .unwrap_or_default(),
        team_id: row.try_get("", "team_id")?,
        counted_at_us: row.try_get("", "counted_at_us")?,
        stored_at_us: row.try_get("", "stored_at_us")?,
        changed_at_us: row.try_get("", "changed_at_us")?,
    })
}
