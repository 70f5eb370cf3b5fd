//! Property test over the wire: arbitrary field values in every scorecard
//! and policy read request (parsed inside their handlers) are answered, or
//! NOT_FOUND for a well-formed unknown id, or refused with
//! INVALID_ARGUMENT and field violations: never a panic, INTERNAL or a
//! dropped call. The pure parsers get the same property, with many more
//! cases, in `src/grpc/parsing_properties.rs`.
//!
//! Most generated requests are valid (known ids, real periods, sensible
//! pages), so that the handlers get past their argument checks and compute
//! answers; the rest are arbitrary. The test counts the answered cases and
//! asserts a floor, so that a generator that drifts into refusals (as
//! this one once did: 2-3 % of the cases got past period validation)
//! fails instead of passing vacuously.

use kpi_service::grpc::pb;
use proptest::{
    collection::vec,
    option,
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use tonic::{transport::Channel, Code, Status};

use std::sync::{
    atomic::{AtomicU32, Ordering},
    Arc,
};

use crate::{
    on_both_backends,
    support::{
        app::{error_reason, field_violations, spawn_app, Backend},
        directory::{add_team, put_agent},
        ingest::ingest_interactions,
        policies::{at_least, create_policy},
        records::call,
    },
};

on_both_backends!(read_requests_are_answered_or_refused_field_by_field);

/// Cases per backend: each is one real call.
const CASES: u32 = 256;

/// The fewest cases that must be answered (not refused): about three in
/// four are (180-195 of 256 in trials); a floor of three in five leaves
/// room for chance (four and a half standard deviations).
const ANSWERED_AT_LEAST: u32 = CASES * 3 / 5;

#[derive(Debug, Clone)]
enum Read {
    AgentScorecard(pb::GetAgentScorecardRequest),
    TeamScorecard(pb::GetTeamScorecardRequest),
    AgentScorecards(pb::ListAgentScorecardsRequest),
    Breaches(pb::ListThresholdBreachesRequest),
    Trend(pb::GetKpiTrendRequest),
    Interactions(pb::ListAgentInteractionsRequest),
    PolicyVersion(pb::GetPolicyVersionRequest),
    PolicyVersions(pb::ListPolicyVersionsRequest),
    EffectivePolicy(pb::GetEffectivePolicyRequest),
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9_-]{1,12}",
        any::<String>(),
        "[\\x00-\\x1f ]{1,3}[a-z]{0,3}",
        "[a-z]{130,300}",
    ]
}

/// Nine times in ten a value of `valid`, else one of `arbitrary`.
fn mostly<T: std::fmt::Debug>(
    valid: impl Strategy<Value = T> + 'static,
    arbitrary: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = T> {
    prop_oneof![9 => valid.boxed(), 1 => arbitrary.boxed()]
}

/// Mostly ana (the one agent).
fn agent_id() -> impl Strategy<Value = String> {
    mostly(Just("ana".to_owned()), text())
}

/// Mostly red (the one team).
fn team_id() -> impl Strategy<Value = String> {
    mostly(Just("red".to_owned()), text())
}

/// A team filter: mostly none or red.
fn team_filter() -> impl Strategy<Value = String> {
    mostly(
        prop_oneof![Just(String::new()), Just("red".to_owned())],
        text(),
    )
}

fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+-]?[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}",
        "[+-]?[0-9]{4,6}-[0-9]{2}",
        "(1999|2000|2026|9999)-(01|02|11|12|13)-(01|28|29|31)",
        "2026-(10|11)",
        text(),
    ]
}

fn timestamp() -> impl Strategy<Value = Option<prost_types::Timestamp>> {
    let seconds = prop_oneof![
        any::<i64>(),
        946_684_700i64..946_684_900,
        1_790_000_000i64..1_800_000_000,
        253_402_300_700i64..253_402_300_900,
    ];
    let nanos = prop_oneof![Just(0i32), any::<i32>()];
    option::of(
        (seconds, nanos).prop_map(|(seconds, nanos)| prost_types::Timestamp { seconds, nanos }),
    )
}

/// A period the service accepts: a month or day of 2026, an ISO week, or
/// a custom range of up to 366 days around the data.
fn valid_period() -> impl Strategy<Value = pb::period_selector::Period> {
    use pb::period_selector::Period;
    prop_oneof![
        "2026-(0[1-9]|1[0-2])".prop_map(Period::Month),
        "2026-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])".prop_map(Period::Day),
        "2026-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])".prop_map(Period::IsoWeek),
        (1_780_000_000i64..1_790_000_000, 3_600i64..=366 * 86_400).prop_map(|(start, length)| {
            Period::Custom(pb::TimeRange {
                start_time: Some(prost_types::Timestamp {
                    seconds: start,
                    nanos: 0,
                }),
                end_time: Some(prost_types::Timestamp {
                    seconds: start + length,
                    nanos: 0,
                }),
            })
        }),
    ]
}

/// Any period selector, valid or not, or none.
fn arbitrary_period() -> impl Strategy<Value = Option<pb::PeriodSelector>> {
    use pb::period_selector::Period;
    let selected = prop_oneof![
        date_text().prop_map(Period::Day),
        date_text().prop_map(Period::IsoWeek),
        date_text().prop_map(Period::Month),
        (timestamp(), timestamp()).prop_map(|(start_time, end_time)| {
            Period::Custom(pb::TimeRange {
                start_time,
                end_time,
            })
        }),
    ];
    option::of(option::of(selected).prop_map(|period| pb::PeriodSelector { period }))
}

/// Mostly a valid period.
fn period() -> impl Strategy<Value = Option<pb::PeriodSelector>> {
    mostly(
        valid_period().prop_map(|period| {
            Some(pb::PeriodSelector {
                period: Some(period),
            })
        }),
        arbitrary_period(),
    )
}

/// Mostly one to three catalogue ids.
fn kpi_ids() -> impl Strategy<Value = Vec<String>> {
    mostly(
        vec(
            prop_oneof![Just("csat".to_owned()), Just("aht".to_owned())],
            1..4,
        ),
        vec(
            prop_oneof![Just("csat".to_owned()), Just("aht".to_owned()), text()],
            0..4,
        ),
    )
}

/// Mostly a first page of a sensible size.
fn page() -> impl Strategy<Value = (i32, String)> {
    let size = mostly(0i32..200, prop_oneof![any::<i32>(), Just(i32::MAX)]);
    let token = mostly(Just(String::new()), text());
    (size, token)
}

/// Mostly a known enum value.
fn enum_value(known: std::ops::RangeInclusive<i32>) -> impl Strategy<Value = i32> {
    mostly(known, any::<i32>())
}

fn read() -> impl Strategy<Value = Read> {
    use pb::get_kpi_trend_request::Subject;
    prop_oneof![
        (agent_id(), period()).prop_map(|(agent_id, period)| Read::AgentScorecard(
            pb::GetAgentScorecardRequest {
                agent_id,
                period,
                ..Default::default()
            }
        )),
        (team_id(), period()).prop_map(|(team_id, period)| Read::TeamScorecard(
            pb::GetTeamScorecardRequest {
                team_id,
                period,
                ..Default::default()
            }
        )),
        (team_filter(), period(), enum_value(0..=2), page()).prop_map(
            |(team_id, period, order, (page_size, page_token))| Read::AgentScorecards(
                pb::ListAgentScorecardsRequest {
                    team_id,
                    period,
                    order,
                    page_size,
                    page_token,
                    ..Default::default()
                }
            )
        ),
        (period(), team_filter(), kpi_ids(), any::<bool>(), page()).prop_map(
            |(period, team_id, kpi_ids, include_at_risk, (page_size, page_token))| Read::Breaches(
                pb::ListThresholdBreachesRequest {
                    period,
                    team_id,
                    kpi_ids,
                    include_at_risk,
                    page_size,
                    page_token,
                    ..Default::default()
                }
            )
        ),
        (
            option::of(prop_oneof![
                agent_id().prop_map(Subject::AgentId),
                team_id().prop_map(Subject::TeamId),
                any::<bool>().prop_map(Subject::Organisation)
            ]),
            kpi_ids(),
            period(),
            enum_value(1..=5),
        )
            .prop_map(|(subject, kpi_ids, period, granularity)| Read::Trend(
                pb::GetKpiTrendRequest {
                    consistency_token: String::new(),
                    subject,
                    kpi_ids,
                    period,
                    granularity,
                }
            )),
        (agent_id(), period(), page()).prop_map(|(agent_id, period, (page_size, page_token))| {
            Read::Interactions(pb::ListAgentInteractionsRequest {
                agent_id,
                period,
                page_size,
                page_token,
            })
        }),
        mostly(Just(1i64), any::<i64>()).prop_map(|policy_version_id| Read::PolicyVersion(
            pb::GetPolicyVersionRequest { policy_version_id }
        )),
        (team_filter(), page()).prop_map(
            |(team_id, (page_size, page_token))| Read::PolicyVersions(
                pb::ListPolicyVersionsRequest {
                    team_id,
                    page_size,
                    page_token,
                }
            )
        ),
        (
            team_filter(),
            mostly(
                "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])",
                date_text()
            )
        )
            .prop_map(|(team_id, date)| Read::EffectivePolicy(
                pb::GetEffectivePolicyRequest { team_id, date }
            )),
    ]
}

async fn send(channel: Channel, read: Read) -> Result<(), Status> {
    use pb::{
        policy_service_client::PolicyServiceClient,
        scorecard_service_client::ScorecardServiceClient,
    };
    let mut scorecards = ScorecardServiceClient::new(channel.clone());
    let mut policies = PolicyServiceClient::new(channel);
    match read {
        Read::AgentScorecard(request) => scorecards.get_agent_scorecard(request).await.map(drop),
        Read::TeamScorecard(request) => scorecards.get_team_scorecard(request).await.map(drop),
        Read::AgentScorecards(request) => scorecards.list_agent_scorecards(request).await.map(drop),
        Read::Breaches(request) => scorecards.list_threshold_breaches(request).await.map(drop),
        Read::Trend(request) => scorecards.get_kpi_trend(request).await.map(drop),
        Read::Interactions(request) => scorecards.list_agent_interactions(request).await.map(drop),
        Read::PolicyVersion(request) => policies.get_policy_version(request).await.map(drop),
        Read::PolicyVersions(request) => policies.list_policy_versions(request).await.map(drop),
        Read::EffectivePolicy(request) => policies.get_effective_policy(request).await.map(drop),
    }
}

/// Checks one call; `answered` counts the calls that were not refused.
async fn check(channel: Channel, read: Read, answered: &AtomicU32) -> Result<(), TestCaseError> {
    let Err(status) = send(channel, read).await else {
        answered.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    };
    prop_assert!(
        status.message().len() < 1024,
        "{} byte message",
        status.message().len()
    );
    match status.code() {
        Code::NotFound => {
            prop_assert!(error_reason(&status).is_some_and(|reason| reason.ends_with("NOT_FOUND")));
        }
        Code::InvalidArgument => {
            prop_assert!(error_reason(&status).is_some(), "{status:?}");
            let violations = field_violations(&status);
            prop_assert!(!violations.is_empty(), "no field violation: {status:?}");
            for (field, description) in violations {
                prop_assert!(!field.is_empty() && !description.is_empty());
            }
        }
        _ => prop_assert!(false, "refused with {status:?}"),
    }
    Ok(())
}

async fn read_requests_are_answered_or_refused_field_by_field(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    put_agent(&app, "ana", "red").await;
    ingest_interactions(&app, vec![call("c-1", "ana", "2026-11-02T09:05:00Z")]).await;
    // Policy version 1, the organisation's.
    create_policy(&app, "", "2026-01-01", 80.0, vec![at_least("csat", 85.0)]).await;
    let channel = app.channel.clone();
    let runtime = tokio::runtime::Handle::current();
    let answered = Arc::new(AtomicU32::new(0));
    let counted = answered.clone();
    // The runner is synchronous: it runs on a thread of its own (with room
    // for the strategies' deep types) and drives each call on this runtime.
    let runner = std::thread::Builder::new()
        .stack_size(32 * 1024 * 1024)
        .spawn(move || {
            let mut runner = TestRunner::new(Config {
                cases: CASES,
                failure_persistence: None,
                ..Config::default()
            });
            runner
                .run(&read(), |read| {
                    runtime.block_on(check(channel.clone(), read, &counted))
                })
                .map_err(|failure| failure.to_string())
        })
        .unwrap();
    let outcome = tokio::task::block_in_place(|| runner.join()).unwrap();
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    let answered = answered.load(Ordering::Relaxed);
    assert!(
        answered >= ANSWERED_AT_LEAST,
        "only {answered} of {CASES} cases were answered: the generator seldom reaches the handlers"
    );
}
