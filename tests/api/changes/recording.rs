//! What each kind of write records: ingest, a correction that moves an
//! interaction to another agent, a back-dated team move, a new policy
//! version; each change's `after` is what a read right after the write
//! returns, and replaying every change reproduces the current statuses.

use std::collections::BTreeMap;

use kpi_service::grpc::pb::{self, ChangePeriodKind as P, ChangeSubjectKind as S};

use crate::{
    helpers::{spawn_app, Backend},
    kpi_fixtures::{
        add_team, agent_scorecard, at_least, call, create_policy, day, ingest_interactions, month,
        move_agent, put_agent, team_scorecard,
    },
    support::changes::{find, latest_cursor, list_all, receive, status, value, watch},
};

const CONTACTS: &str = "contacts_handled";
const AHT: &str = "aht";

/// A change's (subject kind, subject, period kind, period start, KPI).
type ChangeKey = (i32, String, i32, i64, String);

fn key_of(change: &pb::ScorecardChange) -> ChangeKey {
    let subject = if change.subject_kind == S::Agent as i32 {
        change.agent_id.clone()
    } else {
        change.team_id.clone()
    };
    (
        change.subject_kind,
        subject,
        change.period_kind,
        change.period.as_ref().unwrap().start_time.unwrap().seconds,
        change.kpi_id.clone(),
    )
}

/// The latest change of each (subject, period, KPI) has the `after` that
/// a read of that subject and period returns now: the whole result when
/// `changes` are one write's (nothing moved since), else its status and
/// value (a later write may move a numerator without moving the value,
/// which records no change).
pub(super) async fn assert_after_equals_reads(
    app: &crate::helpers::TestApp,
    changes: &[pb::ScorecardChange],
    whole: bool,
) {
    let mut latest: BTreeMap<ChangeKey, &pb::ScorecardChange> = BTreeMap::new();
    for change in changes {
        latest.insert(key_of(change), change);
    }
    for ((kind, subject, period_kind, start, kpi_id), change) in latest {
        // The reporting zone of the tests is UTC.
        let date = chrono::DateTime::from_timestamp(start, 0)
            .unwrap()
            .date_naive()
            .to_string();
        let period = if period_kind == P::Day as i32 {
            day(&date)
        } else {
            month(&date[..7])
        };
        let scorecard = if kind == S::Agent as i32 {
            agent_scorecard(app, &subject, period).await
        } else {
            team_scorecard(app, &subject, period)
                .await
                .scorecard
                .unwrap()
        };
        let read = scorecard
            .kpis
            .iter()
            .find(|result| result.kpi_id == kpi_id)
            .unwrap();
        let after = change.after.as_ref().unwrap();
        if whole {
            assert_eq!(
                after, read,
                "the change of {kpi_id} of {subject} on {date} differs from a read"
            );
        } else {
            assert_eq!(
                (after.status, after.value),
                (read.status, read.value),
                "the change of {kpi_id} of {subject} on {date} differs from a read"
            );
        }
    }
}

async fn ingest_records_changes_whose_after_equals_a_read(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "north").await;
    put_agent(&app, "ana", "north").await;
    let mut stream = watch(&app.channel, None, "").await;
    // Two calls of 300 s handle time each (240 talk + 20 hold + 40 wrap-up).
    ingest_interactions(
        &app,
        vec![
            call("c1", "ana", "2026-11-02T09:05:00Z"),
            call("c2", "ana", "2026-11-02T10:05:00Z"),
        ],
    )
    .await;
    let latest = latest_cursor(&app.channel).await;
    let (changes, mut progress) = receive(&mut stream, 1).await;
    let mut changes = changes;
    while progress != latest {
        let (more, next) = receive(&mut stream, 1).await;
        changes.extend(more);
        progress = next;
    }
    // contacts_handled: 0 -> 2; aht: no value -> 600 s / 2 = 300 s; for
    // the agent and the team, the day and the month.
    for (kind, id) in [(S::Agent, "ana"), (S::Team, "north")] {
        for period in [P::Day, P::Month] {
            let contacts = find(&changes, kind, id, period, CONTACTS).expect("contacts change");
            assert_eq!(value(&contacts.before), Some(0.0));
            assert_eq!(value(&contacts.after), Some(2.0));
            let aht = find(&changes, kind, id, period, AHT).expect("aht change");
            assert_eq!(value(&aht.before), None);
            assert_eq!(value(&aht.after), Some(300.0));
            let cause = contacts.cause.as_ref().unwrap();
            assert_eq!(cause.kind, pb::ChangeCauseKind::Ingest as i32);
            assert_eq!(cause.record_kind, "interactions");
        }
    }
    // The agent's changes name the team that judges them.
    let agent_change = find(&changes, S::Agent, "ana", P::Month, CONTACTS).unwrap();
    assert_eq!(agent_change.team_id, "north");
    assert_after_equals_reads(&app, &changes, true).await;
    // The same changes, in the same order, from the listing.
    let (listed, _) = list_all(&app.channel, None, "", 7).await;
    assert_eq!(listed, changes);
}

async fn a_correction_that_moves_an_interaction_changes_both_agents(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "north").await;
    put_agent(&app, "ana", "north").await;
    put_agent(&app, "bo", "north").await;
    let mut first = call("c1", "ana", "2026-11-02T09:05:00Z");
    first.revision = Some(1);
    ingest_interactions(&app, vec![first.clone()]).await;
    let since = latest_cursor(&app.channel).await;
    let mut corrected = first;
    corrected.revision = Some(2);
    corrected.agent_id = "bo".into();
    ingest_interactions(&app, vec![corrected]).await;
    let (changes, _) = list_all(&app.channel, None, &since, 100).await;
    // ana 1 -> 0 contacts, bo 0 -> 1; the team's pooled count stays 1.
    for period in [P::Day, P::Month] {
        let ana = find(&changes, S::Agent, "ana", period, CONTACTS).expect("ana's change");
        assert_eq!(
            (value(&ana.before), value(&ana.after)),
            (Some(1.0), Some(0.0))
        );
        let bo = find(&changes, S::Agent, "bo", period, CONTACTS).expect("bo's change");
        assert_eq!(
            (value(&bo.before), value(&bo.after)),
            (Some(0.0), Some(1.0))
        );
    }
    assert!(find(&changes, S::Team, "north", P::Month, CONTACTS).is_none());
    assert_after_equals_reads(&app, &changes, true).await;
}

async fn a_back_dated_team_move_changes_both_teams(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "north").await;
    add_team(&app, "south").await;
    put_agent(&app, "ana", "north").await;
    ingest_interactions(
        &app,
        vec![
            call("c1", "ana", "2026-11-02T09:05:00Z"),
            call("c2", "ana", "2026-11-20T09:05:00Z"),
        ],
    )
    .await;
    let since = latest_cursor(&app.channel).await;
    move_agent(&app, "ana", "south", "2026-11-10").await;
    let (changes, _) = list_all(&app.channel, None, &since, 100).await;
    // The call of 11-20 moves from north to south: north's day 1 -> 0 and
    // month 2 -> 1, south's day and month 0 -> 1. The call of 11-02 stays.
    let pairs = |kind, id, period| {
        let change = find(&changes, kind, id, period, CONTACTS)
            .unwrap_or_else(|| panic!("no change of {id} {period:?}"));
        (value(&change.before), value(&change.after))
    };
    assert_eq!(pairs(S::Team, "north", P::Day), (Some(1.0), Some(0.0)));
    assert_eq!(pairs(S::Team, "north", P::Month), (Some(2.0), Some(1.0)));
    assert_eq!(pairs(S::Team, "south", P::Day), (Some(0.0), Some(1.0)));
    assert_eq!(pairs(S::Team, "south", P::Month), (Some(0.0), Some(1.0)));
    let cause = changes[0].cause.as_ref().unwrap();
    assert_eq!(cause.kind, pb::ChangeCauseKind::TeamMove as i32);
    assert_eq!(cause.moved_agent_id, "ana");
    assert_after_equals_reads(&app, &changes, true).await;
}

async fn a_policy_version_changes_statuses_without_new_records(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "north").await;
    put_agent(&app, "ana", "north").await;
    ingest_interactions(
        &app,
        vec![
            call("c1", "ana", "2026-11-02T09:05:00Z"),
            call("c2", "ana", "2026-11-02T10:05:00Z"),
        ],
    )
    .await;
    let since = latest_cursor(&app.channel).await;
    let records = app.count_rows("interactions").await;
    // contacts_handled >= 5 with 2 contacts: BREACHED.
    let version = create_policy(&app, "", "2026-11-01", 0.0, vec![at_least(CONTACTS, 5.0)]).await;
    assert_eq!(app.count_rows("interactions").await, records);
    let breached = pb::ScorecardChangeFilter {
        into_statuses: vec![pb::KpiStatus::Breached as i32],
        kpi_ids: vec![CONTACTS.into()],
        ..Default::default()
    };
    let (changes, _) = list_all(&app.channel, Some(breached), &since, 100).await;
    for (kind, id) in [(S::Agent, "ana"), (S::Team, "north")] {
        for period in [P::Day, P::Month] {
            let change = find(&changes, kind, id, period, CONTACTS).expect("a status change");
            assert_eq!(status(&change.after), pb::KpiStatus::Breached);
            assert_ne!(status(&change.before), pb::KpiStatus::Breached);
            // The value did not move; only the status.
            assert_eq!(value(&change.before), value(&change.after));
            let cause = change.cause.as_ref().unwrap();
            assert_eq!(cause.kind, pb::ChangeCauseKind::PolicyVersion as i32);
            assert_eq!(cause.policy_version_id, version.policy_version_id);
        }
    }
    assert_eq!(changes.len(), 4, "{changes:#?}");
    let (all, _) = list_all(&app.channel, None, &since, 100).await;
    assert_after_equals_reads(&app, &all, true).await;
}

async fn replaying_every_change_reproduces_the_current_statuses(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "north").await;
    add_team(&app, "south").await;
    put_agent(&app, "ana", "north").await;
    put_agent(&app, "bo", "south").await;
    ingest_interactions(
        &app,
        vec![
            call("c1", "ana", "2026-11-02T09:05:00Z"),
            call("c2", "bo", "2026-11-03T09:05:00Z"),
        ],
    )
    .await;
    create_policy(&app, "", "2026-11-01", 0.0, vec![at_least(CONTACTS, 2.0)]).await;
    let mut void = call("c2", "bo", "2026-11-03T09:05:00Z");
    void.voided = true;
    ingest_interactions(&app, vec![void, call("c3", "ana", "2026-11-20T09:05:00Z")]).await;
    move_agent(&app, "ana", "south", "2026-11-15").await;
    let (changes, _) = list_all(&app.channel, None, "", 50).await;
    // Each change's before has the status and value of the previous
    // change's after of its key.
    let mut state: BTreeMap<ChangeKey, (i32, Option<f64>)> = BTreeMap::new();
    for change in &changes {
        let key = key_of(change);
        let before = change.before.as_ref().unwrap();
        if let Some(previous) = state.get(&key) {
            assert_eq!(
                *previous,
                (before.status, before.value),
                "chain broken at {key:?}"
            );
        }
        let after = change.after.as_ref().unwrap();
        state.insert(key, (after.status, after.value));
    }
    assert_after_equals_reads(&app, &changes, false).await;
}

crate::on_both_backends!(
    ingest_records_changes_whose_after_equals_a_read,
    a_correction_that_moves_an_interaction_changes_both_agents,
    a_back_dated_team_move_changes_both_teams,
    a_policy_version_changes_statuses_without_new_records,
    replaying_every_change_reproduces_the_current_statuses,
);
