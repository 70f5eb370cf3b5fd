//! An agent among peers: pooled team and organisation values equal to the
//! team's and the organisation's numbers, competition ranks in the KPI's
//! direction among agents with enough sample, and only what the caller
//! may read.

use kpi_service::grpc::pb;
use pb::SurveyKind::Csat;

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, spawn_app_with, Backend, TestApp},
        directory::{add_team, put_agent},
        ingest::{ingest_interactions, ingest_surveys},
        periods::month,
        policies::{at_least, at_most, create_policy},
        records::{call, csat_scores},
        scorecards::{assert_close_option, kpi, team_scorecard},
    },
    trust::support::{request, use_jwt, ScratchDir, TokenIssuer, ALL_SCOPES},
};

on_both_backends!(
    peers_pool_like_the_team_scorecard_and_rank_with_ties_and_direction,
    an_agent_without_a_team_has_organisation_peers_only,
    a_team_scoped_caller_sees_its_team_and_no_organisation_figures,
);

/// November: north holds ana, bea, cai and eve, south dan; fay has no
/// team. CSAT >= 85 with a minimum sample of 5, AHT <= 300.
///
/// | agent | CSAT (satisfied / responses) | AHT (calls x seconds) |
/// |---|---|---|
/// | ana | 8 / 10 = 80 % | 3 x 200 = 200 |
/// | bea | 9 / 10 = 90 % | 2 x 300 = 300 |
/// | cai | 4 / 5 = 80 % | 1 x 100 = 100 |
/// | eve | 2 / 2 = 100 % (sample < 5) | 1 x 200 = 200 |
/// | dan | 10 / 10 = 100 % | 1 x 200 = 200 |
/// | fay | 3 / 4 = 75 % (sample < 5) | 1 x 400 = 400 |
async fn seed(app: &TestApp) {
    let mut csat = at_least("csat", 85.0);
    csat.min_sample_size = 5;
    create_policy(
        app,
        "",
        "2026-01-01",
        0.0,
        vec![csat, at_most("aht", 300.0)],
    )
    .await;
    add_team(app, "north").await;
    add_team(app, "south").await;
    for agent in ["ana", "bea", "cai", "eve"] {
        put_agent(app, agent, "north").await;
    }
    put_agent(app, "dan", "south").await;
    put_agent(app, "fay", "").await;
    let responded = "2026-11-10T12:00:00Z";
    let mut surveys = Vec::new();
    for (agent, satisfied, unsatisfied) in [
        ("ana", 8, 2),
        ("bea", 9, 1),
        ("cai", 4, 1),
        ("eve", 2, 0),
        ("dan", 10, 0),
        ("fay", 3, 1),
    ] {
        let mut scores = vec![5; satisfied];
        scores.extend(vec![1; unsatisfied]);
        surveys.extend(csat_scores(agent, agent, &scores, responded));
    }
    ingest_surveys(app, surveys).await;
    let mut calls = Vec::new();
    for (agent, count, handle_seconds) in [
        ("ana", 3, 200),
        ("bea", 2, 300),
        ("cai", 1, 100),
        ("eve", 1, 200),
        ("dan", 1, 200),
        ("fay", 1, 400),
    ] {
        for n in 0..count {
            let mut interaction = call(
                &format!("{agent}-{n}"),
                agent,
                &format!("2026-11-12T09:0{n}:00Z"),
            );
            // 20 s hold and 40 s wrap-up, as `call` builds it.
            interaction.talk_seconds = handle_seconds - 60;
            calls.push(interaction);
        }
    }
    ingest_interactions(app, calls).await;
}

fn with_peers(agent_id: &str) -> pb::GetAgentScorecardRequest {
    pb::GetAgentScorecardRequest {
        agent_id: agent_id.into(),
        period: Some(month("2026-11")),
        include_peers: true,
        ..Default::default()
    }
}

async fn peers_card(app: &TestApp, agent_id: &str) -> pb::Scorecard {
    app.scorecards()
        .get_agent_scorecard(with_peers(agent_id))
        .await
        .expect("GetAgentScorecard failed")
        .into_inner()
        .scorecard
        .unwrap()
}

fn peers<'a>(card: &'a pb::Scorecard, kpi_id: &str) -> &'a pb::KpiPeers {
    kpi(card, kpi_id)
        .peers
        .as_ref()
        .unwrap_or_else(|| panic!("{kpi_id} has no peers"))
}

/// (team rank, team ranked agents, organisation rank, organisation ranked).
fn ranks(peers: &pb::KpiPeers) -> (Option<i32>, Option<i32>, Option<i32>, Option<i32>) {
    (
        peers.team_rank,
        peers.team_ranked_agents,
        peers.organisation_rank,
        peers.organisation_ranked_agents,
    )
}

async fn peers_pool_like_the_team_scorecard_and_rank_with_ties_and_direction(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let ana = peers_card(&app, "ana").await;
    let north = team_scorecard(&app, "north", month("2026-11"))
        .await
        .scorecard
        .unwrap();
    for team_result in &north.kpis {
        let pooled = peers(&ana, &team_result.kpi_id)
            .team
            .as_ref()
            .expect("ana's team is north");
        let what = format!("{} pooled", team_result.kpi_id);
        assert_close_option(pooled.value, team_result.value, &what);
        assert_eq!(
            (pooled.numerator, pooled.denominator, pooled.sample_size),
            (
                team_result.numerator,
                team_result.denominator,
                team_result.sample_size
            ),
            "{what}"
        );
    }
    // north's CSAT: (8 + 9 + 4 + 2) / (10 + 10 + 5 + 2) = 23 / 27; the
    // organisation's adds dan's 10 / 10 and fay's 3 / 4: 36 / 41.
    let csat = peers(&ana, "csat");
    let team = csat.team.as_ref().unwrap();
    assert_eq!((team.numerator, team.denominator), (23.0, 27.0));
    let organisation = csat.organisation.as_ref().unwrap();
    assert_eq!(
        (organisation.numerator, organisation.denominator),
        (36.0, 41.0)
    );
    // CSAT, higher first, eve and fay below the minimum sample of 5:
    // north bea 90 (1), ana 80 and cai 80 (2, 2); everyone dan 100 (1),
    // bea (2), ana and cai (3, 3).
    assert_eq!(ranks(csat), (Some(2), Some(3), Some(3), Some(4)));
    let cai = peers_card(&app, "cai").await;
    assert_eq!(
        ranks(peers(&cai, "csat")),
        (Some(2), Some(3), Some(3), Some(4))
    );
    // AHT, lower first: north cai 100 (1), ana and eve 200 (2, 2), bea 300
    // (4); everyone cai (1), ana, eve and dan (2, 2, 2), bea (5), fay (6).
    assert_eq!(
        ranks(peers(&ana, "aht")),
        (Some(2), Some(4), Some(2), Some(6))
    );
    let bea = peers_card(&app, "bea").await;
    assert_eq!(
        ranks(peers(&bea, "aht")),
        (Some(4), Some(4), Some(5), Some(6))
    );
    assert_eq!(
        ranks(peers(&bea, "csat")),
        (Some(1), Some(3), Some(2), Some(4))
    );
    // Eve's 2 responses are too few to rank her (the others still count 3
    // and 4 ranked agents); her responses are pooled all the same.
    let eve = peers_card(&app, "eve").await;
    assert_eq!(ranks(peers(&eve, "csat")), (None, Some(3), None, Some(4)));
    // north's AHT: (600 + 600 + 100 + 200) / 7 calls.
    let aht = peers(&ana, "aht").team.as_ref().unwrap();
    assert_eq!((aht.numerator, aht.denominator), (1500.0, 7.0));
}

async fn an_agent_without_a_team_has_organisation_peers_only(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let fay = peers_card(&app, "fay").await;
    let aht = peers(&fay, "aht");
    assert_eq!(aht.team, None);
    // Everyone's AHT: 2,100 s over 9 calls; fay's 400 is the longest.
    let organisation = aht.organisation.as_ref().unwrap();
    assert_eq!(
        (organisation.numerator, organisation.denominator),
        (2100.0, 9.0)
    );
    assert_eq!(ranks(aht), (None, None, Some(6), Some(6)));
    // Her 4 CSAT responses are below the minimum of 5: not ranked.
    assert_eq!(ranks(peers(&fay, "csat")), (None, None, None, Some(4)));
    // Without include_peers there are none.
    let plain = crate::support::scorecards::agent_scorecard(&app, "fay", month("2026-11")).await;
    assert!(plain.kpis.iter().all(|result| result.peers.is_none()));
}

async fn a_team_scoped_caller_sees_its_team_and_no_organisation_figures(backend: Backend) {
    let scratch = ScratchDir::new("peers");
    let issuer = TokenIssuer::new(&scratch);
    let app = spawn_app_with(backend, |settings| use_jwt(settings, &issuer)).await;
    let admin = issuer.token("admin", ALL_SCOPES);
    let mut directory = app.directory();
    for team_id in ["north", "south"] {
        directory
            .upsert_team(request(
                pb::UpsertTeamRequest {
                    team: Some(pb::Team {
                        team_id: team_id.into(),
                        ..Default::default()
                    }),
                },
                Some(&admin),
                None,
            ))
            .await
            .unwrap();
    }
    for (agent_id, team_id) in [("ana", "north"), ("bea", "north"), ("dan", "south")] {
        directory
            .upsert_agent(request(
                pb::UpsertAgentRequest {
                    agent: Some(pb::Agent {
                        agent_id: agent_id.into(),
                        team_id: team_id.into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Some(&admin),
                None,
            ))
            .await
            .unwrap();
    }
    // CSAT ana 1 of 2, bea 2 of 2, dan 1 of 1 (catalogue defaults: no
    // minimum sample).
    let mut surveys = csat_scores("ana", "ana", &[5, 1], "2026-11-10T12:00:00Z");
    surveys.extend(csat_scores("bea", "bea", &[5, 5], "2026-11-10T12:00:00Z"));
    surveys.push(crate::support::records::survey_for_agent(
        "dan-0",
        "dan",
        Csat,
        5,
        "2026-11-10T12:00:00Z",
    ));
    app.ingest()
        .ingest_survey_responses(request(
            pb::IngestSurveyResponsesRequest {
                survey_responses: surveys,
            },
            Some(&admin),
            None,
        ))
        .await
        .unwrap();

    let lead = issuer.token("north-lead", &["kpi.read:team:north"]);
    let card = app
        .scorecards()
        .get_agent_scorecard(request(with_peers("ana"), Some(&lead), None))
        .await
        .expect("a team lead reads a member's scorecard")
        .into_inner()
        .scorecard
        .unwrap();
    let csat = peers(&card, "csat");
    let team = csat.team.as_ref().expect("the lead sees north");
    assert_eq!((team.numerator, team.denominator), (3.0, 4.0));
    assert_eq!(csat.organisation, None, "no organisation figures");
    // North: bea 100 (1), ana 50 (2); no organisation rank.
    assert_eq!(ranks(csat), (Some(2), Some(2), None, None));

    // kpi.read sees the organisation too: 4 of 5, ana third of three.
    let payroll = issuer.token("payroll", &["kpi.read"]);
    let card = app
        .scorecards()
        .get_agent_scorecard(request(with_peers("ana"), Some(&payroll), None))
        .await
        .unwrap()
        .into_inner()
        .scorecard
        .unwrap();
    let csat = peers(&card, "csat");
    let organisation = csat.organisation.as_ref().unwrap();
    assert_eq!(
        (organisation.numerator, organisation.denominator),
        (4.0, 5.0)
    );
    assert_eq!(ranks(csat), (Some(2), Some(2), Some(3), Some(3)));
}
