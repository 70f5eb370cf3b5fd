//! Graded plans against a binary policy (issue 19): the organisation's
//! November list and breaches judged first by a binary organisation
//! policy, then by a graded one (LINEAR and TIERS rules, bonus tiers) with
//! 100 agent goals, in the same run and on the same data, each beside the
//! rollup GROUP BY the list runs. Target: graded ≤ 1.2 × binary.

use std::time::Duration;

use kpi_service::grpc::pb::{
    self, policy_service_client::PolicyServiceClient,
    scorecard_service_client::ScorecardServiceClient,
};

use crate::{
    autoanalyze::AutoAnalyze,
    data::{passes, Directory, Kind},
    ingest::{ingest_pass, register_directory},
    queries::{list_all_breaches, list_all_scorecards, median_of, rollup_sql, run_sql},
    server::{Backend, Service},
};

/// Agent goals stored for the graded run (the first agents).
pub const GOALS: u64 = 100;

/// One policy's figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicyFigures {
    pub list: Duration,
    pub listed: usize,
    pub breaches: Duration,
    pub breaches_listed: usize,
    /// The rollup GROUP BY agent, measured right after (same run).
    pub rollup_by_agent: Duration,
    /// The service process's own CPU (user + system) per whole list and
    /// per whole breach list, over [`CPU_ROUNDS`] rounds: what the policy
    /// costs the service, far less disturbed than wall time by whatever
    /// else the machine runs (on SQLite it includes the database's work).
    pub list_cpu: Duration,
    pub breaches_cpu: Duration,
}

/// Rounds of each call whose service CPU is averaged (the kernel counts it
/// in 10 ms ticks).
const CPU_ROUNDS: u32 = 10;

/// Binary vs graded.
#[derive(Debug, Clone, Copy, Default)]
pub struct GradedFigures {
    pub binary: PolicyFigures,
    pub graded: PolicyFigures,
    pub goals: u64,
}

fn target(bound: pb::target::Bound) -> Option<pb::Target> {
    Some(pb::Target { bound: Some(bound) })
}

fn rule(kpi_id: &str, bound: pb::target::Bound) -> pb::KpiRule {
    pb::KpiRule {
        kpi_id: kpi_id.into(),
        target: target(bound),
        weight: 1.0,
        min_sample_size: 1,
        ..Default::default()
    }
}

/// The same targets as BINARY rules, or graded (LINEAR / TIERS).
fn rules(graded: bool) -> Vec<pb::KpiRule> {
    use pb::target::Bound::{AtLeast, AtMost, Between};
    let mut rules = vec![
        rule("csat", AtLeast(85.0)),
        rule("aht", AtMost(300.0)),
        rule("fcr_rate", AtLeast(80.0)),
        rule("escalation_rate", AtMost(10.0)),
        rule("error_rate", AtMost(2.0)),
        rule("resolution_rate", AtLeast(70.0)),
        rule(
            "occupancy",
            Between(pb::ValueRange {
                low: 75.0,
                high: 90.0,
            }),
        ),
    ];
    if graded {
        let linear = pb::KpiScoring::Linear as i32;
        rules[0].scoring = linear;
        rules[0].floor = Some(60.0);
        rules[1].scoring = pb::KpiScoring::Tiers as i32;
        rules[1].credit_tiers = [(450.0, 0.25), (400.0, 0.5), (350.0, 0.75), (300.0, 1.0)]
            .iter()
            .map(|&(threshold, credit)| pb::CreditTier { threshold, credit })
            .collect();
        rules[2].scoring = linear;
        rules[2].floor = Some(50.0);
        rules[3].scoring = linear;
        rules[3].floor = Some(25.0);
        rules[6].scoring = linear;
        rules[6].floor_below = Some(50.0);
        rules[6].floor_above = Some(100.0);
    }
    rules
}

async fn create_policy(service: &Service, graded: bool) {
    let bonus_tiers = if graded {
        [
            (50.0, "bronze", 50.0),
            (70.0, "silver", 100.0),
            (85.0, "gold", 150.0),
        ]
        .iter()
        .map(|&(minimum_composite, name, payout_percent)| pb::BonusTier {
            minimum_composite,
            name: name.into(),
            payout_percent,
        })
        .collect()
    } else {
        Vec::new()
    };
    PolicyServiceClient::new(service.channel().await)
        .create_policy_version(pb::CreatePolicyVersionRequest {
            policy: Some(pb::PolicyVersion {
                // Same date: the later version wins the tie.
                effective_from: "2026-11-01".into(),
                rules: rules(graded),
                bonus_threshold: 60.0,
                bonus_tiers,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("CreatePolicyVersion failed");
}

async fn create_goals(service: &Service, directory: &Directory) -> u64 {
    let mut client = PolicyServiceClient::new(service.channel().await);
    let goals = GOALS.min(directory.agents);
    for agent in 0..goals {
        client
            .create_agent_goal(pb::CreateAgentGoalRequest {
                goal: Some(pb::AgentGoal {
                    agent_id: directory.agent_id(agent),
                    kpi_id: "csat".into(),
                    effective_from: "2026-11-01".into(),
                    target: target(pb::target::Bound::AtLeast(75.0)),
                    floor: Some(50.0),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("CreateAgentGoal failed");
    }
    goals
}

async fn figures(service: &Service) -> PolicyFigures {
    let backend = sea_orm::ConnectionTrait::get_database_backend(service.database.connection());
    let client = ScorecardServiceClient::new(service.channel().await);
    // One unmeasured round of each to load the new policy into the cache
    // and warm the database's pages (the binary run comes first, right
    // after the concurrent calls of the memory test).
    list_all_scorecards(&mut client.clone(), pb::ScorecardOrder::AgentId).await;
    list_all_breaches(&mut client.clone()).await;
    let (list, listed) = median_of(|| {
        let mut client = client.clone();
        async move { list_all_scorecards(&mut client, pb::ScorecardOrder::AgentId).await }
    })
    .await;
    let (breaches, breaches_listed) = median_of(|| {
        let mut client = client.clone();
        async move { list_all_breaches(&mut client).await }
    })
    .await;
    let (rollup_by_agent, _) =
        median_of(|| run_sql(service, rollup_sql(backend, None, false))).await;
    let cpu_before = service.cpu_seconds();
    for _ in 0..CPU_ROUNDS {
        list_all_scorecards(&mut client.clone(), pb::ScorecardOrder::AgentId).await;
    }
    let cpu_between = service.cpu_seconds();
    for _ in 0..CPU_ROUNDS {
        list_all_breaches(&mut client.clone()).await;
    }
    let cpu_after = service.cpu_seconds();
    let per_round = |seconds: f64| Duration::from_secs_f64(seconds.max(0.0)) / CPU_ROUNDS;
    PolicyFigures {
        list,
        listed,
        breaches,
        breaches_listed,
        rollup_by_agent,
        list_cpu: per_round(cpu_between - cpu_before),
        breaches_cpu: per_round(cpu_after - cpu_between),
    }
}

/// Binary first, then graded with the goals, on the data as it stands.
pub async fn measure(service: &Service, directory: &Directory) -> GradedFigures {
    create_policy(service, false).await;
    let binary = figures(service).await;
    create_policy(service, true).await;
    let goals = create_goals(service, directory).await;
    let graded = figures(service).await;
    GradedFigures {
        binary,
        graded,
        goals,
    }
}

/// `KPI_BENCH_MODE=graded`: only what the comparison needs, so that it
/// can be repeated at full size: the directory, every interaction and
/// survey response through gRPC in one pass (`writers` concurrent), the
/// autovacuum stand-in settled, then [`measure`].
pub async fn run(
    backend: Backend,
    directory: &Directory,
    interactions: u64,
    writers: usize,
    auto_analyze: bool,
) -> GradedFigures {
    let started = std::time::Instant::now();
    let service = Service::start(backend, None).await;
    register_directory(&service, directory).await;
    let stand_in = if auto_analyze {
        AutoAnalyze::start_if_needed(&service).await
    } else {
        None
    };
    for pass in passes(interactions, interactions) {
        for kind in [Kind::Interactions, Kind::Surveys] {
            let (_, errors) = ingest_pass(&service, directory, &pass, kind, writers).await;
            assert!(
                errors.lost_batches == 0,
                "{}: batches lost during ingest",
                backend.name()
            );
        }
    }
    eprintln!(
        "[{:>7.1} s] {}: {interactions} interactions ingested; graded vs binary",
        started.elapsed().as_secs_f64(),
        backend.name()
    );
    if let Some(stand_in) = &stand_in {
        stand_in.settle().await;
    }
    let figures = measure(&service, directory).await;
    if let Some(stand_in) = stand_in {
        stand_in.finish().await;
    }
    service.stop().await;
    figures
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1_000.0)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64().max(1e-9))
}

/// The Markdown table of the figures.
pub fn print(figures: &GradedFigures) {
    let (b, g) = (&figures.binary, &figures.graded);
    println!(
        "\n| November, organisation-wide ({} agent goals in the graded run) | binary policy | \
         graded policy + tiers + goals | graded / binary | target |",
        figures.goals
    );
    println!("|---|---|---|---|---|");
    println!(
        "| all agents' scorecards, all pages (page_size 500) | {} ({} agents) | {} ({} agents) | {} | ≤ 1.2× |",
        ms(b.list),
        b.listed,
        ms(g.list),
        g.listed,
        ratio(g.list, b.list)
    );
    println!(
        "| all breaches, all pages | {} ({} breaches) | {} ({} breaches) | {} | ≤ 1.2× |",
        ms(b.breaches),
        b.breaches_listed,
        ms(g.breaches),
        g.breaches_listed,
        ratio(g.breaches, b.breaches)
    );
    println!(
        "| reference: rollup GROUP BY agent (same run) | {} | {} | {} | |",
        ms(b.rollup_by_agent),
        ms(g.rollup_by_agent),
        ratio(g.rollup_by_agent, b.rollup_by_agent)
    );
    println!(
        "| service CPU per whole list (mean of {CPU_ROUNDS}) | {} | {} | {} | ≤ 1.2× |",
        ms(b.list_cpu),
        ms(g.list_cpu),
        ratio(g.list_cpu, b.list_cpu)
    );
    println!(
        "| service CPU per whole breach list (mean of {CPU_ROUNDS}) | {} | {} | {} | ≤ 1.2× |",
        ms(b.breaches_cpu),
        ms(g.breaches_cpu),
        ratio(g.breaches_cpu, b.breaches_cpu)
    );
    // Each policy's list over the reference measured right after it: what
    // is left when the database's own drift between the halves is taken out.
    let over_reference = |call: Duration, reference: Duration| {
        call.as_secs_f64() / reference.as_secs_f64().max(1e-9)
    };
    println!(
        "| list / reference, graded over binary | {:.2} | {:.2} | {:.2}× | |",
        over_reference(b.list, b.rollup_by_agent),
        over_reference(g.list, g.rollup_by_agent),
        over_reference(g.list, g.rollup_by_agent) / over_reference(b.list, b.rollup_by_agent)
    );
    println!(
        "| breaches / reference, graded over binary | {:.2} | {:.2} | {:.2}× | |",
        over_reference(b.breaches, b.rollup_by_agent),
        over_reference(g.breaches, g.rollup_by_agent),
        over_reference(g.breaches, g.rollup_by_agent)
            / over_reference(b.breaches, b.rollup_by_agent)
    );
}
