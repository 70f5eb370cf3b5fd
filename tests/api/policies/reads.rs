//! Reading policy versions back: by id, and the one in force on a date
//! (the team's latest effective on it, else the organisation's, else the
//! catalogue defaults).

use kpi_service::grpc::pb::{self, policy_service_client::PolicyServiceClient};
use tonic::{transport::Channel, Code};

use crate::{
    on_both_backends,
    support::{
        app::{error_reason, field_violations, spawn_app, Backend, TestApp},
        directory::add_team,
    },
};

on_both_backends!(
    a_stored_version_reads_back_as_sent,
    an_unknown_version_is_not_found,
    version_id_zero_is_invalid,
    with_nothing_stored_the_effective_policy_is_the_catalogue_defaults,
    the_effective_policy_is_the_teams_latest_in_force,
    a_team_without_a_policy_of_its_own_falls_back_to_the_organisation,
    before_any_version_the_effective_policy_is_the_defaults,
    the_organisations_effective_policy_ignores_team_versions,
    the_effective_policy_of_an_unknown_team_is_not_found,
    an_effective_policy_date_that_is_not_a_date_is_invalid,
);

/// A rule `value >= bound` with a weight, minimum sample 1, no band.
fn at_least(kpi_id: &str, bound: f64, weight: f64) -> pb::KpiRule {
    pb::KpiRule {
        kpi_id: kpi_id.into(),
        target: Some(pb::Target {
            bound: Some(pb::target::Bound::AtLeast(bound)),
        }),
        warning_band: None,
        weight,
        gate: false,
        min_sample_size: 1,
        ..Default::default()
    }
}

fn client(app: &TestApp) -> PolicyServiceClient<Channel> {
    PolicyServiceClient::new(app.channel.clone())
}

async fn create(
    client: &mut PolicyServiceClient<Channel>,
    team_id: &str,
    effective_from: &str,
    rules: Vec<pb::KpiRule>,
) -> pb::PolicyVersion {
    client
        .create_policy_version(pb::CreatePolicyVersionRequest {
            request_id: String::new(),
            policy: Some(pb::PolicyVersion {
                team_id: team_id.into(),
                effective_from: effective_from.into(),
                rules,
                bonus_threshold: 70.0,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap()
}

async fn get_version(
    app: &TestApp,
    policy_version_id: i64,
) -> Result<pb::PolicyVersion, tonic::Status> {
    client(app)
        .get_policy_version(pb::GetPolicyVersionRequest { policy_version_id })
        .await
        .map(|response| response.into_inner().policy.unwrap())
}

/// A range rule with every field set.
fn occupancy_range() -> pb::KpiRule {
    pb::KpiRule {
        kpi_id: "occupancy".into(),
        target: Some(pb::Target {
            bound: Some(pb::target::Bound::Between(pb::ValueRange {
                low: 75.0,
                high: 90.0,
            })),
        }),
        warning_band: Some(2.5),
        weight: 0.5,
        gate: true,
        min_sample_size: 3600,
        ..Default::default()
    }
}

async fn a_stored_version_reads_back_as_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = create(
        &mut client(&app),
        "",
        "2026-11-01",
        vec![at_least("csat", 85.0, 2.0), occupancy_range()],
    )
    .await;
    assert!(created.policy_version_id > 0);
    assert!(created.create_time.is_some());

    let read = get_version(&app, created.policy_version_id).await.unwrap();

    assert_eq!(read, created);
    assert_eq!(read.effective_from, "2026-11-01");
    assert_eq!(read.bonus_threshold, 70.0);
    // Rules come back in catalogue order: csat before occupancy.
    assert_eq!(
        read.rules,
        vec![at_least("csat", 85.0, 2.0), occupancy_range()]
    );
}

async fn an_unknown_version_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = create(&mut client(&app), "", "2026-11-01", vec![]).await;

    let status = get_version(&app, created.policy_version_id + 100)
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(
        error_reason(&status).as_deref(),
        Some("POLICY_VERSION_NOT_FOUND")
    );
}

async fn version_id_zero_is_invalid(backend: Backend) {
    let app = spawn_app(backend).await;

    let status = get_version(&app, 0).await.unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "policy_version_id");
}

async fn effective(
    app: &TestApp,
    team_id: &str,
    date: &str,
) -> Result<pb::PolicyVersion, tonic::Status> {
    client(app)
        .get_effective_policy(pb::GetEffectivePolicyRequest {
            team_id: team_id.into(),
            date: date.into(),
        })
        .await
        .map(|response| response.into_inner().policy.unwrap())
}

async fn effective_id(app: &TestApp, team_id: &str, date: &str) -> i64 {
    effective(app, team_id, date)
        .await
        .unwrap_or_else(|status| panic!("GetEffectivePolicy({team_id}, {date}): {status:?}"))
        .policy_version_id
}

/// The versions of [`three_versions`].
struct Versions {
    organisation: i64,
    red_october: i64,
    red_december: i64,
}

/// Teams red and blue; the organisation's version from Oct 1, red's from
/// Oct 1 and from Dec 1; none of blue's own.
async fn three_versions(backend: Backend) -> (TestApp, Versions) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    let mut client = client(&app);
    let organisation = create(
        &mut client,
        "",
        "2026-10-01",
        vec![at_least("csat", 80.0, 1.0)],
    )
    .await;
    let red_october = create(
        &mut client,
        "red",
        "2026-10-01",
        vec![at_least("csat", 85.0, 1.0)],
    )
    .await;
    let red_december = create(
        &mut client,
        "red",
        "2026-12-01",
        vec![at_least("csat", 90.0, 1.0)],
    )
    .await;
    let versions = Versions {
        organisation: organisation.policy_version_id,
        red_october: red_october.policy_version_id,
        red_december: red_december.policy_version_id,
    };
    (app, versions)
}

async fn with_nothing_stored_the_effective_policy_is_the_catalogue_defaults(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;

    let defaults = effective(&app, "red", "2026-11-15").await.unwrap();

    // The catalogue's 15 default targets, id 0, bonus threshold 80.
    assert_eq!(defaults.policy_version_id, 0);
    assert_eq!(defaults.rules.len(), 15);
    assert_eq!(defaults.bonus_threshold, 80.0);
}

async fn the_effective_policy_is_the_teams_latest_in_force(backend: Backend) {
    let (app, versions) = three_versions(backend).await;

    assert_eq!(
        effective_id(&app, "red", "2026-11-30").await,
        versions.red_october
    );
    assert_eq!(
        effective_id(&app, "red", "2026-12-01").await,
        versions.red_december
    );
}

async fn a_team_without_a_policy_of_its_own_falls_back_to_the_organisation(backend: Backend) {
    let (app, versions) = three_versions(backend).await;

    // Blue has no version of its own: the organisation's, also after red's
    // December version (another team's) took effect.
    assert_eq!(
        effective_id(&app, "blue", "2026-11-30").await,
        versions.organisation
    );
    assert_eq!(
        effective_id(&app, "blue", "2026-12-15").await,
        versions.organisation
    );
}

async fn before_any_version_the_effective_policy_is_the_defaults(backend: Backend) {
    let (app, _) = three_versions(backend).await;

    assert_eq!(
        effective_id(&app, "red", "2026-09-30").await,
        0,
        "nothing was in force yet"
    );
}

async fn the_organisations_effective_policy_ignores_team_versions(backend: Backend) {
    let (app, versions) = three_versions(backend).await;

    assert_eq!(
        effective_id(&app, "", "2026-12-15").await,
        versions.organisation
    );
}

async fn the_effective_policy_of_an_unknown_team_is_not_found(backend: Backend) {
    let (app, _) = three_versions(backend).await;

    let status = effective(&app, "ghost", "2026-11-01").await.unwrap_err();

    assert_eq!(status.code(), Code::NotFound);
}

async fn an_effective_policy_date_that_is_not_a_date_is_invalid(backend: Backend) {
    let (app, _) = three_versions(backend).await;

    let status = effective(&app, "red", "1 Nov 2026").await.unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "date");
}
