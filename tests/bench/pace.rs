//! Issue 17's reads of a period in progress, each beside the plain read of
//! the same period and `as_of` measured in the same run: an agent's
//! scorecard with forecast and peers (team and organisation: the caller of
//! the benchmark holds every scope) against the plain scorecard, and the
//! organisation's breaches with forecast misses against the plain breach
//! list.
//!
//! The period is custom, from 2026-11-10 to a day after now (so it is in
//! progress), read as of 2026-11-30T12:00Z: 20 whole days from the rollups
//! and half a day of raw rows, like a read during a working day.

use std::time::{Duration, Instant};

use kpi_service::grpc::pb::{self, scorecard_service_client::ScorecardServiceClient};
use sea_orm::ConnectionTrait;
use tonic::transport::Channel;

use crate::{
    data::{Directory, NOVEMBER_START_SECONDS},
    queries::{median_of, wait_pushback, Latencies},
    server::Service,
};

/// Calls of each one-agent scorecard (plain, with forecast and peers).
pub const PACE_CALLS: usize = 200;
/// First calls with peers (nothing kept in memory for their instant yet),
/// each at an instant of its own, a minute apart.
pub const FIRST_CALLS: usize = 5;
const DAY_SECONDS: i64 = 86_400;
/// 2026-11-30T12:00:00Z.
const AS_OF_SECONDS: i64 = NOVEMBER_START_SECONDS + 29 * DAY_SECONDS + DAY_SECONDS / 2;

/// What the pace section measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct PaceFigures {
    pub plain_scorecard: Latencies,
    pub forecast_scorecard: Latencies,
    pub full_scorecard: Latencies,
    /// First calls: with forecast and peers at an instant not read before
    /// (the peer values are computed), and the plain read at that instant.
    pub first_full: Latencies,
    pub first_plain: Latencies,
    /// Hand-written SQL computing every agent's sums for the period as of
    /// the instant (the least a per-call recomputation of peers reads):
    /// median of the first calls' count, one run per first call.
    pub grouped_sql: Duration,
    /// November's first call with peers (then computed).
    pub november_peers_first: Duration,
    /// November (whole days, no as_of): the plain scorecard and with peers,
    /// which then read rollups only.
    pub november_plain: Latencies,
    pub november_peers: Latencies,
    pub plain_breaches: Duration,
    pub plain_breaches_listed: usize,
    pub forecast_breaches: Duration,
    pub forecast_breaches_listed: usize,
}

fn seconds(seconds: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds, nanos: 0 }
}

/// From 2026-11-10 to a day after the first call's now: a period in
/// progress, the same in every request of the run (a page token holds only
/// for unchanged parameters).
fn in_progress() -> Option<pb::PeriodSelector> {
    static TOMORROW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let tomorrow = *TOMORROW.get_or_init(|| chrono::Utc::now().timestamp() + DAY_SECONDS);
    Some(pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Custom(pb::TimeRange {
            start_time: Some(seconds(NOVEMBER_START_SECONDS + 9 * DAY_SECONDS)),
            end_time: Some(seconds(tomorrow)),
        })),
    })
}

/// What a scorecard call adds to the plain read.
#[derive(Debug, Clone, Copy)]
enum Extras {
    None,
    Forecast,
    ForecastAndPeers,
}

async fn scorecard(
    client: &mut ScorecardServiceClient<Channel>,
    agent_id: String,
    extras: Extras,
) -> Duration {
    scorecard_as_of(client, agent_id, extras, AS_OF_SECONDS).await
}

async fn scorecard_as_of(
    client: &mut ScorecardServiceClient<Channel>,
    agent_id: String,
    extras: Extras,
    as_of_seconds: i64,
) -> Duration {
    let started = Instant::now();
    client
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id,
            period: in_progress(),
            as_of: Some(seconds(as_of_seconds)),
            include_forecast: !matches!(extras, Extras::None),
            include_peers: matches!(extras, Extras::ForecastAndPeers),
            ..Default::default()
        })
        .await
        .expect("GetAgentScorecard failed");
    started.elapsed()
}

/// November's scorecard, plain or with peers (whole days: rollups only).
async fn november_scorecard(
    client: &mut ScorecardServiceClient<Channel>,
    agent_id: String,
    peers: bool,
) -> Duration {
    let started = Instant::now();
    client
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id,
            period: Some(pb::PeriodSelector {
                period: Some(pb::period_selector::Period::Month("2026-11".into())),
            }),
            include_peers: peers,
            ..Default::default()
        })
        .await
        .expect("GetAgentScorecard failed");
    started.elapsed()
}

/// Every page of the organisation's breaches as of the same instant.
async fn all_breaches(client: &mut ScorecardServiceClient<Channel>, misses: bool) -> usize {
    let mut page_token = String::new();
    let mut count = 0;
    loop {
        let reply = client
            .list_threshold_breaches(pb::ListThresholdBreachesRequest {
                period: in_progress(),
                as_of: Some(seconds(AS_OF_SECONDS)),
                include_forecast_misses: misses,
                page_size: 1_000,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await;
        let page = match reply {
            Err(status) if status.code() == tonic::Code::ResourceExhausted => {
                wait_pushback(&status).await;
                continue;
            }
            other => other.expect("ListThresholdBreaches failed").into_inner(),
        };
        count += page.breaches.len();
        if page.next_page_token.is_empty() {
            return count;
        }
        page_token = page.next_page_token;
    }
}

/// Every agent's sums for the in-progress period as of `as_of_seconds`,
/// by hand: one `GROUP BY agent_id` over the rollups of the whole days,
/// one over the raw interactions of the partial day and one over their
/// linked CSAT responses (the benchmark's zone is UTC).
async fn grouped_sql(service: &Service, as_of_seconds: i64) -> Duration {
    let connection = service.database.connection();
    let backend = connection.get_database_backend();
    let first_day = NOVEMBER_START_SECONDS / DAY_SECONDS + 9;
    let as_of_day = as_of_seconds / DAY_SECONDS;
    let day_start_us = as_of_day * DAY_SECONDS * 1_000_000;
    let as_of_us = as_of_seconds * 1_000_000;
    let rollups = format!(
        "SELECT agent_id, SUM(contacts), SUM(handle_seconds), SUM(resolved), SUM(first_contact_resolved), \
         SUM(escalated), SUM(transferred), SUM(overdue), SUM(with_sla), SUM(csat_responses), SUM(csat_satisfied), \
         COUNT(DISTINCT day) FROM kpi_rollups WHERE day >= {first_day} AND day < {as_of_day} GROUP BY agent_id"
    );
    let raw = format!(
        "SELECT agent_id, COUNT(*), SUM(talk_seconds + hold_seconds + after_contact_work_seconds), \
         SUM(CASE WHEN resolved THEN 1 ELSE 0 END), SUM(CASE WHEN escalated THEN 1 ELSE 0 END) \
         FROM interactions WHERE NOT voided AND ended_at_us >= {day_start_us} AND ended_at_us < {as_of_us} \
         GROUP BY agent_id"
    );
    let surveys = format!(
        "SELECT i.agent_id, COUNT(*), SUM(CASE WHEN s.score >= 4 THEN 1 ELSE 0 END) \
         FROM survey_responses s JOIN interactions i \
         ON i.source = s.interaction_source AND i.external_id = s.interaction_external_id \
         WHERE NOT i.voided AND NOT s.voided AND s.kind = 'csat' \
         AND i.ended_at_us >= {day_start_us} AND i.ended_at_us < {as_of_us} GROUP BY i.agent_id"
    );
    let started = Instant::now();
    for sql in [rollups, raw, surveys] {
        connection
            .query_all(sea_orm::Statement::from_string(backend, sql))
            .await
            .expect("grouped peer SQL");
    }
    started.elapsed()
}

/// Measures the section (after the last pass: the full data).
pub async fn measure(service: &Service, directory: &Directory, round: usize) -> PaceFigures {
    let mut client = ScorecardServiceClient::new(service.channel().await);
    // Warm the connection and the policy cache.
    scorecard(&mut client, directory.agent_id(0), Extras::None).await;
    // First calls, each at an instant not read before (a minute apart,
    // before the steady state's instant): the peer values are computed.
    let (mut first_plain, mut first_full) = (Vec::new(), Vec::new());
    // Each round at instants of its own.
    let earlier = (round * FIRST_CALLS) as i64;
    for call in 1..=FIRST_CALLS as i64 {
        let agent = directory.agent_id((call as u64 * 13) % directory.agents);
        let as_of = AS_OF_SECONDS - 60 * (earlier + call);
        first_plain.push(scorecard_as_of(&mut client, agent.clone(), Extras::None, as_of).await);
        first_full.push(scorecard_as_of(&mut client, agent, Extras::ForecastAndPeers, as_of).await);
    }
    let mut grouped = Vec::new();
    for call in 1..=FIRST_CALLS as i64 {
        grouped.push(grouped_sql(service, AS_OF_SECONDS - 60 * (earlier + call)).await);
    }
    grouped.sort();
    let november_peers_first = november_scorecard(&mut client, directory.agent_id(1), true).await;
    scorecard(&mut client, directory.agent_id(0), Extras::ForecastAndPeers).await;
    let (mut plain, mut forecast, mut full) = (Vec::new(), Vec::new(), Vec::new());
    for call in 0..PACE_CALLS as u64 {
        // In turn, so that all three see the same caches.
        let agent = directory.agent_id((call * 7) % directory.agents);
        plain.push(scorecard(&mut client, agent.clone(), Extras::None).await);
        forecast.push(scorecard(&mut client, agent.clone(), Extras::Forecast).await);
        full.push(scorecard(&mut client, agent, Extras::ForecastAndPeers).await);
    }
    let (mut november_plain, mut november_peers) = (Vec::new(), Vec::new());
    for call in 0..PACE_CALLS as u64 {
        let agent = directory.agent_id((call * 7) % directory.agents);
        november_plain.push(november_scorecard(&mut client, agent.clone(), false).await);
        november_peers.push(november_scorecard(&mut client, agent, true).await);
    }
    let (plain_breaches, plain_breaches_listed) = median_of(|| {
        let mut client = client.clone();
        async move { all_breaches(&mut client, false).await }
    })
    .await;
    let (forecast_breaches, forecast_breaches_listed) = median_of(|| {
        let mut client = client.clone();
        async move { all_breaches(&mut client, true).await }
    })
    .await;
    PaceFigures {
        plain_scorecard: Latencies::of(plain),
        forecast_scorecard: Latencies::of(forecast),
        full_scorecard: Latencies::of(full),
        first_full: Latencies::of(first_full),
        first_plain: Latencies::of(first_plain),
        grouped_sql: grouped[grouped.len() / 2],
        november_peers_first,
        november_plain: Latencies::of(november_plain),
        november_peers: Latencies::of(november_peers),
        plain_breaches,
        plain_breaches_listed,
        forecast_breaches,
        forecast_breaches_listed,
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1_000.0)
}

fn ratio(service: Duration, reference: Duration) -> String {
    format!("{:.1}×", service.as_secs_f64() / reference.as_secs_f64())
}

/// The section's table (one round).
pub fn print(pace: &PaceFigures) {
    println!("| a period in progress, as of 2026-11-30T12:00Z | with forecast | plain, same period and as_of | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| one agent's scorecard with forecast and peers, p50 ({PACE_CALLS} calls each, in turn) | {} | {} | {} | ≤ 2× |",
        ms(pace.full_scorecard.p50),
        ms(pace.plain_scorecard.p50),
        ratio(pace.full_scorecard.p50, pace.plain_scorecard.p50)
    );
    println!(
        "| the same, first call at an instant (peer values computed), p50 of {FIRST_CALLS} | {} | {} | {} | |",
        ms(pace.first_full.p50),
        ms(pace.first_plain.p50),
        ratio(pace.first_full.p50, pace.first_plain.p50)
    );
    println!(
        "| for comparison: hand-written SQL of every agent's sums as of an instant (rollups by agent for the whole days, raw interactions and linked CSAT by agent for the half day), median of {FIRST_CALLS} | {} | {} | {} | |",
        ms(pace.grouped_sql),
        ms(pace.first_plain.p50),
        ratio(pace.grouped_sql, pace.first_plain.p50)
    );
    println!(
        "| of which: one agent's scorecard with forecast only, p50 | {} | {} | {} | |",
        ms(pace.forecast_scorecard.p50),
        ms(pace.plain_scorecard.p50),
        ratio(pace.forecast_scorecard.p50, pace.plain_scorecard.p50)
    );
    println!(
        "| one agent's scorecard with forecast and peers, p99 | {} | {} | {} | |",
        ms(pace.full_scorecard.p99),
        ms(pace.plain_scorecard.p99),
        ratio(pace.full_scorecard.p99, pace.plain_scorecard.p99)
    );
    println!(
        "| for comparison: November (whole days, no as_of), one agent's scorecard with peers, p50 | {} | {} | {} | |",
        ms(pace.november_peers.p50),
        ms(pace.november_plain.p50),
        ratio(pace.november_peers.p50, pace.november_plain.p50)
    );
    println!(
        "| the same, November's first call with peers (computed) | {} | {} | {} | |",
        ms(pace.november_peers_first),
        ms(pace.november_plain.p50),
        ratio(pace.november_peers_first, pace.november_plain.p50)
    );
    println!(
        "| the organisation's breaches with forecast misses, all pages (median of 3) | {} ({} listed) | {} ({} listed) | {} | ≤ 2× |",
        ms(pace.forecast_breaches),
        pace.forecast_breaches_listed,
        ms(pace.plain_breaches),
        pace.plain_breaches_listed,
        ratio(pace.forecast_breaches, pace.plain_breaches)
    );
    println!();
}
