//! Every record kind is stored as sent: each field in its column, times in
//! microseconds since the epoch.

use kpi_service::{grpc::pb, storage::entities};
use pb::IngestOutcome::Created;
use sea_orm::EntityTrait;

use crate::{
    on_both_backends,
    support::{
        app::{micros, spawn_app, Backend},
        ingest::{
            ingest_agent_time, ingest_checks, ingest_qa, ingest_training, ingest_violations,
            interactions, outcomes,
        },
        records::{
            agent_day, compliance_check, csat_for_interaction, interaction, qa_evaluation,
            training_assignment, violation,
        },
    },
};

on_both_backends!(
    an_interaction_is_stored_as_sent,
    a_survey_response_is_stored_with_the_key_of_its_interaction,
    a_qa_evaluation_is_stored_with_its_ratings_and_their_totals,
    a_compliance_check_is_stored_as_sent,
    a_violation_is_stored_as_sent,
    a_training_assignment_is_stored_as_sent,
    agent_time_for_a_day_covers_that_day_of_the_reporting_zone,
);

async fn an_interaction_is_stored_as_sent(backend: Backend) {
    let app = spawn_app(backend).await;

    let reply = app
        .ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .expect("ingest failed")
        .into_inner();

    assert_eq!(outcomes(&reply.results), vec![Created]);
    let stored = entities::interaction::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let row = &stored[0];
    assert_eq!(
        (row.source.as_str(), row.external_id.as_str()),
        ("phone-platform", "call-1")
    );
    assert_eq!(row.agent_id, "ana");
    assert_eq!(row.team_id, None);
    assert_eq!(row.channel, "phone");
    assert_eq!(row.queued_at_us, micros("2026-11-02T09:00:00Z"));
    assert_eq!(
        row.first_response_at_us,
        Some(micros("2026-11-02T09:00:30Z"))
    );
    assert_eq!(row.ended_at_us, micros("2026-11-02T09:05:00Z"));
    assert_eq!(row.resolved_at_us, Some(micros("2026-11-02T09:05:00Z")));
    assert_eq!(row.sla_due_at_us, Some(micros("2026-11-02T09:01:00Z")));
    assert_eq!(
        (
            row.talk_seconds,
            row.hold_seconds,
            row.after_contact_work_seconds
        ),
        (240, 20, 40)
    );
    assert!(row.resolved && row.first_contact_resolved);
    assert!(
        !row.escalated && !row.transferred && !row.agent_error && !row.complaint && !row.voided
    );
}

async fn a_survey_response_is_stored_with_the_key_of_its_interaction(backend: Backend) {
    let app = spawn_app(backend).await;

    let reply = app
        .ingest()
        .ingest_survey_responses(pb::IngestSurveyResponsesRequest {
            survey_responses: vec![csat_for_interaction("s-1", "call-1", 4)],
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(outcomes(&reply.results), vec![Created]);
    let survey = &entities::survey_response::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap()[0];
    assert_eq!(survey.interaction_source.as_deref(), Some("phone-platform"));
    assert_eq!(survey.interaction_external_id.as_deref(), Some("call-1"));
    assert_eq!((survey.kind.as_str(), survey.score), ("csat", 4));
    assert_eq!(survey.responded_at_us, micros("2026-11-03T10:00:00Z"));
}

async fn a_qa_evaluation_is_stored_with_its_ratings_and_their_totals(backend: Backend) {
    let app = spawn_app(backend).await;

    ingest_qa(&app, vec![qa_evaluation("qa-1", "ana")]).await;

    let qa = &entities::qa_evaluation::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap()[0];
    assert_eq!((qa.score, qa.max_score), (45.5, 50.0));
    // Ratings 5 + 4 + 3.
    assert_eq!((qa.rating_total, qa.rating_count), (12, 3));
    assert_eq!(qa.interaction_external_id.as_deref(), Some("call-1"));
    let ratings: serde_json::Value = serde_json::from_str(&qa.criterion_ratings).unwrap();
    assert_eq!(ratings[1]["criterion"], "process");
    assert_eq!(ratings[1]["rating"], 4);
}

async fn a_compliance_check_is_stored_as_sent(backend: Backend) {
    let app = spawn_app(backend).await;

    ingest_checks(&app, vec![compliance_check("cc-1", "ana")]).await;

    let check = &entities::compliance_check::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap()[0];
    assert_eq!((check.kind.as_str(), check.passed), ("privacy", true));
    assert_eq!(check.checked_at_us, micros("2026-11-05T08:30:00Z"));
}

async fn a_violation_is_stored_as_sent(backend: Backend) {
    let app = spawn_app(backend).await;

    ingest_violations(&app, vec![violation("v-1", "ana")]).await;

    let stored = &entities::violation::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap()[0];
    assert_eq!(stored.kind, "late_arrival");
    assert_eq!(stored.occurred_at_us, micros("2026-11-06T08:10:00Z"));
}

async fn a_training_assignment_is_stored_as_sent(backend: Backend) {
    let app = spawn_app(backend).await;

    ingest_training(&app, vec![training_assignment("t-1", "ana")]).await;

    let training = &entities::training_assignment::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap()[0];
    assert_eq!(training.course_id, "gdpr-basics");
    assert_eq!(training.due_at_us, micros("2026-11-20T00:00:00Z"));
    assert_eq!(
        training.completed_at_us,
        Some(micros("2026-11-18T15:00:00Z"))
    );
}

async fn agent_time_for_a_day_covers_that_day_of_the_reporting_zone(backend: Backend) {
    let app = spawn_app(backend).await;

    ingest_agent_time(&app, vec![agent_day("wfm-1", "ana", "2026-11-02")]).await;

    let time = &entities::agent_time::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap()[0];
    // The reporting zone defaults to UTC: the day is [00:00, 24:00) UTC.
    assert_eq!(time.starts_at_us, micros("2026-11-02T00:00:00Z"));
    assert_eq!(time.ends_at_us, micros("2026-11-03T00:00:00Z"));
    assert_eq!(
        (
            time.scheduled_seconds,
            time.logged_in_seconds,
            time.handling_seconds
        ),
        (28_800, 27_000, 21_600)
    );
}
