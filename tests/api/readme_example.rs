//! The README's worked example, exactly as documented: if this fails, the
//! README is no longer true.

use kpi_service::grpc::pb::{self, scorecard_service_client::ScorecardServiceClient};

use crate::{
    fixtures::{interaction, interactions},
    helpers::{at, spawn_app, Backend},
    on_both_backends,
};

on_both_backends!(the_readme_worked_example_is_what_the_service_answers);

async fn the_readme_worked_example_is_what_the_service_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    // 20 calls in November 2026, 240 s talk + 20 s hold + 40 s wrap-up each,
    // 17 resolved on first contact; 20 CSAT responses, 17 scoring 4 or 5.
    let calls: Vec<pb::Interaction> = (0..20)
        .map(|n| {
            let mut call = interaction(&format!("call-{n}"), "ana");
            call.first_contact_resolved = n < 17;
            call
        })
        .collect();
    app.ingest()
        .ingest_interactions(interactions(calls))
        .await
        .unwrap();
    let responses: Vec<pb::SurveyResponse> = (0..20)
        .map(|n| pb::SurveyResponse {
            source: "survey-tool".into(),
            external_id: format!("csat-{n}"),
            interaction: Some(crate::fixtures::key("phone-platform", &format!("call-{n}"))),
            kind: pb::SurveyKind::Csat as i32,
            score: if n < 17 { 4 + n % 2 } else { 2 },
            responded_at: Some(at("2026-11-03T10:00:00Z")),
            ..Default::default()
        })
        .collect();
    app.ingest()
        .ingest_survey_responses(pb::IngestSurveyResponsesRequest {
            survey_responses: responses,
        })
        .await
        .unwrap();

    let scorecard = ScorecardServiceClient::new(app.channel.clone())
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "ana".into(),
            period: Some(pb::PeriodSelector {
                period: Some(pb::period_selector::Period::Month("2026-11".into())),
            }),
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
