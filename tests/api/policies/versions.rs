//! Policy versions: a month is judged by the version in force on its first
//! day, so a new version leaves past months alone; a team's own policy
//! overrides the organisation's for its agents only.

use kpi_service::grpc::pb;
use pb::KpiStatus::{Breached, Met};

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        directory::{add_team, put_agent},
        ingest::ingest_surveys,
        periods::month,
        policies::{at_least, create_policy},
        records::csat_scores,
        scorecards::{agent_scorecard, assert_judged, policy_id},
    },
};

on_both_backends!(
    a_month_is_judged_by_the_version_in_force_on_its_first_day,
    a_new_version_leaves_last_months_scorecard_unchanged,
    a_version_effective_mid_month_does_not_judge_that_month,
    the_organisations_versions_are_listed_newest_first,
    a_team_policy_overrides_the_organisations_for_its_agents_only,
    before_its_own_policy_takes_effect_a_team_falls_back_to_the_organisation,
    a_teams_versions_are_listed_by_its_filter,
);

/// Ana (no team) and bo (red) with 4 satisfied CSAT responses of 5 in
/// October and in November (80 % each), and v1, the organisation's
/// policy from Oct 1: CSAT >= 85.
async fn eighty_percent_csat_under_v1(backend: Backend) -> (TestApp, pb::PolicyVersion) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    put_agent(&app, "bo", "red").await;
    for agent in ["ana", "bo"] {
        let mut surveys = csat_scores(
            &format!("{agent}-oct"),
            agent,
            &[5, 5, 4, 4, 1],
            "2026-10-10T10:00:00Z",
        );
        surveys.extend(csat_scores(
            &format!("{agent}-nov"),
            agent,
            &[5, 4, 4, 5, 2],
            "2026-11-10T10:00:00Z",
        ));
        ingest_surveys(&app, surveys).await;
    }
    let v1 = create_policy(&app, "", "2026-10-01", 80.0, vec![at_least("csat", 85.0)]).await;
    (app, v1)
}

/// The versions of [`with_every_version`].
struct Versions {
    v1: i64,
    v2: i64,
    v3: i64,
    red: i64,
}

/// Adds v2 (organisation, Nov 1, CSAT >= 75), v3 (organisation, Nov 15,
/// CSAT >= 95) and red's own (Nov 1, CSAT >= 90).
async fn later_versions(app: &TestApp, v1: &pb::PolicyVersion) -> Versions {
    let v2 = create_policy(app, "", "2026-11-01", 80.0, vec![at_least("csat", 75.0)]).await;
    let v3 = create_policy(app, "", "2026-11-15", 80.0, vec![at_least("csat", 95.0)]).await;
    let red = create_policy(app, "red", "2026-11-01", 80.0, vec![at_least("csat", 90.0)]).await;
    Versions {
        v1: v1.policy_version_id,
        v2: v2.policy_version_id,
        v3: v3.policy_version_id,
        red: red.policy_version_id,
    }
}

async fn with_every_version(backend: Backend) -> (TestApp, Versions) {
    let (app, v1) = eighty_percent_csat_under_v1(backend).await;
    let versions = later_versions(&app, &v1).await;
    (app, versions)
}

async fn a_month_is_judged_by_the_version_in_force_on_its_first_day(backend: Backend) {
    let (app, v1) = eighty_percent_csat_under_v1(backend).await;

    let october = agent_scorecard(&app, "ana", month("2026-10")).await;

    // 80 against >= 85: breached by 5.
    assert_judged(&october, "csat", Some(80.0), Breached, Some(-5.0));
    assert_eq!(policy_id(&october), v1.policy_version_id);
    let reference = october.policy.clone().unwrap();
    assert_eq!(
        (
            reference.team_id.as_str(),
            reference.effective_from.as_str()
        ),
        ("", "2026-10-01")
    );
}

async fn a_new_version_leaves_last_months_scorecard_unchanged(backend: Backend) {
    let (app, v1) = eighty_percent_csat_under_v1(backend).await;
    let before = agent_scorecard(&app, "ana", month("2026-10")).await;

    let versions = later_versions(&app, &v1).await;

    let october = agent_scorecard(&app, "ana", month("2026-10")).await;
    assert!(versions.v2 > versions.v1);
    assert_eq!(policy_id(&october), versions.v1, "October keeps v1");
    assert_judged(&october, "csat", Some(80.0), Breached, Some(-5.0));
    assert_eq!(october.kpis, before.kpis);
    assert_eq!(october.policy, before.policy);
}

async fn a_version_effective_mid_month_does_not_judge_that_month(backend: Backend) {
    let (app, versions) = with_every_version(backend).await;

    let november = agent_scorecard(&app, "ana", month("2026-11")).await;

    // v3 starts on Nov 15: v2 was in force on Nov 1. 80 against >= 75.
    assert_eq!(policy_id(&november), versions.v2);
    assert_judged(&november, "csat", Some(80.0), Met, Some(5.0));
}

async fn the_organisations_versions_are_listed_newest_first(backend: Backend) {
    let (app, versions) = with_every_version(backend).await;

    let listed = app
        .policies()
        .list_policy_versions(pb::ListPolicyVersionsRequest::default())
        .await
        .unwrap()
        .into_inner();

    let ids: Vec<i64> = listed
        .policies
        .iter()
        .map(|version| version.policy_version_id)
        .collect();
    // The organisation's versions only (no team filter), newest first.
    assert_eq!(
        ids,
        vec![versions.v3, versions.v2, versions.v1],
        "newest first"
    );
    assert!(listed.next_page_token.is_empty());
}

async fn a_team_policy_overrides_the_organisations_for_its_agents_only(backend: Backend) {
    let (app, versions) = with_every_version(backend).await;

    let bo_november = agent_scorecard(&app, "bo", month("2026-11")).await;
    let ana_november = agent_scorecard(&app, "ana", month("2026-11")).await;

    // Bo is red: 80 against red's >= 90, breached by 10.
    assert_judged(&bo_november, "csat", Some(80.0), Breached, Some(-10.0));
    let reference = bo_november.policy.clone().unwrap();
    assert_eq!(reference.policy_version_id, versions.red);
    assert_eq!(reference.team_id, "red");
    assert_eq!(policy_id(&ana_november), versions.v2);
}

async fn before_its_own_policy_takes_effect_a_team_falls_back_to_the_organisation(
    backend: Backend,
) {
    let (app, versions) = with_every_version(backend).await;

    let bo_october = agent_scorecard(&app, "bo", month("2026-10")).await;

    // Red's own policy starts on Nov 1: October is v1's.
    assert_eq!(policy_id(&bo_october), versions.v1);
    assert_judged(&bo_october, "csat", Some(80.0), Breached, Some(-5.0));
}

async fn a_teams_versions_are_listed_by_its_filter(backend: Backend) {
    let (app, versions) = with_every_version(backend).await;

    let red_versions = app
        .policies()
        .list_policy_versions(pb::ListPolicyVersionsRequest {
            team_id: "red".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(red_versions.policies.len(), 1);
    assert_eq!(red_versions.policies[0].policy_version_id, versions.red);
}
