//! ScorecardService: the catalogue; agent scorecards computed by hand;
//! which records count where (time zones, late surveys, corrections,
//! samples); team scorecards; targets, bands and breaches; payroll
//! listings; trends, intraday ones too; the drill-down; the daily rollups
//! against raw rows; bad, random and hostile queries.

use kpi_service::grpc::pb;

use crate::support::{app::TestApp, periods::month};

mod agent_records;
mod agent_scorecard;
mod anas_november;
mod attribution;
mod bad_queries;
mod breach_pages;
mod catalogue;
mod drill_down;
mod history;
mod hostile_input;
mod intraday;
mod intraday_subjects;
mod listings;
mod pace;
mod random_histories;
mod request_properties;
mod targets;
mod team_scorecards;
mod time_zones;
mod trends;
mod zone_change;

/// ListThresholdBreaches of November 2026, default page.
pub fn november_breaches() -> pb::ListThresholdBreachesRequest {
    pb::ListThresholdBreachesRequest {
        period: Some(month("2026-11")),
        ..Default::default()
    }
}

/// Pages through ListThresholdBreaches; returns every breach and the size
/// of each page. A page token must be empty on the last page only.
pub async fn every_breach(
    app: &TestApp,
    request: pb::ListThresholdBreachesRequest,
) -> (Vec<pb::ThresholdBreach>, Vec<usize>) {
    let mut client = app.scorecards();
    let mut breaches = Vec::new();
    let mut page_sizes = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_threshold_breaches(pb::ListThresholdBreachesRequest {
                page_token: page_token.clone(),
                ..request.clone()
            })
            .await
            .unwrap_or_else(|status| panic!("ListThresholdBreaches failed: {status:?}"))
            .into_inner();
        page_sizes.push(page.breaches.len());
        breaches.extend(page.breaches);
        if page.next_page_token.is_empty() {
            return (breaches, page_sizes);
        }
        assert_ne!(
            page_sizes.last(),
            Some(&0),
            "an empty page must be the last one"
        );
        assert!(page_sizes.len() < 50, "the pages never end");
        page_token = page.next_page_token;
    }
}

/// Each breach as (agent, KPI).
pub fn agent_and_kpi(breaches: &[pb::ThresholdBreach]) -> Vec<(String, String)> {
    breaches
        .iter()
        .map(|breach| {
            let result = breach.result.as_ref().expect("a breach has a result");
            (breach.agent_id.clone(), result.kpi_id.clone())
        })
        .collect()
}

/// (agent, KPI) pairs as [`agent_and_kpi`] returns them.
pub fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(agent, kpi_id)| (agent.to_string(), kpi_id.to_string()))
        .collect()
}
