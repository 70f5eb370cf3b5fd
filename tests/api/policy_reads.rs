//! Reading policy versions back: by id, and the one in force on a date.

use kpi_service::grpc::pb::{self, policy_service_client::PolicyServiceClient};
use tonic::{transport::Channel, Code};

use crate::{
    helpers::{error_reason, field_violations, spawn_app, Backend},
    on_both_backends,
};

on_both_backends!(
    a_stored_version_reads_back_as_sent,
    the_effective_policy_is_the_teams_latest_then_the_organisations_then_the_defaults,
);

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
    }
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

async fn a_stored_version_reads_back_as_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = PolicyServiceClient::new(app.channel.clone());
    let range = pb::KpiRule {
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
    };
    let created = create(
        &mut client,
        "",
        "2026-11-01",
        vec![at_least("csat", 85.0, 2.0), range.clone()],
    )
    .await;
    assert!(created.policy_version_id > 0);
    assert!(created.create_time.is_some());

    let read = client
        .get_policy_version(pb::GetPolicyVersionRequest {
            policy_version_id: created.policy_version_id,
        })
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert_eq!(read, created);
    assert_eq!(read.effective_from, "2026-11-01");
    assert_eq!(read.bonus_threshold, 70.0);
    // Rules come back in catalogue order: csat before occupancy.
    assert_eq!(read.rules, vec![at_least("csat", 85.0, 2.0), range]);

    let status = client
        .get_policy_version(pb::GetPolicyVersionRequest {
            policy_version_id: created.policy_version_id + 100,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(
        error_reason(&status).as_deref(),
        Some("POLICY_VERSION_NOT_FOUND")
    );
    let status = client
        .get_policy_version(pb::GetPolicyVersionRequest {
            policy_version_id: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "policy_version_id");
}

async fn the_effective_policy_is_the_teams_latest_then_the_organisations_then_the_defaults(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.directory()
        .upsert_team(pb::UpsertTeamRequest {
            team: Some(pb::Team {
                team_id: "red".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let mut client = PolicyServiceClient::new(app.channel.clone());
    let effective = |team: &str, date: &str| pb::GetEffectivePolicyRequest {
        team_id: team.into(),
        date: date.into(),
    };

    // Nothing stored: the catalogue defaults, id 0, 15 rules, threshold 80.
    let defaults = client
        .get_effective_policy(effective("red", "2026-11-15"))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert_eq!(defaults.policy_version_id, 0);
    assert_eq!(defaults.rules.len(), 15);
    assert_eq!(defaults.bonus_threshold, 80.0);

    let organisation = create(
        &mut client,
        "",
        "2026-10-01",
        vec![at_least("csat", 80.0, 1.0)],
    )
    .await;
    let team_october = create(
        &mut client,
        "red",
        "2026-10-01",
        vec![at_least("csat", 85.0, 1.0)],
    )
    .await;
    let team_december = create(
        &mut client,
        "red",
        "2026-12-01",
        vec![at_least("csat", 90.0, 1.0)],
    )
    .await;

    let id_on =
        |response: pb::GetEffectivePolicyResponse| response.policy.unwrap().policy_version_id;
    let red_november = client
        .get_effective_policy(effective("red", "2026-11-30"))
        .await
        .unwrap();
    assert_eq!(
        id_on(red_november.into_inner()),
        team_october.policy_version_id
    );
    let red_december = client
        .get_effective_policy(effective("red", "2026-12-01"))
        .await
        .unwrap();
    assert_eq!(
        id_on(red_december.into_inner()),
        team_december.policy_version_id
    );
    let red_september = client
        .get_effective_policy(effective("red", "2026-09-30"))
        .await
        .unwrap();
    assert_eq!(
        id_on(red_september.into_inner()),
        0,
        "nothing was in force yet"
    );
    let organisation_now = client
        .get_effective_policy(effective("", "2026-12-15"))
        .await
        .unwrap();
    assert_eq!(
        id_on(organisation_now.into_inner()),
        organisation.policy_version_id
    );

    let status = client
        .get_effective_policy(effective("ghost", "2026-11-01"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .get_effective_policy(effective("red", "1 Nov 2026"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "date");
}
