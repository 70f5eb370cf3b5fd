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
use tonic::transport::Channel;

use crate::{
    data::{Directory, NOVEMBER_START_SECONDS},
    queries::{median_of, wait_pushback, Latencies},
    server::Service,
};

/// Calls of each one-agent scorecard (plain, with forecast and peers).
pub const PACE_CALLS: usize = 200;
const DAY_SECONDS: i64 = 86_400;
/// 2026-11-30T12:00:00Z.
const AS_OF_SECONDS: i64 = NOVEMBER_START_SECONDS + 29 * DAY_SECONDS + DAY_SECONDS / 2;

/// What the pace section measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct PaceFigures {
    pub plain_scorecard: Latencies,
    pub forecast_scorecard: Latencies,
    pub full_scorecard: Latencies,
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

/// From 2026-11-10 to a day after now: a period in progress.
fn in_progress() -> Option<pb::PeriodSelector> {
    let tomorrow = chrono::Utc::now().timestamp() + DAY_SECONDS;
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
    let started = Instant::now();
    client
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id,
            period: in_progress(),
            as_of: Some(seconds(AS_OF_SECONDS)),
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

/// Measures the section (after the last pass: the full data).
pub async fn measure(service: &Service, directory: &Directory) -> PaceFigures {
    let mut client = ScorecardServiceClient::new(service.channel().await);
    // Warm the connection, the policy cache and both paths.
    scorecard(&mut client, directory.agent_id(0), Extras::None).await;
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
        november_plain: Latencies::of(november_plain),
        november_peers: Latencies::of(november_peers),
        plain_breaches,
        plain_breaches_listed,
        forecast_breaches,
        forecast_breaches_listed,
    }
}
