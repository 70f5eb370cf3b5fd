//! The README's worked example, exactly as documented and as loaded by
//! `kpi-service demo-data`: if this fails, the README is no longer true.

use kpi_service::grpc::{
    demo_data::{self, DemoDataReport},
    pb::{self, scorecard_service_client::ScorecardServiceClient},
};

use crate::{
    helpers::{spawn_app, Backend},
    on_both_backends,
};

on_both_backends!(
    the_readme_worked_example_is_what_the_service_answers,
    the_demo_set_has_an_agent_in_breach,
);

fn november() -> Option<pb::PeriodSelector> {
    Some(pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Month("2026-11".into())),
    })
}

async fn the_readme_worked_example_is_what_the_service_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    // `kpi-service demo-data` loads, among a small demo set, the README's
    // data: 20 calls in November 2026, 240 s talk + 20 s hold + 40 s
    // wrap-up each, 17 resolved on first contact; 20 CSAT responses, 17
    // scoring 4 or 5.
    let first = demo_data::load(app.channel.clone()).await.unwrap();
    assert_eq!((first.updated, first.unchanged, first.other), (0, 0, 0));
    assert!(first.created >= 40, "{first:?}");
    let again = demo_data::load(app.channel.clone()).await.unwrap();
    assert_eq!(
        again,
        DemoDataReport {
            unchanged: first.created,
            ..Default::default()
        },
        "loading twice changes nothing"
    );

    let scorecard = ScorecardServiceClient::new(app.channel.clone())
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "ana".into(),
            period: november(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .scorecard
        .unwrap();
    let kpi = |id: &str| {
        scorecard
            .kpis
            .iter()
            .find(|result| result.kpi_id == id)
            .cloned()
            .unwrap()
    };
    let row = |id: &str| {
        let result = kpi(id);
        (
            result.value,
            result.numerator,
            result.denominator,
            pb::KpiStatus::try_from(result.status).unwrap(),
            result.margin,
        )
    };
    use pb::KpiStatus::{InsufficientData, Met, NoTarget};
    assert_eq!(
        row("contacts_handled"),
        (Some(20.0), 20.0, 1.0, NoTarget, None)
    );
    assert_eq!(row("aht"), (Some(300.0), 6000.0, 20.0, Met, Some(0.0)));
    assert_eq!(row("fcr_rate"), (Some(85.0), 17.0, 20.0, Met, Some(5.0)));
    assert_eq!(row("csat"), (Some(85.0), 17.0, 20.0, Met, Some(0.0)));
    assert_eq!(row("nps"), (None, 0.0, 0.0, InsufficientData, None));
    assert_eq!(
        row("privacy_compliance"),
        (None, 0.0, 0.0, InsufficientData, None)
    );
    assert_eq!(scorecard.policy.unwrap().policy_version_id, 0);
    assert_eq!(scorecard.bonus_threshold, 80.0);
    assert!(!scorecard.bonus_eligible);
    assert!(scorecard
        .ineligibility_reasons
        .contains(&"gate kpi privacy_compliance is INSUFFICIENT_DATA".to_owned()));
    assert!(scorecard.data_updated_time.is_some());
}

/// Ben: 12 calls of 400 s talk + 60 s hold + 80 s wrap-up (AHT 540 against
/// <= 300), 6 resolved first time (FCR 50 against >= 80), 6 of 10 CSAT
/// responses satisfied (60 against >= 85).
async fn the_demo_set_has_an_agent_in_breach(backend: Backend) {
    let app = spawn_app(backend).await;
    demo_data::load(app.channel.clone()).await.unwrap();
    let breaches = ScorecardServiceClient::new(app.channel.clone())
        .list_threshold_breaches(pb::ListThresholdBreachesRequest {
            period: november(),
            team_id: "support-east".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .breaches;
    let ben = |kpi: &str| {
        breaches
            .iter()
            .find(|breach| {
                breach.agent_id == "ben" && breach.result.as_ref().unwrap().kpi_id == kpi
            })
            .map(|breach| {
                (
                    breach.team_id.clone(),
                    breach.result.as_ref().unwrap().value,
                )
            })
    };
    assert_eq!(
        ben("aht"),
        Some(("support-east".into(), Some(540.0))),
        "{breaches:?}"
    );
    assert_eq!(ben("fcr_rate"), Some(("support-east".into(), Some(50.0))));
    assert_eq!(ben("csat"), Some(("support-east".into(), Some(60.0))));
    assert!(
        breaches
            .iter()
            .all(|breach| breach.agent_id != "ana"
                || breach.result.as_ref().unwrap().kpi_id != "aht"),
        "ana meets her AHT target exactly"
    );
}
