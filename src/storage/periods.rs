//! Closed months: which months payroll has closed, their snapshot versions
//! and the scorecards each snapshot holds. Snapshots are written once and
//! never updated; a restatement adds a version.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, Statement, Value};

use super::{rollups::maintain::placeholder, Database, StorageError};

impl Database {
    /// The first local day after the latest closed month, if any month is
    /// closed: nothing effective before this day (a policy version, a team
    /// move) may be stored, or a closed month would change.
    pub async fn closed_through(&self) -> Result<Option<NaiveDate>, StorageError> {
        closed_through(self.connection()).await
    }
}

/// See [`Database::closed_through`]; on any connection or transaction.
pub async fn closed_through(
    connection: &impl ConnectionTrait,
) -> Result<Option<NaiveDate>, StorageError> {
    let backend = connection.get_database_backend();
    let row = connection
        .query_one(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT MAX(end_day) AS end_day FROM closed_periods WHERE end_day > {}",
                placeholder(backend, 1)
            ),
            [Value::from(i32::MIN)],
        ))
        .await?;
    let Some(end_day) =
        row.and_then(|row| row.try_get::<Option<i32>>("", "end_day").ok().flatten())
    else {
        return Ok(None);
    };
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    Ok(epoch.checked_add_signed(chrono::Duration::days(i64::from(end_day))))
}
