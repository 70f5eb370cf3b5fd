//! Ingestion behaviour: storage as sent, replays, corrections, stale
//! revisions, voids, order independence, first-sight agents, teams.

use kpi_service::{grpc::pb, storage::entities};
use pb::IngestOutcome::{Created, Stale, Unchanged, Updated, Voided};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    fixtures::*,
    helpers::{at, micros, spawn_app, Backend},
    on_both_backends,
};

on_both_backends!(
    every_record_kind_is_stored_as_sent,
    a_replay_is_unchanged_and_writes_nothing,
    a_correction_replaces_the_stored_record,
    an_older_revision_arriving_late_is_stale,
    a_voided_record_is_kept_but_marked_void_and_can_be_restored,
    a_survey_for_an_interaction_not_yet_received_is_kept,
    an_unknown_agent_is_registered_on_first_sight_without_a_team,
    an_interaction_counts_for_the_team_in_force_when_it_ended,
    a_batch_of_a_thousand_commits_in_one_call,
);

async fn every_record_kind_is_stored_as_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = app.database.connection();
    let mut ingest = app.ingest();

    let reply = ingest
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .expect("ingest failed")
        .into_inner();
    assert_eq!(outcomes(&reply.results), vec![Created]);
    let stored = entities::interaction::Entity::find().all(db).await.unwrap();
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

    let reply = ingest
        .ingest_survey_responses(pb::IngestSurveyResponsesRequest {
            survey_responses: vec![csat_for_interaction("s-1", "call-1", 4)],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcomes(&reply.results), vec![Created]);
    let survey = &entities::survey_response::Entity::find()
        .all(db)
        .await
        .unwrap()[0];
    assert_eq!(survey.interaction_source.as_deref(), Some("phone-platform"));
    assert_eq!(survey.interaction_external_id.as_deref(), Some("call-1"));
    assert_eq!((survey.kind.as_str(), survey.score), ("csat", 4));
    assert_eq!(survey.responded_at_us, micros("2026-11-03T10:00:00Z"));

    ingest
        .ingest_qa_evaluations(pb::IngestQaEvaluationsRequest {
            qa_evaluations: vec![qa_evaluation("qa-1", "ana")],
        })
        .await
        .unwrap();
    let qa = &entities::qa_evaluation::Entity::find()
        .all(db)
        .await
        .unwrap()[0];
    assert_eq!((qa.score, qa.max_score), (45.5, 50.0));
    assert_eq!((qa.rating_total, qa.rating_count), (12, 3));
    assert_eq!(qa.interaction_external_id.as_deref(), Some("call-1"));
    let ratings: serde_json::Value = serde_json::from_str(&qa.criterion_ratings).unwrap();
    assert_eq!(ratings[1]["criterion"], "process");
    assert_eq!(ratings[1]["rating"], 4);

    ingest
        .ingest_compliance_checks(pb::IngestComplianceChecksRequest {
            compliance_checks: vec![compliance_check("cc-1", "ana")],
        })
        .await
        .unwrap();
    let check = &entities::compliance_check::Entity::find()
        .all(db)
        .await
        .unwrap()[0];
    assert_eq!((check.kind.as_str(), check.passed), ("privacy", true));
    assert_eq!(check.checked_at_us, micros("2026-11-05T08:30:00Z"));

    ingest
        .ingest_violations(pb::IngestViolationsRequest {
            violations: vec![violation("v-1", "ana")],
        })
        .await
        .unwrap();
    let stored_violation = &entities::violation::Entity::find().all(db).await.unwrap()[0];
    assert_eq!(stored_violation.kind, "late_arrival");
    assert_eq!(
        stored_violation.occurred_at_us,
        micros("2026-11-06T08:10:00Z")
    );

    ingest
        .ingest_training_assignments(pb::IngestTrainingAssignmentsRequest {
            training_assignments: vec![training_assignment("t-1", "ana")],
        })
        .await
        .unwrap();
    let training = &entities::training_assignment::Entity::find()
        .all(db)
        .await
        .unwrap()[0];
    assert_eq!(training.course_id, "gdpr-basics");
    assert_eq!(training.due_at_us, micros("2026-11-20T00:00:00Z"));
    assert_eq!(
        training.completed_at_us,
        Some(micros("2026-11-18T15:00:00Z"))
    );

    ingest
        .ingest_agent_time(pb::IngestAgentTimeRequest {
            agent_time: vec![agent_day("wfm-1", "ana", "2026-11-02")],
        })
        .await
        .unwrap();
    let time = &entities::agent_time::Entity::find().all(db).await.unwrap()[0];
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

async fn a_replay_is_unchanged_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ingest = app.ingest();
    let batch = vec![interaction("call-1", "ana"), interaction("call-2", "ana")];
    ingest
        .ingest_interactions(interactions(batch.clone()))
        .await
        .unwrap();
    let first = entities::interaction::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap();

    let reply = ingest
        .ingest_interactions(interactions(batch))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(outcomes(&reply.results), vec![Unchanged, Unchanged]);
    assert!(reply.registered_agent_ids.is_empty());
    let second = entities::interaction::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap();
    assert_eq!(first, second, "a replay must not touch the stored rows");
    assert_eq!(app.count_rows("interactions").await, 2);
}

async fn a_correction_replaces_the_stored_record(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ingest = app.ingest();
    ingest
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .unwrap();

    let mut corrected = interaction("call-1", "ana");
    corrected.talk_seconds = 300;
    corrected.escalated = true;
    let reply = ingest
        .ingest_interactions(interactions(vec![corrected]))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(outcomes(&reply.results), vec![Updated]);
    let rows = entities::interaction::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "a correction replaces, it does not add");
    assert_eq!(rows[0].talk_seconds, 300);
    assert!(rows[0].escalated);
}

async fn an_older_revision_arriving_late_is_stale(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ingest = app.ingest();
    let mut revision_2 = interaction("call-1", "ana");
    revision_2.revision = Some(2);
    revision_2.complaint = true;
    ingest
        .ingest_interactions(interactions(vec![revision_2]))
        .await
        .unwrap();

    let mut revision_1 = interaction("call-1", "ana");
    revision_1.revision = Some(1);
    let reply = ingest
        .ingest_interactions(interactions(vec![revision_1]))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(outcomes(&reply.results), vec![Stale]);
    let rows = entities::interaction::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap();
    assert!(rows[0].complaint, "the newer revision must survive");
    assert_eq!(rows[0].revision, Some(2));

    let mut revision_3 = interaction("call-1", "ana");
    revision_3.revision = Some(3);
    let reply = ingest
        .ingest_interactions(interactions(vec![revision_3]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcomes(&reply.results), vec![Updated]);
}

async fn a_voided_record_is_kept_but_marked_void_and_can_be_restored(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ingest = app.ingest();
    ingest
        .ingest_violations(pb::IngestViolationsRequest {
            violations: vec![violation("v-1", "ana")],
        })
        .await
        .unwrap();

    let mut voided = violation("v-1", "ana");
    voided.voided = true;
    let reply = ingest
        .ingest_violations(pb::IngestViolationsRequest {
            violations: vec![voided.clone()],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcomes(&reply.results), vec![Voided]);
    let rows = entities::violation::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].voided);

    let reply = ingest
        .ingest_violations(pb::IngestViolationsRequest {
            violations: vec![voided],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcomes(&reply.results), vec![Unchanged]);

    let reply = ingest
        .ingest_violations(pb::IngestViolationsRequest {
            violations: vec![violation("v-1", "ana")],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcomes(&reply.results), vec![Updated]);
    let rows = entities::violation::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap();
    assert!(!rows[0].voided);
}

async fn a_survey_for_an_interaction_not_yet_received_is_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ingest = app.ingest();
    let reply = ingest
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

    ingest
        .ingest_interactions(interactions(vec![interaction("call-later", "ana")]))
        .await
        .unwrap();
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

async fn an_unknown_agent_is_registered_on_first_sight_without_a_team(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app
        .ingest()
        .ingest_interactions(interactions(vec![
            interaction("call-1", "new-agent"),
            interaction("call-2", "new-agent"),
            interaction("call-3", "other-new-agent"),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        reply.registered_agent_ids,
        vec!["new-agent", "other-new-agent"]
    );

    let agent = app
        .directory()
        .get_agent(pb::GetAgentRequest {
            agent_id: "new-agent".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .agent
        .unwrap();
    assert_eq!(agent.team_id, "");

    let reply = app
        .ingest()
        .ingest_interactions(interactions(vec![interaction("call-4", "new-agent")]))
        .await
        .unwrap()
        .into_inner();
    assert!(
        reply.registered_agent_ids.is_empty(),
        "registered only once"
    );
}

async fn an_interaction_counts_for_the_team_in_force_when_it_ended(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut directory = app.directory();
    for team_id in ["red", "blue"] {
        directory
            .upsert_team(pb::UpsertTeamRequest {
                team: Some(pb::Team {
                    team_id: team_id.into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
    }
    // The catalogue (Conventions, Team): "An interaction counts for the team
    // the agent belonged to when the interaction ended" -- no longer the team
    // at ingest. Ana is red, then blue from 2026-11-03 on.
    let move_ana = |team: &str, from: &str| pb::UpsertAgentRequest {
        agent: Some(pb::Agent {
            agent_id: "ana".into(),
            team_id: team.into(),
            ..Default::default()
        }),
        team_effective_from: from.into(),
    };
    directory.upsert_agent(move_ana("red", "")).await.unwrap();
    app.ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .unwrap();

    directory
        .upsert_agent(move_ana("blue", "2026-11-03"))
        .await
        .unwrap();
    let mut corrected = interaction("call-1", "ana");
    corrected.hold_seconds = 0;
    let mut next_day = interaction("call-4", "ana");
    next_day.ended_at = Some(at("2026-11-03T09:05:00Z"));
    app.ingest()
        .ingest_interactions(interactions(vec![
            corrected,
            interaction("call-2", "ana"),
            next_day,
        ]))
        .await
        .unwrap();

    let rows = entities::interaction::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap();
    let team_of = |id: &str| {
        rows.iter()
            .find(|r| r.external_id == id)
            .unwrap()
            .team_id
            .clone()
    };
    assert_eq!(
        team_of("call-1").as_deref(),
        Some("red"),
        "a correction does not move history"
    );
    assert_eq!(
        team_of("call-2").as_deref(),
        Some("red"),
        "ingested after the move, but ended while ana was red"
    );
    assert_eq!(team_of("call-4").as_deref(), Some("blue"));

    let mut explicit = interaction("call-3", "ana");
    explicit.team_id = "red".into();
    app.ingest()
        .ingest_interactions(interactions(vec![explicit]))
        .await
        .unwrap();
    let row = entities::interaction::Entity::find()
        .filter(entities::interaction::Column::ExternalId.eq("call-3"))
        .one(app.database.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.team_id.as_deref(),
        Some("red"),
        "a team named in the record wins"
    );
}

async fn a_batch_of_a_thousand_commits_in_one_call(backend: Backend) {
    let app = spawn_app(backend).await;
    let batch: Vec<pb::Interaction> = (0..1000)
        .map(|n| interaction(&format!("call-{n}"), &format!("agent-{}", n % 50)))
        .collect();
    let reply = app
        .ingest()
        .ingest_interactions(interactions(batch.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.results.len(), 1000);
    assert!(outcomes(&reply.results)
        .iter()
        .all(|outcome| *outcome == Created));
    assert_eq!(reply.registered_agent_ids.len(), 50);
    assert_eq!(app.count_rows("interactions").await, 1000);

    let replay = app
        .ingest()
        .ingest_interactions(interactions(batch))
        .await
        .unwrap()
        .into_inner();
    assert!(outcomes(&replay.results)
        .iter()
        .all(|outcome| *outcome == Unchanged));
    assert_eq!(app.count_rows("interactions").await, 1000);
}
