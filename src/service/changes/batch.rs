//! Recording an ingest batch's changes from its own writes. The batch's
//! rollup deltas are upserted with the contacts each row has after them;
//! the same deltas, summed per (subject, period), are upserted into the
//! period sums (`storage::changes::period_sums`), which return the sums
//! after the write. The sums before are those minus the deltas: exact for
//! every count and total, and for worked days (a day or a row that had
//! contacts on one side only is counted in or out, from the contacts
//! returned). Nothing is read back: the statements that write return what
//! the comparison needs.
//!
//! **Why a change's `before` is the previous change's `after` of its key.**
//! Each upsert locks its rows until the batch commits, so a later batch
//! that touches the same (subject, period) waits for this one, and then
//! starts from its after. The change-ordering lock is taken only after
//! every upsert, for drawing cursors, storing the changes and committing:
//! a batch that waited for this one's rows draws its cursors after this
//! one committed, so cursors of one key increase with its writes. Batches
//! with no key in common may commit in either order. QA points are
//! floating-point sums: added in commit order here, they may differ from a
//! read (which adds the rows of the period in key order) in the last bits.

use std::collections::{BTreeMap, HashMap};

use sea_orm::ConnectionTrait;

use super::{
    judging::{store, Policies},
    scope::{ChangeScope, ScopedPeriod},
    sums::{ResultKey, SubjectSums},
    Recorded, Recorder,
};
use crate::{
    domain::{
        calendar::{DayRange, LocalDay},
        changes::{ChangeCause, PeriodKind, SubjectKind},
        kpi::KpiSums,
    },
    storage::{
        changes::{
            lock_change_order,
            period_sums::{self, month_of, PeriodDelta, PeriodSumsKey, SumsKind},
        },
        memberships,
        rollups::{
            columns::{SumColumns, INTEGER_COLUMNS},
            maintain::upsert_additive_returning_contacts,
            RollupKey,
        },
        StorageError,
    },
};

/// +1 when a day or row becomes worked, -1 when it stops being worked.
fn worked_move(before_contacts: i64, after_contacts: i64) -> i64 {
    i64::from(after_contacts > 0) - i64::from(before_contacts > 0)
}

fn add(
    deltas: &mut BTreeMap<PeriodSumsKey, PeriodDelta>,
    kind: SumsKind,
    subject_id: &str,
    first_day: LocalDay,
    columns: &SumColumns,
) {
    deltas
        .entry(PeriodSumsKey {
            kind,
            subject_id: subject_id.to_owned(),
            first_day,
        })
        .or_default()
        .columns
        .add_signed(columns, 1);
}

fn worked_days_move(
    deltas: &mut BTreeMap<PeriodSumsKey, PeriodDelta>,
    kind: SumsKind,
    subject_id: &str,
    first_day: LocalDay,
    moved: i64,
) {
    if moved == 0 {
        return;
    }
    if let Some(delta) = deltas.get_mut(&PeriodSumsKey {
        kind,
        subject_id: subject_id.to_owned(),
        first_day,
    }) {
        delta.worked_days += moved;
    }
}

/// `after` minus a delta, with worked days `worked_before`.
fn before_of(
    after: &KpiSums,
    delta: &SumColumns,
    worked_before: i64,
) -> Result<KpiSums, StorageError> {
    let mut columns = SumColumns::of(after);
    columns.add_signed(delta, -1);
    let mut sums = columns.to_sums()?;
    if sums.qa_evaluations == 0 {
        sums.qa_score = 0.0;
        sums.qa_max_score = 0.0;
    }
    sums.worked_days = u64::try_from(worked_before)
        .map_err(|_| StorageError::Corrupt("negative worked days before a write".into()))?;
    Ok(sums)
}

impl Recorder {
    /// Upserts an ingest batch's rollup `rows` (in key order) and records
    /// the changes they make, caused by `cause` and stamped
    /// `committed_at_us` (see the module notes). The caller commits.
    pub async fn ingest_batch(
        &self,
        connection: &impl ConnectionTrait,
        rows: Vec<(RollupKey, SumColumns, i64)>,
        cause: &ChangeCause,
        committed_at_us: i64,
    ) -> Result<Option<Recorded>, StorageError> {
        if rows.is_empty() {
            return Ok(None);
        }
        let contacts = INTEGER_COLUMNS
            .iter()
            .position(|column| *column == "contacts")
            .ok_or_else(|| StorageError::Corrupt("no contacts column".into()))?;
        let deltas: HashMap<RollupKey, SumColumns> = rows
            .iter()
            .map(|(key, columns, _)| (key.clone(), columns.clone()))
            .collect();
        let scope = ChangeScope::of_rollup_keys(deltas.keys());
        // What judging needs besides the sums, read before any row is
        // locked: the upserts lock rows other writers wait for.
        let periods = scope.periods(self.zone)?;
        let agent_ids: Vec<&str> = scope.agents.iter().map(String::as_str).collect();
        let histories = memberships::team_histories(connection, Some(&agent_ids)).await?;
        let mut policies = Policies::default();
        let agents: Vec<String> = scope.agents.iter().cloned().collect();
        self.prefetch(connection, &mut policies, &agents, &periods)
            .await?;
        let rows_after = upsert_additive_returning_contacts(connection, rows).await?;

        let (mut agent_days, mut rest) = (BTreeMap::new(), BTreeMap::new());
        for (key, columns) in &deltas {
            let month = month_of(key.day);
            add(
                &mut agent_days,
                SumsKind::AgentDay,
                &key.agent_id,
                key.day,
                columns,
            );
            add(
                &mut rest,
                SumsKind::AgentMonth,
                &key.agent_id,
                month,
                columns,
            );
            if !key.team_id.is_empty() {
                add(&mut rest, SumsKind::TeamDay, &key.team_id, key.day, columns);
                add(&mut rest, SumsKind::TeamMonth, &key.team_id, month, columns);
            }
        }
        // A team's worked days count its rows with contacts.
        for (key, after_contacts) in &rows_after {
            let Some(delta) = deltas.get(key) else {
                continue;
            };
            if key.team_id.is_empty() {
                continue;
            }
            let moved = worked_move(after_contacts - delta.integers[contacts], *after_contacts);
            let month = month_of(key.day);
            worked_days_move(&mut rest, SumsKind::TeamDay, &key.team_id, key.day, moved);
            worked_days_move(&mut rest, SumsKind::TeamMonth, &key.team_id, month, moved);
        }
        // A new agent day starts worked when it has contacts; an existing
        // one's flag follows its contacts in the statement.
        for delta in agent_days.values_mut() {
            delta.worked_days = i64::from(delta.columns.integers[contacts] > 0);
        }
        let mut after = period_sums::upsert(connection, &agent_days).await?;
        let mut before_worked: HashMap<PeriodSumsKey, i64> = HashMap::new();
        for (key, delta) in &agent_days {
            let after_contacts = after.get(key).map_or(0, |sums| sums.contacts as i64);
            let before_contacts = after_contacts - delta.columns.integers[contacts];
            before_worked.insert(key.clone(), i64::from(before_contacts > 0));
            let moved = worked_move(before_contacts, after_contacts);
            let month = month_of(key.first_day);
            worked_days_move(
                &mut rest,
                SumsKind::AgentMonth,
                &key.subject_id,
                month,
                moved,
            );
        }
        after.extend(period_sums::upsert(connection, &rest).await?);

        let by_first_day: HashMap<(PeriodKind, LocalDay), &ScopedPeriod> = periods
            .iter()
            .map(|scoped| {
                let first = DayRange::of_period(&scoped.period, self.zone).first;
                ((scoped.kind, first), scoped)
            })
            .collect();
        let (mut before_sums, mut after_sums) = (BTreeMap::new(), BTreeMap::new());
        for (key, delta) in agent_days.iter().chain(rest.iter()) {
            let Some(scoped) = by_first_day.get(&(key.kind.period(), key.first_day)) else {
                continue;
            };
            let Some(sums_after) = after.remove(key) else {
                continue;
            };
            let worked_before = match before_worked.get(key) {
                Some(flag) => *flag,
                None => sums_after.worked_days as i64 - delta.worked_days,
            };
            let sums_before = before_of(&sums_after, &delta.columns, worked_before)?;
            let judging_team = match key.kind.subject() {
                SubjectKind::Team => Some(key.subject_id.clone()),
                SubjectKind::Agent => histories
                    .get(&key.subject_id)
                    .and_then(|history| {
                        history.team_for_period(DayRange::of_period(&scoped.period, self.zone))
                    })
                    .map(str::to_owned),
            };
            let result_key: ResultKey = (
                key.kind.subject(),
                key.subject_id.clone(),
                key.kind.period(),
                scoped.period.start.timestamp_micros(),
            );
            let subject = |sums| SubjectSums {
                judging_team: judging_team.clone(),
                sums,
                updated_at_us: None,
            };
            before_sums.insert(result_key.clone(), subject(sums_before));
            after_sums.insert(result_key, subject(sums_after));
        }
        let before = self
            .judge_all(connection, periods.clone(), &before_sums, &mut policies)
            .await?;
        let after = self
            .judge_all(connection, periods, &after_sums, &mut policies)
            .await?;
        lock_change_order(connection).await?;
        store(connection, &before, &after, cause, committed_at_us).await
    }
}
