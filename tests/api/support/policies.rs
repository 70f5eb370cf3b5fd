//! Policy rules and policy versions.

use kpi_service::grpc::pb;

use super::app::TestApp;

fn rule(kpi_id: &str, bound: pb::target::Bound) -> pb::KpiRule {
    pb::KpiRule {
        kpi_id: kpi_id.into(),
        target: Some(pb::Target { bound: Some(bound) }),
        warning_band: None,
        weight: 1.0,
        gate: false,
        min_sample_size: 1,
        ..Default::default()
    }
}

/// A rule `value >= bound`, weight 1, minimum sample 1, no band, no gate.
pub fn at_least(kpi_id: &str, bound: f64) -> pb::KpiRule {
    rule(kpi_id, pb::target::Bound::AtLeast(bound))
}

/// A rule `value <= bound`, weight 1, minimum sample 1, no band, no gate.
pub fn at_most(kpi_id: &str, bound: f64) -> pb::KpiRule {
    rule(kpi_id, pb::target::Bound::AtMost(bound))
}

/// A rule `low <= value <= high`, weight 1, minimum sample 1.
pub fn between(kpi_id: &str, low: f64, high: f64) -> pb::KpiRule {
    rule(
        kpi_id,
        pb::target::Bound::Between(pb::ValueRange { low, high }),
    )
}

/// Stores a policy version (team empty = the organisation's).
pub async fn create_policy(
    app: &TestApp,
    team_id: &str,
    effective_from: &str,
    bonus_threshold: f64,
    rules: Vec<pb::KpiRule>,
) -> pb::PolicyVersion {
    app.policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            request_id: String::new(),
            policy: Some(pb::PolicyVersion {
                team_id: team_id.into(),
                effective_from: effective_from.into(),
                rules,
                bonus_threshold,
                ..Default::default()
            }),
        })
        .await
        .expect("creating a policy version failed")
        .into_inner()
        .policy
        .expect("no policy in the response")
}
