//! The alternative the service did not take: keeping the rollups by
//! recomputing every (agent, team, day) key a batch touches from raw rows,
//! inside the batch's transaction. Both ways end with the same upsert of
//! the touched keys; recomputing also has to read every stored record of
//! those keys (and the survey responses linked to them), where deltas come
//! from the batch itself. This measures that extra read, on the stored
//! data, for batches spread over the last pass, so that it can be set
//! beside the time a whole batch takes through the service.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};

use crate::{
    data::{interaction_row, Directory, Pass},
    ingest::BATCH,
    server::Service,
};

/// Batches sampled.
const SAMPLES: u64 = 20;
const DAY_US: i64 = 86_400_000_000;

/// What the sampled recomputations read.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecomputeFigures {
    /// Median time of one batch's recomputation read.
    pub median: Duration,
    /// Mean rollup keys one batch touches.
    pub keys_per_batch: f64,
    /// Mean stored interactions read per batch.
    pub rows_per_batch: f64,
}

/// Reads, for each sampled batch of `pass`, what recomputing its keys
/// would read (the benchmark runs in UTC, so a key's day is UTC).
pub async fn measure(service: &Service, directory: &Directory, pass: &Pass) -> RecomputeFigures {
    let batches = pass.interactions().div_ceil(BATCH).max(1);
    let connection = service.database.connection();
    let backend = connection.get_database_backend();
    let mut times = Vec::new();
    let (mut keys_total, mut rows_total) = (0usize, 0i64);
    for sample in 0..SAMPLES.min(batches) {
        let batch = sample * batches / SAMPLES.min(batches);
        let first = pass.first + batch * BATCH;
        let end = (first + BATCH).min(pass.end);
        let mut keys: Vec<(String, String, i64)> = (first..end)
            .map(|index| {
                let row = interaction_row(directory, pass, index);
                (
                    directory.agent_id(row.agent),
                    directory.team_id(directory.team_of(row.agent)),
                    row.ended_at_us.div_euclid(DAY_US),
                )
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys_total += keys.len();
        let values: Vec<String> = keys
            .iter()
            .map(|(agent, team, day)| format!("('{agent}', '{team}', {day})"))
            .collect();
        let keys_cte = format!(
            "WITH touched(agent_id, team_id, day) AS (VALUES {})",
            values.join(", ")
        );
        let within_key = format!(
            "i.agent_id = k.agent_id AND i.team_id = k.team_id \
             AND i.ended_at_us >= k.day * {DAY_US} AND i.ended_at_us < (k.day + 1) * {DAY_US}"
        );
        let interactions = format!(
            "{keys_cte} SELECT k.agent_id, k.team_id, k.day, COUNT(*) AS contacts, \
             SUM(i.talk_seconds + i.hold_seconds + i.after_contact_work_seconds) AS handle, \
             SUM(CASE WHEN i.resolved THEN 1 ELSE 0 END) AS resolved, \
             SUM(CASE WHEN i.first_contact_resolved THEN 1 ELSE 0 END) AS fcr, \
             SUM(CASE WHEN i.escalated THEN 1 ELSE 0 END) AS escalated, \
             SUM(CASE WHEN i.transferred THEN 1 ELSE 0 END) AS transferred, \
             SUM(CASE WHEN i.agent_error THEN 1 ELSE 0 END) AS errors, \
             SUM(CASE WHEN i.complaint THEN 1 ELSE 0 END) AS complaints, \
             SUM(CASE WHEN i.first_response_at_us IS NULL THEN 0 \
                 ELSE i.first_response_at_us - i.queued_at_us END) AS response \
             FROM touched k JOIN interactions i ON {within_key} AND NOT i.voided \
             GROUP BY k.agent_id, k.team_id, k.day"
        );
        let surveys = format!(
            "{keys_cte} SELECT k.agent_id, k.team_id, k.day, COUNT(*) AS responses, \
             SUM(s.score) AS score FROM touched k JOIN interactions i ON {within_key} \
             AND NOT i.voided JOIN survey_responses s ON s.interaction_source = i.source \
             AND s.interaction_external_id = i.external_id AND NOT s.voided \
             GROUP BY k.agent_id, k.team_id, k.day"
        );
        let started = Instant::now();
        let groups = connection
            .query_all(Statement::from_string(backend, interactions))
            .await
            .expect("the recomputation read failed");
        connection
            .query_all(Statement::from_string(backend, surveys))
            .await
            .expect("the recomputation read of survey responses failed");
        times.push(started.elapsed());
        rows_total += groups
            .iter()
            .map(|row| row.try_get::<i64>("", "contacts").unwrap_or_default())
            .sum::<i64>();
    }
    times.sort();
    let samples = times.len().max(1) as f64;
    RecomputeFigures {
        median: times.get(times.len() / 2).copied().unwrap_or_default(),
        keys_per_batch: keys_total as f64 / samples,
        rows_per_batch: rows_total as f64 / samples,
    }
}
