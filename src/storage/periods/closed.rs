//! `closed_periods` and the versions of each (`period_snapshots`).

use sea_orm::{ConnectionTrait, Statement, Value};

use super::super::{rollups::maintain::placeholder, StorageError};
use crate::domain::{
    calendar::{DayRange, LocalDay},
    closing::{ClosedPeriod, SnapshotMeta},
};

/// The first local day after the latest closed month, if any month is
/// closed: nothing effective before this day (a policy version, a team
/// move) may be stored, or a closed month would change.
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

/// The closed month `month` (`YYYY-MM`), if it is closed, with its versions.
pub async fn closed_period(
    connection: &impl ConnectionTrait,
    month: &str,
) -> Result<Option<ClosedPeriod>, StorageError> {
    load_period(connection, month).await
}

/// Closed months before `before` (exclusive, `YYYY-MM`), newest first.
pub async fn list_closed_periods(
    connection: &impl ConnectionTrait,
    before: Option<&str>,
    limit: u64,
) -> Result<Vec<ClosedPeriod>, StorageError> {
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

/// How a pay period was closed: its days, when, by whom, and under which
/// settings (the pay-period kind as `PayCalendar::recorded_name`, the
/// reporting zone's IANA name).
pub struct NewClosedPeriod<'a> {
    pub key: &'a str,
    pub days: DayRange,
    pub closed_at_us: i64,
    pub closed_by: &'a str,
    pub pay_period_kind: &'a str,
    pub time_zone: &'a str,
}

/// Records a pay period as closed, at version 1.
pub async fn insert_closed_period(
    connection: &impl ConnectionTrait,
    closed: NewClosedPeriod<'_>,
) -> Result<(), StorageError> {
    let backend = connection.get_database_backend();
    let p = |index| placeholder(backend, index);
    connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO closed_periods (month, first_day, end_day, closed_at_us, \
                 closed_by, current_version, pay_period_kind, time_zone) \
                 VALUES ({}, {}, {}, {}, {}, 1, {}, {})",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7)
            ),
            [
                Value::from(closed.key),
                closed.days.first.number().into(),
                closed.days.end.number().into(),
                closed.closed_at_us.into(),
                Value::from(closed.closed_by),
                Value::from(closed.pay_period_kind),
                Value::from(closed.time_zone),
            ],
        ))
        .await?;
    Ok(())
}

/// Makes `version` the one reads of `month` answer from.
pub async fn set_current_version(
    connection: &impl ConnectionTrait,
    month: &str,
    version: i32,
) -> Result<(), StorageError> {
    let backend = connection.get_database_backend();
    connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE closed_periods SET current_version = {} WHERE month = {}",
                placeholder(backend, 1),
                placeholder(backend, 2)
            ),
            [Value::from(version), Value::from(month)],
        ))
        .await?;
    Ok(())
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
                "SELECT month, first_day, end_day, closed_at_us, closed_by, current_version, \
                 pay_period_kind FROM closed_periods WHERE month = {}",
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
        pay_period_kind: row.try_get("", "pay_period_kind")?,
    }))
}
