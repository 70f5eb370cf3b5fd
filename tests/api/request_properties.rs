//! Property test over the wire: arbitrary field values in every scorecard
//! and policy read request (parsed inside their handlers) are answered, or
//! NOT_FOUND for a well-formed unknown id, or refused with
//! INVALID_ARGUMENT and field violations: never a panic, INTERNAL or a
//! dropped call. The pure parsers get the same property, with many more
//! cases, in `src/grpc/parsing_properties.rs`.

use kpi_service::grpc::pb;
use proptest::{
    collection::vec,
    option,
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use tonic::{transport::Channel, Code, Status};

use crate::{
    helpers::{error_reason, field_violations, spawn_app, Backend},
    kpi_fixtures::{add_team, call, ingest_interactions, put_agent},
    on_both_backends,
};

on_both_backends!(read_requests_are_answered_or_refused_field_by_field);

/// Cases per backend: each is one real call.
const CASES: u32 = 256;

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

fn id() -> impl Strategy<Value = String> {
    prop_oneof![Just("ana".to_owned()), Just("red".to_owned()), text()]
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

fn period() -> impl Strategy<Value = Option<pb::PeriodSelector>> {
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

fn kpi_ids() -> impl Strategy<Value = Vec<String>> {
    vec(
        prop_oneof![Just("csat".to_owned()), Just("aht".to_owned()), text()],
        0..4,
    )
}

fn page() -> impl Strategy<Value = (i32, String)> {
    (prop_oneof![any::<i32>(), 0i32..3, Just(i32::MAX)], text())
}

fn read() -> impl Strategy<Value = Read> {
    use pb::get_kpi_trend_request::Subject;
    prop_oneof![
        (id(), period()).prop_map(|(agent_id, period)| Read::AgentScorecard(
            pb::GetAgentScorecardRequest {
                agent_id,
                period,
                ..Default::default()
            }
        )),
        (id(), period()).prop_map(|(team_id, period)| Read::TeamScorecard(
            pb::GetTeamScorecardRequest {
                team_id,
                period,
                ..Default::default()
            }
        )),
        (id(), period(), any::<i32>(), page()).prop_map(
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
        (period(), id(), kpi_ids(), any::<bool>(), page()).prop_map(
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
                id().prop_map(Subject::AgentId),
                id().prop_map(Subject::TeamId)
            ]),
            kpi_ids(),
            period(),
            prop_oneof![0i32..4, any::<i32>()],
        )
            .prop_map(|(subject, kpi_ids, period, granularity)| Read::Trend(
                pb::GetKpiTrendRequest {
                    subject,
                    kpi_ids,
                    period,
                    granularity,
                }
            )),
        (id(), period(), page()).prop_map(|(agent_id, period, (page_size, page_token))| {
            Read::Interactions(pb::ListAgentInteractionsRequest {
                agent_id,
                period,
                page_size,
                page_token,
            })
        }),
        any::<i64>().prop_map(|policy_version_id| Read::PolicyVersion(
            pb::GetPolicyVersionRequest { policy_version_id }
        )),
        (id(), page()).prop_map(|(team_id, (page_size, page_token))| Read::PolicyVersions(
            pb::ListPolicyVersionsRequest {
                team_id,
                page_size,
                page_token,
            }
        )),
        (id(), date_text()).prop_map(|(team_id, date)| Read::EffectivePolicy(
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

async fn check(channel: Channel, read: Read) -> Result<(), TestCaseError> {
    let Err(status) = send(channel, read).await else {
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
    let channel = app.channel.clone();
    let runtime = tokio::runtime::Handle::current();
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
                    runtime.block_on(check(channel.clone(), read))
                })
                .map_err(|failure| failure.to_string())
        })
        .unwrap();
    let outcome = tokio::task::block_in_place(|| runner.join()).unwrap();
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
