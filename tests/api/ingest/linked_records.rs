//! A survey response may arrive before the interaction it is about: it is
//! kept, linked by the interaction's key, and counts (for that
//! interaction's agent and period, catalogue "Attribution") once the
//! interaction arrives, not before.

use kpi_service::{grpc::pb, storage::entities};
use pb::IngestOutcome::Created;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend},
        directory::put_agent,
        ingest::{ingest_interactions, ingest_surveys, outcomes},
        periods::month,
        records::{csat_for_interaction, interaction},
        scorecards::{agent_scorecard, kpi},
    },
};

on_both_backends!(
    a_survey_for_an_interaction_not_yet_received_is_accepted,
    an_early_survey_stays_linked_by_key_once_its_interaction_arrives,
    an_early_survey_counts_in_the_scorecard_once_its_interaction_arrives,
);

async fn a_survey_for_an_interaction_not_yet_received_is_accepted(backend: Backend) {
    let app = spawn_app(backend).await;

    let reply = app
        .ingest()
        .ingest_survey_responses(pb::IngestSurveyResponsesRequest {
            survey_responses: vec![csat_for_interaction("s-1", "call-later", 5)],
        })
        .await
        .expect("a response naming an unknown interaction must be accepted")
        .into_inner();

    assert_eq!(outcomes(&reply.results), vec![Created]);
    assert!(
        reply.registered_agent_ids.is_empty(),
        "a linked response names no agent"
    );
    assert_eq!(app.count_rows("interactions").await, 0);
}

async fn an_early_survey_stays_linked_by_key_once_its_interaction_arrives(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_surveys(&app, vec![csat_for_interaction("s-1", "call-later", 5)]).await;

    ingest_interactions(&app, vec![interaction("call-later", "ana")]).await;

    let linked = entities::survey_response::Entity::find()
        .filter(entities::survey_response::Column::InteractionExternalId.eq("call-later"))
        .all(app.database.connection())
        .await
        .unwrap();
    assert_eq!(
        linked.len(),
        1,
        "the response is still there, linked by key"
    );
}

async fn an_early_survey_counts_in_the_scorecard_once_its_interaction_arrives(backend: Backend) {
    let app = spawn_app(backend).await;
    put_agent(&app, "ana", "").await;
    // A CSAT of 5 about a call of 2026-11-02 that has not arrived yet.
    ingest_surveys(&app, vec![csat_for_interaction("s-1", "call-later", 5)]).await;

    let before = agent_scorecard(&app, "ana", month("2026-11")).await;
    let csat = kpi(&before, "csat");
    assert_eq!(
        (csat.value, csat.sample_size),
        (None, 0),
        "no agent is known for the response before its interaction arrives"
    );

    ingest_interactions(&app, vec![interaction("call-later", "ana")]).await;

    // One satisfied response of one: 1/1 = 100 %.
    let after = agent_scorecard(&app, "ana", month("2026-11")).await;
    let csat = kpi(&after, "csat");
    assert_eq!(
        (
            csat.value,
            csat.numerator,
            csat.denominator,
            csat.sample_size
        ),
        (Some(100.0), 1.0, 1.0, 1)
    );
}
