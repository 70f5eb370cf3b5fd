//! Reading changes: the stored rows after a position, each judged on both
//! sides exactly as a scorecard read at the commit instant judges it (the
//! stored sums, the policy versions and goals the write recorded, and the
//! forecast of a period then in progress), and one change per KPI whose
//! status, value or forecast status moved, each at its own position.

use std::{collections::HashMap, sync::Arc};

use sea_orm::ConnectionTrait;

use crate::{
    domain::{
        changes::{
            kpi_bit, position_of, result_moved, ChangeFilter, ScorecardChange, StoredChanges,
            KPI_SLOTS,
        },
        forecast::{forecast_kpi, Elapsed},
        kpi::KpiSums,
        policy::{AgentGoal, PolicyVersion},
        scorecard::{judge_agent, AppliedPolicy, Scorecard},
    },
    storage::{changes::list_after, goals::get_goal, policy_cache::all_versions, StorageError},
};

/// Rows read per query: `limit / ROWS_PER_READ_DIVISOR` changes' worth, at
/// least [`MIN_ROWS_PER_READ`].
const ROWS_PER_READ_DIVISOR: u64 = 8;
const MIN_ROWS_PER_READ: u64 = 8;

/// What judging rows needs besides the rows, read on first need.
#[derive(Default)]
struct Judging {
    versions: Option<HashMap<i64, PolicyVersion>>,
    goals: HashMap<i64, Option<AgentGoal>>,
}

impl Judging {
    async fn policy(
        &mut self,
        connection: &impl ConnectionTrait,
        id: Option<i64>,
    ) -> Result<AppliedPolicy, StorageError> {
        let Some(id) = id else {
            return Ok(AppliedPolicy::from_version(None));
        };
        if self
            .versions
            .as_ref()
            .is_none_or(|versions| !versions.contains_key(&id))
        {
            let versions = all_versions(connection).await?;
            self.versions = Some(
                versions
                    .into_iter()
                    .map(|version| (version.id, version))
                    .collect(),
            );
        }
        let version = self
            .versions
            .as_ref()
            .and_then(|versions| versions.get(&id))
            .cloned()
            .ok_or_else(|| StorageError::Corrupt(format!("change names policy version {id}")))?;
        Ok(AppliedPolicy::from_version(Some(version)))
    }

    async fn goals(
        &mut self,
        connection: &impl ConnectionTrait,
        ids: &[i64],
    ) -> Result<Vec<AgentGoal>, StorageError> {
        let mut goals = Vec::with_capacity(ids.len());
        for id in ids {
            if !self.goals.contains_key(id) {
                let goal = get_goal(connection, *id).await?;
                self.goals.insert(*id, goal);
            }
            match self.goals.get(id).cloned().flatten() {
                Some(goal) => goals.push(goal),
                None => {
                    return Err(StorageError::Corrupt(format!(
                        "change names agent goal {id}"
                    )))
                }
            }
        }
        Ok(goals)
    }

    /// The row's changes after `after` that pass `filter`.
    async fn changes_of(
        &mut self,
        connection: &impl ConnectionTrait,
        row: StoredChanges,
        after: i64,
        filter: &ChangeFilter,
    ) -> Result<Vec<ScorecardChange>, StorageError> {
        let sums = &row.sums;
        let goals = self.goals(connection, &sums.goal_ids).await?;
        let goals: Vec<&AgentGoal> = goals.iter().collect();
        let side = |sums: &KpiSums, policy: AppliedPolicy| {
            let mut scorecard =
                judge_agent(sums, policy, &goals, sums_team(&row), row.sums.period, None);
            add_forecasts(&mut scorecard, &row);
            Arc::new(scorecard)
        };
        let before_policy = self.policy(connection, sums.policy_before_id).await?;
        let after_policy = self.policy(connection, sums.policy_version_id).await?;
        let before = side(&sums.before, before_policy);
        let after_side = side(&sums.after, after_policy);
        let cause = Arc::new(row.cause.clone());
        let mut changes = Vec::new();
        for (index, value) in after_side.values.iter().enumerate() {
            let position = position_of(row.row, index);
            if position <= after
                || sums.moved.candidates & kpi_bit(index) == 0
                || !result_moved(&before, &after_side, index)
            {
                continue;
            }
            let change = ScorecardChange {
                position,
                committed_at: row.committed_at,
                subject_kind: sums.subject_kind,
                subject_id: sums.subject_id.clone(),
                team_id: sums.team_id.clone(),
                period_kind: sums.period_kind,
                month: sums.month.clone(),
                kpi: value.kpi,
                index,
                before: before.clone(),
                after: after_side.clone(),
                cause: cause.clone(),
            };
            if filter.passes(&change) {
                changes.push(change);
            }
        }
        Ok(changes)
    }
}

fn sums_team(row: &StoredChanges) -> Option<String> {
    row.sums.team_id.clone()
}

/// The forecasts of the row's candidate KPIs as a read at the commit
/// instant gives them, when the period was then in progress.
fn add_forecasts(scorecard: &mut Scorecard, row: &StoredChanges) {
    let Some(elapsed) = Elapsed::of(&row.sums.period, row.committed_at) else {
        return;
    };
    scorecard.as_of = Some(row.committed_at);
    scorecard.forecasts = scorecard
        .values
        .iter()
        .zip(&scorecard.verdict.assessments)
        .enumerate()
        .map(|(index, (value, assessment))| {
            if row.sums.moved.candidates & kpi_bit(index) == 0 {
                return None;
            }
            forecast_kpi(value, assessment.rule.as_ref(), elapsed)
        })
        .collect();
}

/// What [`changes_after`] found.
pub(super) struct ChangesRead {
    /// In position order.
    pub changes: Vec<ScorecardChange>,
    /// Every change up to this position was examined: the last change's
    /// row's end when it was the row's last change for the filter.
    pub through: i64,
}

/// Up to `limit` changes after position `after` that pass `filter`, in
/// position order. Fewer than `limit`: every row stored when the read
/// began was examined.
pub(super) async fn changes_after(
    connection: &impl ConnectionTrait,
    after: i64,
    filter: &ChangeFilter,
    limit: u64,
) -> Result<ChangesRead, StorageError> {
    let mut judging = Judging::default();
    let mut changes = Vec::new();
    let mut scanned = after;
    // A row holds one to 24 changes: fetch a fraction of `limit` rows at a
    // time rather than decode rows a full page will not reach.
    let rows_per_read = (limit / ROWS_PER_READ_DIVISOR).max(MIN_ROWS_PER_READ);
    loop {
        let rows = list_after(connection, scanned, filter, rows_per_read).await?;
        let exhausted = (rows.len() as u64) < rows_per_read;
        for row in rows {
            let end_of_row = row.row * KPI_SLOTS + KPI_SLOTS - 1;
            let mut of_row = judging
                .changes_of(connection, row, after, filter)
                .await?
                .into_iter()
                .peekable();
            while let Some(change) = of_row.next() {
                let position = change.position;
                changes.push(change);
                if changes.len() as u64 >= limit {
                    let through = match of_row.peek() {
                        Some(_) => position,
                        None => end_of_row,
                    };
                    return Ok(ChangesRead { changes, through });
                }
            }
            scanned = end_of_row;
        }
        if exhausted {
            return Ok(ChangesRead {
                changes,
                through: scanned,
            });
        }
    }
}
