//! The daily rollups against their oracle, the raw rows: random histories
//! of creates, corrections (moving agent, day and team), voids, restores,
//! stale revisions, replays, and survey responses and QA evaluations before
//! and after their interaction. After each stretch the rollups equal a
//! recomputation from raw rows (`verify`), and every scorecard the service
//! answers equals the raw-path computation.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use kpi_service::{
    domain::kpi::{compute_all, KpiSums},
    grpc::pb,
    storage::{
        facts::FactScope,
        rollups::read::{GroupSums, Grouping},
    },
};

use crate::{
    fixtures::key,
    helpers::{at, spawn_app_with, Backend, TestApp},
    kpi_fixtures::{
        add_team, agent_scorecard, assert_close_option, custom, ingest_interactions, month,
        put_agent, team_scorecard, CALLS,
    },
    on_both_backends,
};

on_both_backends!(
    random_histories_keep_the_rollups_equal_to_the_raw_rows,
    a_zone_change_needs_a_rebuild_and_then_answers_like_a_fresh_ingest,
);

const ZONE: &str = "Europe/Berlin";
const AGENTS: [&str; 3] = ["amy", "ben", "cat"];
const TEAMS: [&str; 2] = ["red", "blue"];
/// Instants around the end of summer time (2026-10-25) and a month boundary.
const INSTANTS: [&str; 8] = [
    "2026-10-24T21:30:00Z",
    "2026-10-24T22:30:00Z",
    "2026-10-25T00:30:00Z",
    "2026-10-25T23:10:00Z",
    "2026-10-31T22:59:59Z",
    "2026-10-31T23:00:00Z",
    "2026-11-01T12:00:00Z",
    "2026-11-02T06:00:00Z",
];

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % sides
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.roll(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.roll(100) < percent
    }
}

fn random_interaction(dice: &mut Dice, id: usize) -> pb::Interaction {
    let ended_at = dice.pick(&INSTANTS);
    let mut call = crate::kpi_fixtures::call(&format!("c{id}"), dice.pick(&AGENTS), ended_at);
    call.talk_seconds = 60 + dice.roll(600) as i64;
    call.resolved = dice.chance(70);
    if !call.resolved {
        call.resolved_at = None;
    }
    call.first_contact_resolved = call.resolved && dice.chance(60);
    call.escalated = dice.chance(20);
    call.complaint = dice.chance(10);
    if dice.chance(25) {
        call.team_id = dice.pick(&TEAMS).into();
    }
    call
}

fn random_survey(dice: &mut Dice, id: usize, interactions: usize) -> pb::SurveyResponse {
    let mut survey = pb::SurveyResponse {
        source: "survey-tool".into(),
        external_id: format!("s{id}"),
        kind: pb::SurveyKind::Csat as i32,
        score: 1 + dice.roll(5) as i32,
        responded_at: Some(at(dice.pick(&INSTANTS))),
        ..Default::default()
    };
    if dice.chance(75) {
        // Possibly an interaction that has not arrived yet.
        survey.interaction = Some(key(CALLS, &format!("c{}", dice.roll(interactions + 3))));
    } else {
        survey.agent_id = dice.pick(&AGENTS).into();
    }
    survey
}

fn random_evaluation(dice: &mut Dice, id: usize, interactions: usize) -> pb::QaEvaluation {
    pb::QaEvaluation {
        source: "qa-tool".into(),
        external_id: format!("q{id}"),
        agent_id: dice.pick(&AGENTS).into(),
        interaction: dice
            .chance(60)
            .then(|| key(CALLS, &format!("c{}", dice.roll(interactions + 3)))),
        evaluated_at: Some(at(dice.pick(&INSTANTS))),
        score: (dice.roll(51) as f64) * 0.7,
        max_score: 35.7,
        criterion_ratings: vec![pb::CriterionRating {
            criterion: "attitude".into(),
            rating: 1 + dice.roll(5) as i32,
        }],
        ..Default::default()
    }
}

/// Resends `item` as a void, restore, stale, replay or correction.
fn redeliver<T: Clone>(
    dice: &mut Dice,
    item: &T,
    voided: impl Fn(&mut T) -> &mut bool,
    revision: impl Fn(&mut T) -> &mut Option<i64>,
) -> T {
    let mut copy = item.clone();
    match dice.roll(4) {
        0 => *voided(&mut copy) = true,
        1 => *voided(&mut copy) = false,
        2 => *revision(&mut copy) = Some(0),
        _ => {}
    }
    copy
}

async fn random_histories_keep_the_rollups_equal_to_the_raw_rows(backend: Backend) {
    for seed in [0x9E37_79B9_7F4A_7C15_u64, 0xD1B5_4A32_D192_ED03] {
        let app = spawn_app_with(backend, |settings| {
            settings.reporting.time_zone = ZONE.into();
        })
        .await;
        for team in TEAMS {
            add_team(&app, team).await;
        }
        put_agent(&app, "amy", "red").await;
        put_agent(&app, "ben", "blue").await;
        // Cat belongs to no team: her records count for no team.
        put_agent(&app, "cat", "").await;
        let mut dice = Dice(seed);
        let mut calls: Vec<pb::Interaction> = Vec::new();
        let mut surveys: Vec<pb::SurveyResponse> = Vec::new();
        let mut evaluations: Vec<pb::QaEvaluation> = Vec::new();
        for step in 1..=45 {
            match dice.roll(8) {
                0 | 1 => {
                    let call = random_interaction(&mut dice, calls.len());
                    calls.push(call.clone());
                    ingest_any(&app, Batch::Calls(vec![call])).await;
                }
                2 if !calls.is_empty() => {
                    // A correction that may move agent, day and team.
                    let index = dice.roll(calls.len());
                    let mut moved = random_interaction(&mut dice, index);
                    moved.revision = Some(step);
                    calls[index] = moved.clone();
                    ingest_any(&app, Batch::Calls(vec![moved])).await;
                }
                3 if !calls.is_empty() => {
                    let index = dice.roll(calls.len());
                    let mut again = redeliver(
                        &mut dice,
                        &calls[index],
                        |c| &mut c.voided,
                        |c| &mut c.revision,
                    );
                    if again.revision != Some(0) {
                        again.revision = Some(step);
                        calls[index] = again.clone();
                    }
                    ingest_any(&app, Batch::Calls(vec![again])).await;
                }
                4 => {
                    let survey = random_survey(&mut dice, surveys.len(), calls.len());
                    surveys.push(survey.clone());
                    ingest_any(&app, Batch::Surveys(vec![survey])).await;
                }
                5 if !surveys.is_empty() => {
                    let index = dice.roll(surveys.len());
                    let mut again = if dice.chance(50) {
                        random_survey(&mut dice, index, calls.len())
                    } else {
                        redeliver(
                            &mut dice,
                            &surveys[index],
                            |s| &mut s.voided,
                            |s| &mut s.revision,
                        )
                    };
                    if again.revision != Some(0) {
                        again.revision = Some(step);
                        surveys[index] = again.clone();
                    }
                    ingest_any(&app, Batch::Surveys(vec![again])).await;
                }
                6 => {
                    let index = if evaluations.is_empty() || dice.chance(50) {
                        evaluations.len()
                    } else {
                        dice.roll(evaluations.len())
                    };
                    let mut evaluation = random_evaluation(&mut dice, index, calls.len());
                    evaluation.voided = dice.chance(15);
                    evaluation.revision = Some(step);
                    if index == evaluations.len() {
                        evaluations.push(evaluation.clone());
                    } else {
                        evaluations[index] = evaluation.clone();
                    }
                    ingest_any(&app, Batch::Evaluations(vec![evaluation])).await;
                }
                _ => {
                    // The directory moves an agent: only later records follow.
                    let agent = dice.pick(&AGENTS);
                    put_agent(&app, agent, dice.pick(&["red", "blue", ""])).await;
                }
            }
            if step % 15 == 0 {
                assert_rollups_match_raw_rows(&app, &format!("seed {seed:x}, step {step}")).await;
            }
        }
    }
}

enum Batch {
    Calls(Vec<pb::Interaction>),
    Surveys(Vec<pb::SurveyResponse>),
    Evaluations(Vec<pb::QaEvaluation>),
}

async fn ingest_any(app: &TestApp, batch: Batch) {
    let result = match batch {
        Batch::Calls(interactions) => app
            .ingest()
            .ingest_interactions(pb::IngestInteractionsRequest { interactions })
            .await
            .map(|_| ()),
        Batch::Surveys(survey_responses) => app
            .ingest()
            .ingest_survey_responses(pb::IngestSurveyResponsesRequest { survey_responses })
            .await
            .map(|_| ()),
        Batch::Evaluations(qa_evaluations) => app
            .ingest()
            .ingest_qa_evaluations(pb::IngestQaEvaluationsRequest { qa_evaluations })
            .await
            .map(|_| ()),
    };
    result.unwrap_or_else(|status| panic!("ingest failed: {status:?}"));
}

fn zone() -> Tz {
    ZONE.parse().unwrap()
}

fn instant(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
        .timestamp_micros()
}

/// The raw-path sums of `scope` over `[start, end)`.
async fn raw_sums(app: &TestApp, scope: FactScope<'_>, start: &str, end: &str) -> KpiSums {
    let raw = kpi_service::storage::facts::load_raw_facts(
        app.database.connection(),
        scope,
        instant(start),
        instant(end),
        zone(),
    )
    .await
    .unwrap();
    let mut total = GroupSums::default();
    for (_, group) in raw.grouped(Grouping::Agent) {
        total.absorb(group);
    }
    total.sums
}

fn assert_same_numbers(answer: &pb::Scorecard, expected: &KpiSums, what: &str) {
    for value in compute_all(expected) {
        let kpi_id = value.kpi.as_str();
        let result = answer
            .kpis
            .iter()
            .find(|result| result.kpi_id == kpi_id)
            .unwrap_or_else(|| panic!("{what}: {kpi_id} missing"));
        let context = format!("{what}: {kpi_id}");
        assert_eq!(
            (result.denominator, result.sample_size),
            (value.denominator, value.sample_size as i64),
            "{context} denominator and sample"
        );
        assert_close_option(Some(result.numerator), Some(value.numerator), &context);
        assert_close_option(result.value, value.value, &context);
    }
}

/// The periods compared: two calendar months and a custom range whose
/// first and last days are partial.
const PERIODS: [(&str, &str); 3] = [
    ("2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z"),
    ("2026-10-31T23:00:00Z", "2026-11-30T23:00:00Z"),
    ("2026-10-24T22:15:00Z", "2026-11-01T18:00:00Z"),
];

fn selector(index: usize) -> pb::PeriodSelector {
    match index {
        0 => month("2026-10"),
        1 => month("2026-11"),
        _ => custom(PERIODS[2].0, PERIODS[2].1),
    }
}

async fn assert_rollups_match_raw_rows(app: &TestApp, when: &str) {
    let report = app.database.verify_rollups(zone()).await.unwrap();
    assert!(
        report.differences.is_empty(),
        "{when}: rollups differ from raw rows: {:?}",
        report.differences
    );
    for (index, (start, end)) in PERIODS.iter().enumerate() {
        for agent in AGENTS {
            let agents = [agent.to_owned()];
            let expected = raw_sums(app, FactScope::Agents(&agents), start, end).await;
            let answer = agent_scorecard(app, agent, selector(index)).await;
            assert_same_numbers(
                &answer,
                &expected,
                &format!("{when}, {agent}, period {index}"),
            );
        }
        for team in TEAMS {
            let expected = raw_sums(app, FactScope::Team(team), start, end).await;
            let answer = team_scorecard(app, team, selector(index))
                .await
                .scorecard
                .unwrap();
            assert_same_numbers(
                &answer,
                &expected,
                &format!("{when}, team {team}, period {index}"),
            );
        }
    }
}

async fn a_zone_change_needs_a_rebuild_and_then_answers_like_a_fresh_ingest(backend: Backend) {
    let calls = || {
        vec![
            crate::kpi_fixtures::call("z1", "amy", "2026-10-31T22:30:00Z"),
            crate::kpi_fixtures::call("z2", "amy", "2026-10-31T23:30:00Z"),
            crate::kpi_fixtures::call("z3", "amy", "2026-11-01T10:00:00Z"),
        ]
    };
    // In UTC, October has the first two calls; in Berlin (UTC+1), only the
    // first (the second ends at 00:30 local time on 1 November).
    let app = spawn_app_with(backend, |_| {}).await;
    ingest_interactions(&app, calls()).await;
    let october = agent_scorecard(&app, "amy", month("2026-10")).await;
    assert_eq!(
        crate::kpi_fixtures::kpi(&october, "contacts_handled").value,
        Some(2.0)
    );

    let refused = app.database.prepare_rollups(zone()).await.unwrap_err();
    assert!(
        refused.to_string().contains("kpi-service rollups rebuild"),
        "the refusal must name the command: {refused}"
    );
    app.database.rebuild_rollups(zone()).await.unwrap();
    app.database.prepare_rollups(zone()).await.unwrap();
    let rebuilt = app.database.verify_rollups(zone()).await.unwrap();
    assert!(rebuilt.differences.is_empty());
    assert!(rebuilt.days_checked >= 2);

    let fresh = spawn_app_with(backend, |settings| {
        settings.reporting.time_zone = ZONE.into();
    })
    .await;
    ingest_interactions(&fresh, calls()).await;
    assert_eq!(rollup_rows(&app).await, rollup_rows(&fresh).await);
    // And the rollups of both now agree day by day.
    let rebuilt_view = fresh.database.verify_rollups(zone()).await.unwrap();
    assert!(rebuilt_view.differences.is_empty());
    assert_eq!(
        fresh.database.rollup_zone().await.unwrap().as_deref(),
        Some(ZONE)
    );
}

/// The rollup rows of a database, without their timestamps.
async fn rollup_rows(app: &TestApp) -> Vec<(String, String, i32, i64, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let connection = app.database.connection();
    let rows = connection
        .query_all(Statement::from_string(
            connection.get_database_backend(),
            "SELECT agent_id, team_id, day, contacts, handle_seconds FROM kpi_rollups \
             WHERE contacts <> 0 ORDER BY agent_id, day, team_id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get("", "agent_id").unwrap(),
                row.try_get("", "team_id").unwrap(),
                row.try_get("", "day").unwrap(),
                row.try_get("", "contacts").unwrap(),
                row.try_get("", "handle_seconds").unwrap(),
            )
        })
        .collect()
}
