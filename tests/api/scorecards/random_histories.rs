//! Random histories against the daily rollups: creates, corrections
//! (moving agent, day and team), voids, restores, stale revisions, replays,
//! and survey responses and QA evaluations before and after their
//! interaction, in Europe/Berlin around the end of summer time. After each
//! stretch, every agent's month counts what the test's own model of the
//! stored records says (contacts, handle time, flags, CSAT), the rollups
//! equal a recomputation from raw rows (`verify`), and every scorecard the
//! service answers equals the raw-path computation.

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

use super::history::{
    random_evaluation, random_interaction, random_survey, redeliver, Counted, Dice, Model, AGENTS,
    TEAMS,
};
use crate::{
    on_both_backends,
    support::{
        app::{spawn_app_with, Backend, TestApp},
        directory::{add_team, put_agent},
        periods::{custom, month},
        scorecards::{agent_scorecard, assert_close_option, kpi, team_scorecard},
    },
};

on_both_backends!(random_histories_keep_the_scorecards_and_rollups_equal_to_what_was_stored);

const ZONE: &str = "Europe/Berlin";
const MONTHS: [&str; 2] = ["2026-10", "2026-11"];

/// What each agent's Berlin month shows, as [`Counted`].
async fn shown(app: &TestApp, agent: &str, month_id: &str) -> Counted {
    let card = agent_scorecard(app, agent, month(month_id)).await;
    let numerator = |kpi_id: &str| kpi(&card, kpi_id).numerator as i64;
    Counted {
        contacts: kpi(&card, "contacts_handled").value.unwrap_or(-1.0) as i64,
        handle_seconds: numerator("aht"),
        escalated: numerator("escalation_rate"),
        complaints: numerator("complaint_rate"),
        csat_responses: kpi(&card, "csat").denominator as i64,
        csat_satisfied: numerator("csat"),
    }
}

async fn assert_scorecards_count_what_the_model_holds(app: &TestApp, model: &Model, when: &str) {
    for agent in AGENTS {
        for month_id in MONTHS {
            assert_eq!(
                shown(app, agent, month_id).await,
                model.counted(agent, month_id),
                "{when}: {agent}, {month_id}"
            );
        }
    }
}

async fn random_histories_keep_the_scorecards_and_rollups_equal_to_what_was_stored(
    backend: Backend,
) {
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
        let mut model = Model::default();
        let Model {
            calls,
            surveys,
            evaluations,
        } = &mut model;
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
                let when = format!("seed {seed:x}, step {step}");
                let model = Model {
                    calls: calls.clone(),
                    surveys: surveys.clone(),
                    evaluations: evaluations.clone(),
                };
                assert_scorecards_count_what_the_model_holds(&app, &model, &when).await;
                assert_rollups_match_raw_rows(&app, &model, &when).await;
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

/// The rollups verify against raw rows over every day that holds a record,
/// and each agent's and team's scorecard equals the raw-path computation.
async fn assert_rollups_match_raw_rows(app: &TestApp, model: &Model, when: &str) {
    let report = app.database.verify_rollups(zone()).await.unwrap();
    assert!(
        report.differences.is_empty(),
        "{when}: rollups differ from raw rows: {:?}",
        report.differences
    );
    // Every day from the first to the last record (void or not) is
    // checked; rollup rows of days a record has since left may widen the
    // span, never beyond the instants' days (Oct 24 to Nov 2).
    let (first, last) = model.first_and_last_day();
    let span = (last - first).num_days() as usize + 1;
    assert!(
        (span..=10).contains(&report.days_checked),
        "{when}: verify checked {} days, the records span {span}",
        report.days_checked
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
