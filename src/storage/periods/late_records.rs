//! Late data for a closed month: records counted in it that were stored,
//! corrected or voided after a snapshot was taken.

use sea_orm::{ConnectionTrait, Statement, Value};

use super::super::{rollups::maintain::placeholder, StorageError};

/// Records counted in `[start_us, end_us)` that were stored, corrected
/// or voided after `since_us`: late data for a closed month.
pub async fn records_changed_since(
    connection: &impl ConnectionTrait,
    start_us: i64,
    end_us: i64,
    since_us: i64,
) -> Result<i64, StorageError> {
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
