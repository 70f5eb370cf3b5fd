//! ListThresholdBreaches with `include_forecast_misses`: the pairs
//! breaching now and those forecast to miss (WILL_MISS, UNREACHABLE).

use chrono::Duration;
use kpi_service::grpc::pb;
use pb::{ComplianceKind::Privacy, ForecastStatus, KpiStatus};

use super::{forecast_status, pace_policy, InProgress};
use crate::{
    on_both_backends,
    scorecards::{agent_and_kpi, every_breach, pairs},
    support::{
        app::{spawn_app, Backend},
        directory::{add_team, put_agent},
        ingest::{ingest_checks, ingest_surveys},
        records::{check, csat_scores},
        scorecards::status_of,
    },
};

on_both_backends!(a_breach_query_can_add_the_pairs_forecast_to_miss);

/// Day 7.5 of 30 (f = 1/4), north: ana CSAT 32 of 40 (80 %, BREACHED),
/// bea 10 of 10 privacy checks passed (100 %, MET), cai CSAT 40 of 40.
async fn a_breach_query_can_add_the_pairs_forecast_to_miss(backend: Backend) {
    let app = spawn_app(backend).await;
    let period = InProgress::with_elapsed(Duration::hours(180));
    pace_policy(&app).await;
    add_team(&app, "north").await;
    for agent in ["ana", "bea", "cai"] {
        put_agent(&app, agent, "north").await;
    }
    let day_one = period.after_start(Duration::days(1));
    let mut ana = vec![5; 32];
    ana.extend([2; 8]);
    let mut surveys = csat_scores("ana", "ana", &ana, &day_one);
    surveys.extend(csat_scores("cai", "cai", &[5; 40], &day_one));
    ingest_surveys(&app, surveys).await;
    let checks = (0..10)
        .map(|n| check(&format!("privacy-{n}"), "bea", Privacy, true, &day_one))
        .collect();
    ingest_checks(&app, checks).await;

    let request = pb::ListThresholdBreachesRequest {
        period: Some(period.selector()),
        as_of: Some(period.as_of_pb()),
        kpi_ids: vec!["csat".into(), "privacy_compliance".into()],
        ..Default::default()
    };
    let (plain, _) = every_breach(&app, request.clone()).await;
    assert_eq!(agent_and_kpi(&plain), pairs(&[("ana", "csat")]));
    assert!(!plain[0].forecast_miss);
    assert_eq!(plain[0].result.as_ref().unwrap().forecast, None);

    let with_misses = pb::ListThresholdBreachesRequest {
        include_forecast_misses: true,
        page_size: 1,
        ..request
    };
    let (breaches, page_sizes) = every_breach(&app, with_misses).await;
    assert_eq!(
        agent_and_kpi(&breaches),
        pairs(&[("ana", "csat"), ("bea", "privacy_compliance")])
    );
    assert_eq!(page_sizes[..2], [1, 1]);
    // Ana: breaching now (shortfall 85 − 80 = 5) and forecast to miss:
    // d_rem = 40 × 3 = 120, needed 85 + 5 × 40 / 120 = 86.67 % of them.
    let ana = &breaches[0];
    let ana_result = ana.result.as_ref().unwrap();
    assert!(ana.forecast_miss);
    assert_eq!(ana.shortfall, 5.0);
    let ana_forecast = ana_result.forecast.as_ref().unwrap();
    assert_eq!(ana_forecast.expected_remaining, 120.0);
    assert_eq!(forecast_status(ana_forecast), ForecastStatus::WillMiss);
    // Bea: MET now (10 of 10 = 100 %), but the 30 checks expected must all
    // pass: P(X = 30), X ~ BetaBinomial(30, 11, 1), = B(41, 1) / B(11, 1)
    // = (1/41) / (1/11) = 11/41 = 0.268 < 0.3: WILL_MISS.
    let bea = &breaches[1];
    let bea_result = bea.result.as_ref().unwrap();
    assert!(bea.forecast_miss);
    assert_eq!(bea.shortfall, 0.0);
    assert_eq!(status_of(bea_result), KpiStatus::Met);
    let bea_forecast = bea_result.forecast.as_ref().unwrap();
    assert_eq!(bea_forecast.expected_remaining_whole, 30);
    let probability = bea_forecast.probability.unwrap();
    assert!((probability - 11.0 / 41.0).abs() < 1e-12, "{probability}");
    assert_eq!(forecast_status(bea_forecast), ForecastStatus::WillMiss);
}
