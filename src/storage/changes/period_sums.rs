//! The sums the change feed compares, kept per (subject, period)
//! (`change_period_sums`): every agent's and team's sums of each local day
//! and each month, with worked days, maintained additively by ingest in
//! the batch's transaction. The upsert returns the sums after the write,
//! so a batch learns the before and after of every (subject, period) it
//! touched from its own statements, and never re-sums a month of rollup
//! rows (which cost more than the whole batch).
//!
//! Worked days: an agent's day is worked when its contacts (over all its
//! teams) are above zero, and its month counts those days; a team's day
//! and month count the (agent, day) rollup rows with contacts, as a team
//! scorecard does. The statement keeps an agent day's flag itself; the
//! caller passes the month's and the teams' moves (from the contacts the
//! daily rollup upsert and the agent-day upsert return).
//!
//! Writes that rewrite rollups wholesale (a team move, a rebuild) rebuild
//! the rows they touch from the rollups (`period_rebuild`). The state row says
//! whether the table is current: ingest keeps it current only while it
//! records changes, and a service that records them rebuilds it at start
//! when it is not (`period_rebuild`).

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};

use crate::{
    domain::{
        calendar::LocalDay,
        changes::{PeriodKind, SubjectKind},
        kpi::KpiSums,
    },
    storage::{
        pg_arrays::{unnest_call, ColumnArrays},
        rollups::{
            columns::{SumColumns, FLOAT_COLUMNS, INTEGER_COLUMNS},
            maintain::placeholder,
        },
        StorageError,
    },
};

pub use super::period_rebuild::{is_fresh, rebuild, set_fresh, RebuildScope};

pub(super) const TABLE: &str = "change_period_sums";
/// Below SQLite's bind limit.
const MAX_BIND_PARAMETERS: usize = 30_000;

/// Which subject and period a row sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SumsKind {
    AgentDay,
    AgentMonth,
    TeamDay,
    TeamMonth,
}

impl SumsKind {
    /// The stored code; codes sort as the variants do (the upsert order).
    fn code(self) -> &'static str {
        match self {
            SumsKind::AgentDay => "ad",
            SumsKind::AgentMonth => "am",
            SumsKind::TeamDay => "td",
            SumsKind::TeamMonth => "tm",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "ad" => SumsKind::AgentDay,
            "am" => SumsKind::AgentMonth,
            "td" => SumsKind::TeamDay,
            "tm" => SumsKind::TeamMonth,
            _ => return None,
        })
    }

    pub fn of(subject: SubjectKind, period: PeriodKind) -> Self {
        match (subject, period) {
            (SubjectKind::Agent, PeriodKind::Day) => SumsKind::AgentDay,
            (SubjectKind::Agent, PeriodKind::Month) => SumsKind::AgentMonth,
            (SubjectKind::Team, PeriodKind::Day) => SumsKind::TeamDay,
            (SubjectKind::Team, PeriodKind::Month) => SumsKind::TeamMonth,
        }
    }

    pub fn subject(self) -> SubjectKind {
        match self {
            SumsKind::AgentDay | SumsKind::AgentMonth => SubjectKind::Agent,
            SumsKind::TeamDay | SumsKind::TeamMonth => SubjectKind::Team,
        }
    }

    pub fn period(self) -> PeriodKind {
        match self {
            SumsKind::AgentDay | SumsKind::TeamDay => PeriodKind::Day,
            SumsKind::AgentMonth | SumsKind::TeamMonth => PeriodKind::Month,
        }
    }
}

/// One row's key: the subject and the period's first local day.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeriodSumsKey {
    pub kind: SumsKind,
    pub subject_id: String,
    pub first_day: LocalDay,
}

/// What a write adds to one row.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodDelta {
    pub columns: SumColumns,
    /// Worked days gained (negative: lost). For an agent's day, the flag
    /// a new row starts with; an existing row's flag follows its contacts.
    pub worked_days: i64,
}

impl Default for PeriodDelta {
    fn default() -> Self {
        Self {
            columns: SumColumns::zero(),
            worked_days: 0,
        }
    }
}

/// The first day of the month of `day`.
pub fn month_of(day: LocalDay) -> LocalDay {
    let date = day.date();
    LocalDay::of_date(date.with_day(1).unwrap_or(date))
}

pub(super) fn column_names() -> Vec<&'static str> {
    let mut columns = vec!["kind", "subject_id", "first_day"];
    columns.extend(INTEGER_COLUMNS);
    columns.push("worked_days");
    columns.extend(FLOAT_COLUMNS);
    columns
}

fn conflict_clause() -> String {
    let mut updates: Vec<String> = INTEGER_COLUMNS
        .iter()
        .map(|column| format!("{column} = {TABLE}.{column} + excluded.{column}"))
        .collect();
    updates.push(format!(
        "worked_days = CASE WHEN {TABLE}.kind = 'ad' THEN \
         (CASE WHEN {TABLE}.contacts + excluded.contacts > 0 THEN 1 ELSE 0 END) \
         ELSE {TABLE}.worked_days + excluded.worked_days END"
    ));
    updates.extend(FLOAT_COLUMNS.iter().map(|column| {
        format!(
            "{column} = CASE WHEN {TABLE}.qa_evaluations + excluded.qa_evaluations = 0 \
             THEN 0 ELSE {TABLE}.{column} + excluded.{column} END"
        )
    }));
    format!(
        "ON CONFLICT (kind, subject_id, first_day) DO UPDATE SET {} RETURNING {}",
        updates.join(", "),
        column_names().join(", ")
    )
}

fn row_values(key: &PeriodSumsKey, delta: &PeriodDelta) -> Vec<Value> {
    let mut values: Vec<Value> = Vec::with_capacity(6 + INTEGER_COLUMNS.len());
    values.push(key.kind.code().into());
    values.push(key.subject_id.as_str().into());
    values.push(key.first_day.number().into());
    values.extend(
        delta
            .columns
            .integers
            .iter()
            .map(|value| Value::from(*value)),
    );
    values.push(delta.worked_days.into());
    values.extend(delta.columns.floats.iter().map(|value| Value::from(*value)));
    values
}

fn sums_from_row(row: &QueryResult) -> Result<(PeriodSumsKey, KpiSums), StorageError> {
    let code: String = row.try_get("", "kind")?;
    let key = PeriodSumsKey {
        kind: SumsKind::parse(&code)
            .ok_or_else(|| StorageError::Corrupt(format!("period sums kind {code:?}")))?,
        subject_id: row.try_get("", "subject_id")?,
        first_day: LocalDay::from_number(row.try_get("", "first_day")?),
    };
    let mut columns = SumColumns::zero();
    for (slot, name) in columns.integers.iter_mut().zip(INTEGER_COLUMNS) {
        *slot = row.try_get("", name)?;
    }
    for (slot, name) in columns.floats.iter_mut().zip(FLOAT_COLUMNS) {
        *slot = row.try_get("", name)?;
    }
    let mut sums = columns.to_sums()?;
    let worked: i64 = row.try_get("", "worked_days")?;
    sums.worked_days = u64::try_from(worked)
        .map_err(|_| StorageError::Corrupt(format!("{key:?}: negative worked days")))?;
    Ok((key, sums))
}

/// Adds `deltas` (in key order, so that concurrent writers lock rows in
/// one order) and returns every row's sums after.
pub async fn upsert(
    connection: &impl ConnectionTrait,
    deltas: &BTreeMap<PeriodSumsKey, PeriodDelta>,
) -> Result<HashMap<PeriodSumsKey, KpiSums>, StorageError> {
    let mut after = HashMap::with_capacity(deltas.len());
    if deltas.is_empty() {
        return Ok(after);
    }
    let backend = connection.get_database_backend();
    let columns = column_names();
    let rows: Vec<(&PeriodSumsKey, &PeriodDelta)> = deltas.iter().collect();
    let mut statements = Vec::new();
    if backend == DatabaseBackend::Postgres {
        let mut types = vec!["text", "text", "integer"];
        types.extend(INTEGER_COLUMNS.iter().map(|_| "bigint"));
        types.push("bigint");
        types.extend(FLOAT_COLUMNS.iter().map(|_| "double precision"));
        let sql = format!(
            "INSERT INTO {TABLE} ({}) SELECT * FROM {} {}",
            columns.join(", "),
            unnest_call(&types, 1),
            conflict_clause()
        );
        let mut arrays = ColumnArrays::new(types.len());
        for (key, delta) in &rows {
            arrays.push_row(row_values(key, delta))?;
        }
        statements.push(Statement::from_sql_and_values(
            backend,
            sql,
            arrays.into_values(),
        ));
    } else {
        for chunk in rows.chunks(MAX_BIND_PARAMETERS / columns.len()) {
            let mut values = Vec::with_capacity(chunk.len() * columns.len());
            let mut tuples = Vec::with_capacity(chunk.len());
            for (key, delta) in chunk {
                let first = values.len();
                values.extend(row_values(key, delta));
                let marks: Vec<String> = (first..values.len())
                    .map(|index| placeholder(backend, index + 1))
                    .collect();
                tuples.push(format!("({})", marks.join(", ")));
            }
            let sql = format!(
                "INSERT INTO {TABLE} ({}) VALUES {} {}",
                columns.join(", "),
                tuples.join(", "),
                conflict_clause()
            );
            statements.push(Statement::from_sql_and_values(backend, sql, values));
        }
    }
    for statement in statements {
        for row in connection.query_all(statement).await? {
            let (key, sums) = sums_from_row(&row)?;
            after.insert(key, sums);
        }
    }
    Ok(after)
}
