//! Policy effective dates become real dates, within the supported calendar
//! (2000-01-01 to 9999-12-31).
//!
//! They were `varchar(10)` text: PostgreSQL refused a five-digit or signed
//! year with a database error, and SQLite compared such a year as text, so
//! that `+10000-01-01` sorted before `2026-...` and was "in force" today.
//!
//! - PostgreSQL: the column becomes `date`, with a CHECK on the range.
//! - SQLite has no date type: dates are ISO-8601 text, which SQLite's own
//!   date functions read. Inside the range every date is `YYYY-MM-DD` with
//!   a four-digit year, so text order is date order; the service refuses
//!   dates outside it.
//!
//! Existing dates outside the range are moved to its nearest end: a year
//! after 9999 to 9999-12-31 (still never in force, as the caller meant),
//! one before 2000 to 2000-01-01 (no data exists before it). Two such
//! versions of one scope then tie on the date and the later-created one
//! wins, as for any tie.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    r#"UPDATE policy_versions SET effective_from = '2000-01-01'
       WHERE effective_from COLLATE "C" < '2000-01-01'"#,
    "ALTER TABLE policy_versions ALTER COLUMN effective_from TYPE date \
     USING effective_from::date",
    "ALTER TABLE policy_versions ADD CONSTRAINT ck_policy_versions_effective_from \
     CHECK (effective_from BETWEEN DATE '2000-01-01' AND DATE '9999-12-31')",
];

const POSTGRES_DOWN: &[&str] = &[
    "ALTER TABLE policy_versions DROP CONSTRAINT ck_policy_versions_effective_from",
    "ALTER TABLE policy_versions ALTER COLUMN effective_from TYPE varchar(10) \
     USING to_char(effective_from, 'YYYY-MM-DD')",
];

/// Signed years first: '+' and '-' sort before every digit.
const SQLITE_UP: &[&str] = &[
    "UPDATE policy_versions SET effective_from = '9999-12-31' \
     WHERE effective_from LIKE '+%'",
    "UPDATE policy_versions SET effective_from = '2000-01-01' \
     WHERE effective_from LIKE '-%' OR effective_from < '2000-01-01'",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        run(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // On SQLite the text stays as it is: ISO dates are what the column
        // held before.
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run(manager, POSTGRES_DOWN).await,
            _ => Ok(()),
        }
    }
}

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    for statement in statements {
        connection.execute_unprepared(statement).await?;
    }
    Ok(())
}
