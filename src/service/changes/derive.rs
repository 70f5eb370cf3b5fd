//! The sums before an ingest's write, derived from the one read after it:
//! each subject's sums minus the batch's own rollup deltas in that period
//! (an agent's: the deltas of its keys; a team's: the deltas of the keys
//! that carry the team, the team each record counts for, which is what a
//! team's read selects). Counts and microsecond totals are integers, so
//! they come back exactly. Two sums need more than a subtraction:
//!
//! - worked days count the days with contacts, not a sum: for each touched
//!   (agent, day) (agents) or rollup row (teams) whose contacts moved, the
//!   day period's read gives its contacts after, minus the delta its
//!   contacts before; a day that had contacts on one side only is counted
//!   in or out;
//! - QA points are floating-point sums: when the batch did not move them
//!   the subtraction takes away zero (exact); with no QA evaluation before
//!   they were exactly zero (the rollups store zero, see
//!   `upsert_additive`); otherwise the result equals the previous read up
//!   to the rounding of the subtraction (last bits of the sum).

use std::collections::{BTreeMap, HashMap};

use chrono_tz::Tz;

use super::sums::{ResultKey, ScopeSums, SubjectSums};
use crate::{
    domain::{
        calendar::{DayRange, LocalDay},
        changes::SubjectKind,
        kpi::KpiSums,
    },
    storage::{
        rollups::{
            columns::{SumColumns, INTEGER_COLUMNS},
            RollupKey,
        },
        StorageError,
    },
};

/// What the deltas moved in one subject's one period.
#[derive(Default)]
struct SubjectDelta {
    columns: Option<SumColumns>,
    /// Contacts moved per (agent, day) (agents) or per row (teams), each
    /// with the key of its contacts after in [`ScopeSums`].
    contacts: BTreeMap<(String, String, LocalDay), i64>,
}

/// The sums of every subject of `read` before `deltas` were applied.
pub(super) fn before_deltas(
    read: &ScopeSums,
    deltas: &[(RollupKey, SumColumns)],
    zone: Tz,
) -> Result<BTreeMap<ResultKey, SubjectSums>, StorageError> {
    let contacts_column = INTEGER_COLUMNS
        .iter()
        .position(|column| *column == "contacts")
        .ok_or_else(|| StorageError::Corrupt("no contacts column".into()))?;
    let mut moved: HashMap<ResultKey, SubjectDelta> = HashMap::new();
    for scoped in &read.periods {
        let days = DayRange::of_period(&scoped.period, zone);
        let start = scoped.period.start.timestamp_micros();
        for (key, columns) in deltas {
            if key.day < days.first || key.day >= days.end {
                continue;
            }
            let contacts = columns.integers[contacts_column];
            let mut add = |subject: ResultKey, contacts_key: (String, String, LocalDay)| {
                let delta = moved.entry(subject).or_default();
                delta
                    .columns
                    .get_or_insert_with(SumColumns::zero)
                    .add_signed(columns, 1);
                if contacts != 0 {
                    *delta.contacts.entry(contacts_key).or_default() += contacts;
                }
            };
            add(
                (SubjectKind::Agent, key.agent_id.clone(), scoped.kind, start),
                (String::new(), key.agent_id.clone(), key.day),
            );
            if !key.team_id.is_empty() {
                add(
                    (SubjectKind::Team, key.team_id.clone(), scoped.kind, start),
                    (key.team_id.clone(), key.agent_id.clone(), key.day),
                );
            }
        }
    }
    let mut before = BTreeMap::new();
    for (key, after) in &read.subjects {
        let Some(delta) = moved.get(key) else {
            before.insert(key.clone(), after.clone());
            continue;
        };
        let mut sums = minus(&after.sums, delta.columns.as_ref())?;
        let mut worked_days = i64::try_from(after.sums.worked_days)
            .map_err(|_| StorageError::Corrupt("worked days".into()))?;
        for ((team_id, agent_id, day), moved_contacts) in &delta.contacts {
            let after_contacts = if team_id.is_empty() {
                read.agent_day_contacts.get(&(agent_id.clone(), *day))
            } else {
                read.row_contacts
                    .get(&(team_id.clone(), agent_id.clone(), *day))
            }
            .copied()
            .unwrap_or_default();
            let after_contacts = i64::try_from(after_contacts)
                .map_err(|_| StorageError::Corrupt("contacts".into()))?;
            let before_contacts = after_contacts - moved_contacts;
            worked_days += i64::from(before_contacts > 0) - i64::from(after_contacts > 0);
        }
        sums.worked_days = u64::try_from(worked_days).map_err(|_| {
            StorageError::Corrupt(format!("{key:?}: negative worked days before a write"))
        })?;
        before.insert(
            key.clone(),
            SubjectSums {
                judging_team: after.judging_team.clone(),
                sums,
                updated_at_us: after.updated_at_us,
            },
        );
    }
    Ok(before)
}

/// `after` minus `delta` (a negative count: the rollups were corrupt).
fn minus(after: &KpiSums, delta: Option<&SumColumns>) -> Result<KpiSums, StorageError> {
    let Some(delta) = delta else {
        return Ok(after.clone());
    };
    let mut columns = SumColumns::of(after);
    columns.add_signed(delta, -1);
    let mut sums = columns.to_sums()?;
    if sums.qa_evaluations == 0 {
        sums.qa_score = 0.0;
        sums.qa_max_score = 0.0;
    }
    Ok(sums)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::{
        domain::changes::PeriodKind,
        service::changes::{sums::ScopeSums, ChangeScope},
    };

    fn day(text: &str) -> LocalDay {
        LocalDay::of_date(NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap())
    }

    fn sums(contacts: u64, worked_days: u64) -> KpiSums {
        KpiSums {
            contacts,
            worked_days,
            ..KpiSums::default()
        }
    }

    fn key(agent: &str, team: &str, on: LocalDay) -> RollupKey {
        RollupKey {
            agent_id: agent.into(),
            team_id: team.into(),
            day: on,
        }
    }

    fn contacts_delta(contacts: i64) -> SumColumns {
        let mut columns = SumColumns::zero();
        let slot = INTEGER_COLUMNS
            .iter()
            .position(|c| *c == "contacts")
            .unwrap();
        columns.integers[slot] = contacts;
        columns
    }

    /// Agent `ana` of team `north`, whose first contact of 2026-11-03
    /// arrives: the day goes 0 -> 1 contact (worked 0 -> 1), the month
    /// 2 -> 3 contacts (worked days 1 -> 2, its other day being 11-02).
    /// A void of `bo`'s only contact of 11-03 (team `north` too): 1 -> 0.
    #[test]
    fn worked_days_before_are_recounted_from_the_day_reads() {
        let zone = chrono_tz::UTC;
        let third = day("2026-11-03");
        let scope = ChangeScope {
            agents: ["ana".to_owned(), "bo".to_owned()].into(),
            teams: ["north".to_owned()].into(),
            days: [third].into(),
        };
        let periods = scope.periods(zone).unwrap();
        let start = |kind| {
            periods
                .iter()
                .find(|scoped| scoped.kind == kind)
                .unwrap()
                .period
                .start
                .timestamp_micros()
        };
        let (day_start, month_start) = (start(PeriodKind::Day), start(PeriodKind::Month));
        let subject = |sums| SubjectSums {
            judging_team: Some("north".into()),
            sums,
            updated_at_us: None,
        };
        let agent = |id: &str, kind, at| (SubjectKind::Agent, id.to_owned(), kind, at);
        let team = |kind, at| (SubjectKind::Team, "north".to_owned(), kind, at);
        // After: ana 1 contact on the 3rd, 2 on the 2nd; bo 0 on the 3rd
        // (voided), 4 on the 2nd.
        let read = ScopeSums {
            periods,
            subjects: [
                (
                    agent("ana", PeriodKind::Day, day_start),
                    subject(sums(1, 1)),
                ),
                (
                    agent("ana", PeriodKind::Month, month_start),
                    subject(sums(3, 2)),
                ),
                (agent("bo", PeriodKind::Day, day_start), subject(sums(0, 0))),
                (
                    agent("bo", PeriodKind::Month, month_start),
                    subject(sums(4, 1)),
                ),
                (team(PeriodKind::Day, day_start), subject(sums(1, 1))),
                (team(PeriodKind::Month, month_start), subject(sums(7, 3))),
            ]
            .into(),
            agent_day_contacts: [(("ana".into(), third), 1), (("bo".into(), third), 0)].into(),
            row_contacts: [
                (("north".into(), "ana".into(), third), 1),
                (("north".into(), "bo".into(), third), 0),
            ]
            .into(),
        };
        let deltas = vec![
            (key("ana", "north", third), contacts_delta(1)),
            (key("bo", "north", third), contacts_delta(-1)),
        ];
        let before = before_deltas(&read, &deltas, zone).unwrap();
        let got = |key: &ResultKey| {
            let sums = &before[key].sums;
            (sums.contacts, sums.worked_days)
        };
        // ana: day 1 - 1 = 0 contacts, not worked; month 3 - 1 = 2, 2 - 1 = 1 day.
        assert_eq!(got(&agent("ana", PeriodKind::Day, day_start)), (0, 0));
        assert_eq!(got(&agent("ana", PeriodKind::Month, month_start)), (2, 1));
        // bo: day 0 + 1 = 1 contact, worked; month 4 + 1 = 5, 1 + 1 = 2 days.
        assert_eq!(got(&agent("bo", PeriodKind::Day, day_start)), (1, 1));
        assert_eq!(got(&agent("bo", PeriodKind::Month, month_start)), (5, 2));
        // north: day 1 - 1 + 1 = 1 contact, rows worked 1 - 1 + 1 = 1;
        // month 7 - 1 + 1 = 7, 3 - 1 + 1 = 3.
        assert_eq!(got(&team(PeriodKind::Day, day_start)), (1, 1));
        assert_eq!(got(&team(PeriodKind::Month, month_start)), (7, 3));
    }
}
