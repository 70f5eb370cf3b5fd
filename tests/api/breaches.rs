//! Targets judged: range targets breached on either side, warning bands,
//! and the breach list paged through, filtered by team and KPI.

use kpi_service::grpc::pb;
use pb::KpiStatus::{AtRisk, Breached, Met};

use crate::{
    helpers::{spawn_app, Backend, TestApp},
    kpi_fixtures::*,
    on_both_backends,
};

on_both_backends!(
    a_range_target_is_breached_on_either_side,
    the_warning_band_marks_at_risk,
    breach_pagination_returns_every_breach_exactly_once,
    a_live_breach_list_keeps_its_place_while_numbers_move,
);

fn breaches_in_november() -> pb::ListThresholdBreachesRequest {
    pb::ListThresholdBreachesRequest {
        period: Some(month("2026-11")),
        ..Default::default()
    }
}

/// Pages through ListThresholdBreaches; returns every breach and the size
/// of each page. A page token must be empty on the last page only.
async fn every_breach(
    app: &TestApp,
    request: pb::ListThresholdBreachesRequest,
) -> (Vec<pb::ThresholdBreach>, Vec<usize>) {
    let mut client = app.scorecards();
    let mut breaches = Vec::new();
    let mut page_sizes = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_threshold_breaches(pb::ListThresholdBreachesRequest {
                page_token: page_token.clone(),
                ..request.clone()
            })
            .await
            .unwrap_or_else(|status| panic!("ListThresholdBreaches failed: {status:?}"))
            .into_inner();
        page_sizes.push(page.breaches.len());
        breaches.extend(page.breaches);
        if page.next_page_token.is_empty() {
            return (breaches, page_sizes);
        }
        assert_ne!(
            page_sizes.last(),
            Some(&0),
            "an empty page must be the last one"
        );
        assert!(page_sizes.len() < 50, "the pages never end");
        page_token = page.next_page_token;
    }
}

fn agent_and_kpi(breaches: &[pb::ThresholdBreach]) -> Vec<(String, String)> {
    breaches
        .iter()
        .map(|breach| {
            let result = breach.result.as_ref().expect("a breach has a result");
            (breach.agent_id.clone(), result.kpi_id.clone())
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(agent, kpi_id)| (agent.to_string(), kpi_id.to_string()))
        .collect()
}

async fn a_range_target_is_breached_on_either_side(backend: Backend) {
    let app = spawn_app(backend).await;
    let policy = create_policy(
        &app,
        "",
        "2026-11-01",
        80.0,
        vec![between("occupancy", 75.0, 90.0)],
    )
    .await;
    // Handling / logged-in on one day: 19000/20000 = 95 %, 14000/20000 =
    // 70 %, 16000/20000 = 80 %.
    ingest_agent_time(
        &app,
        vec![
            work_day("w-busy", "busy", "2026-11-02", (28_800, 20_000, 19_000)),
            work_day("w-idle", "idle", "2026-11-02", (28_800, 20_000, 14_000)),
            work_day("w-steady", "steady", "2026-11-02", (28_800, 20_000, 16_000)),
        ],
    )
    .await;

    // margin = min(value - 75, 90 - value).
    let busy = agent_scorecard(&app, "busy", month("2026-11")).await;
    // min(95 - 75, 90 - 95) = min(20, -5) = -5: too high is breached.
    assert_judged(&busy, "occupancy", Some(95.0), Breached, Some(-5.0));
    let idle = agent_scorecard(&app, "idle", month("2026-11")).await;
    // min(70 - 75, 90 - 70) = min(-5, 20) = -5.
    assert_judged(&idle, "occupancy", Some(70.0), Breached, Some(-5.0));
    let steady = agent_scorecard(&app, "steady", month("2026-11")).await;
    // min(80 - 75, 90 - 80) = min(5, 10) = 5.
    assert_judged(&steady, "occupancy", Some(80.0), Met, Some(5.0));
    assert_eq!(policy_id(&steady), policy.policy_version_id);
    let occupancy = kpi(&steady, "occupancy");
    assert_eq!(
        (occupancy.numerator, occupancy.denominator),
        (16_000.0, 20_000.0)
    );

    let (breaches, _) = every_breach(&app, breaches_in_november()).await;
    assert_eq!(
        agent_and_kpi(&breaches),
        pairs(&[("busy", "occupancy"), ("idle", "occupancy")])
    );
    for breach in &breaches {
        assert_close(breach.shortfall, 5.0, "shortfall = -margin");
        assert_eq!(
            breach.policy.as_ref().unwrap().policy_version_id,
            policy.policy_version_id
        );
        let result = breach.result.as_ref().unwrap();
        assert_eq!(status_of(result), Breached);
        assert!(result.rule.as_ref().unwrap().target.is_some());
    }
}

async fn the_warning_band_marks_at_risk(backend: Backend) {
    let app = spawn_app(backend).await;
    create_policy(
        &app,
        "",
        "2026-11-01",
        80.0,
        vec![pb::KpiRule {
            warning_band: Some(5.0),
            ..at_least("csat", 85.0)
        }],
    )
    .await;
    let mut nineteen_of_twenty = vec![5; 19];
    nineteen_of_twenty.push(1);
    let mut surveys = csat_scores(
        "a",
        "agent-a",
        &[5, 5, 5, 5, 4, 4, 4, 1],
        "2026-11-05T10:00:00Z",
    );
    surveys.extend(csat_scores(
        "b",
        "agent-b",
        &nineteen_of_twenty,
        "2026-11-05T10:00:00Z",
    ));
    surveys.extend(csat_scores(
        "c",
        "agent-c",
        &[4, 4, 5, 5, 3],
        "2026-11-05T10:00:00Z",
    ));
    ingest_surveys(&app, surveys).await;

    // 7/8 = 87.5: meets 85 but within 5 of it -> AT_RISK, margin 2.5.
    let a = agent_scorecard(&app, "agent-a", month("2026-11")).await;
    assert_judged(&a, "csat", Some(87.5), AtRisk, Some(2.5));
    // AT_RISK still counts as met in the composite: 1/1.
    assert_close_option(a.composite_score, Some(100.0), "agent-a composite");
    // 19/20 = 95: beyond the band -> MET, margin 10.
    let b = agent_scorecard(&app, "agent-b", month("2026-11")).await;
    assert_judged(&b, "csat", Some(95.0), Met, Some(10.0));
    // 4/5 = 80 -> BREACHED, margin -5.
    let c = agent_scorecard(&app, "agent-c", month("2026-11")).await;
    assert_judged(&c, "csat", Some(80.0), Breached, Some(-5.0));
    assert_close_option(c.composite_score, Some(0.0), "agent-c composite");

    let (breached_only, _) = every_breach(&app, breaches_in_november()).await;
    assert_eq!(agent_and_kpi(&breached_only), pairs(&[("agent-c", "csat")]));
    assert_close(breached_only[0].shortfall, 5.0, "agent-c shortfall");

    let (with_at_risk, _) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            include_at_risk: true,
            ..breaches_in_november()
        },
    )
    .await;
    assert_eq!(
        agent_and_kpi(&with_at_risk),
        pairs(&[("agent-a", "csat"), ("agent-c", "csat")])
    );
    let at_risk = &with_at_risk[0];
    assert_eq!(status_of(at_risk.result.as_ref().unwrap()), AtRisk);
    assert_eq!(at_risk.shortfall, 0.0, "an AT_RISK result misses nothing");
}

async fn breach_pagination_returns_every_breach_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "blue").await;
    put_agent(&app, "a0", "").await;
    put_agent(&app, "a2", "blue").await;
    put_agent(&app, "a3", "blue").await;
    // Six agents with one 10-minute call each (600 s talk), resolved on
    // first contact; a2 and a5 escalated theirs; a3 has two violations.
    // a0 is in the directory with no records at all.
    let calls = (1..=6)
        .map(|n| pb::Interaction {
            talk_seconds: 600,
            hold_seconds: 0,
            after_contact_work_seconds: 0,
            escalated: n == 2 || n == 5,
            ..call(&format!("c-{n}"), &format!("a{n}"), "2026-11-02T09:10:00Z")
        })
        .collect();
    ingest_interactions(&app, calls).await;
    ingest_violations(
        &app,
        vec![
            violation_at("v-1", "a3", "2026-11-03T08:00:00Z"),
            violation_at("v-2", "a3", "2026-11-04T08:00:00Z"),
        ],
    )
    .await;

    // Under the defaults each of a1..a6 breaches contacts_per_day
    // (1 contact / 1 day = 1 < 50) and aht (600 > 300); a2 and a5 also
    // escalation_rate (1/1 = 100 % > 10 %), a3 violations (2 > 1).
    // fcr_rate is 100 %, error and complaint rates 0: met. a0 has no data:
    // INSUFFICIENT_DATA everywhere, and 0 violations meet <= 1.
    let expected = pairs(&[
        ("a1", "contacts_per_day"),
        ("a1", "aht"),
        ("a2", "contacts_per_day"),
        ("a2", "aht"),
        ("a2", "escalation_rate"),
        ("a3", "contacts_per_day"),
        ("a3", "aht"),
        ("a3", "violations"),
        ("a4", "contacts_per_day"),
        ("a4", "aht"),
        ("a5", "contacts_per_day"),
        ("a5", "aht"),
        ("a5", "escalation_rate"),
        ("a6", "contacts_per_day"),
        ("a6", "aht"),
    ]);

    let (breaches, page_sizes) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            page_size: 4,
            ..breaches_in_november()
        },
    )
    .await;
    assert_eq!(page_sizes, vec![4, 4, 4, 3]);
    assert_eq!(
        agent_and_kpi(&breaches),
        expected,
        "every breach once, by agent then catalogue order"
    );
    let find = |agent: &str, kpi_id: &str| {
        breaches
            .iter()
            .find(|b| b.agent_id == agent && b.result.as_ref().unwrap().kpi_id == kpi_id)
            .unwrap()
            .clone()
    };
    let aht = find("a1", "aht");
    let result = aht.result.as_ref().unwrap();
    assert_eq!(
        (
            result.value,
            result.numerator,
            result.denominator,
            result.sample_size
        ),
        (Some(600.0), 600.0, 1.0, 1)
    );
    assert_close(aht.shortfall, 300.0, "a1 aht shortfall");
    assert_eq!(aht.team_id, "");
    assert_eq!(aht.policy.as_ref().unwrap().policy_version_id, 0);
    let escalation = find("a2", "escalation_rate");
    assert_eq!(escalation.team_id, "blue");
    assert_close(escalation.shortfall, 90.0, "a2 escalation shortfall");
    assert_close(
        find("a3", "violations").shortfall,
        1.0,
        "a3 violations shortfall",
    );
    assert_close(
        find("a6", "contacts_per_day").shortfall,
        49.0,
        "a6 contacts_per_day shortfall",
    );

    // The default page size (100) holds them all; no band, so AT_RISK adds
    // nothing under the defaults.
    let (all_at_once, page_sizes) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            include_at_risk: true,
            ..breaches_in_november()
        },
    )
    .await;
    assert_eq!(page_sizes, vec![15]);
    assert_eq!(agent_and_kpi(&all_at_once), expected);

    let (blue, _) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            team_id: "blue".into(),
            page_size: 4,
            ..breaches_in_november()
        },
    )
    .await;
    assert_eq!(
        agent_and_kpi(&blue),
        pairs(&[
            ("a2", "contacts_per_day"),
            ("a2", "aht"),
            ("a2", "escalation_rate"),
            ("a3", "contacts_per_day"),
            ("a3", "aht"),
            ("a3", "violations"),
        ])
    );

    let (chosen, _) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            kpi_ids: vec!["violations".into(), "escalation_rate".into()],
            page_size: 2,
            ..breaches_in_november()
        },
    )
    .await;
    assert_eq!(
        agent_and_kpi(&chosen),
        pairs(&[
            ("a2", "escalation_rate"),
            ("a3", "violations"),
            ("a5", "escalation_rate"),
        ])
    );

    // October has no data: nothing is breached.
    let (october, page_sizes) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            period: Some(month("2026-10")),
            ..Default::default()
        },
    )
    .await;
    assert!(october.is_empty());
    assert_eq!(page_sizes, vec![0]);
}

/// A live breach list pages by (agent, KPI): a correction between pages
/// neither aborts the listing nor makes it repeat or skip a position; the
/// later pages show the numbers as they are when read.
async fn a_live_breach_list_keeps_its_place_while_numbers_move(backend: Backend) {
    let app = spawn_app(backend).await;
    let ten_minute_call = |n: u32, escalated: bool| pb::Interaction {
        talk_seconds: 600,
        hold_seconds: 0,
        after_contact_work_seconds: 0,
        escalated,
        ..call(&format!("c-{n}"), &format!("a{n}"), "2026-11-02T09:10:00Z")
    };
    ingest_interactions(&app, (1..=4).map(|n| ten_minute_call(n, false)).collect()).await;
    // Under the defaults each agent breaches contacts_per_day and aht.
    let mut client = app.scorecards();
    let request = pb::ListThresholdBreachesRequest {
        page_size: 3,
        ..breaches_in_november()
    };
    let first = client
        .list_threshold_breaches(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        agent_and_kpi(&first.breaches),
        pairs(&[
            ("a1", "contacts_per_day"),
            ("a1", "aht"),
            ("a2", "contacts_per_day")
        ])
    );

    // a2's call is corrected to escalated (a new breach behind the
    // cursor's agent but after its KPI), a1's to a short one (a breach
    // already served disappears).
    ingest_interactions(
        &app,
        vec![
            ten_minute_call(2, true),
            pb::Interaction {
                talk_seconds: 100,
                ..ten_minute_call(1, false)
            },
        ],
    )
    .await;
    let mut rest = Vec::new();
    let mut token = first.next_page_token;
    while !token.is_empty() {
        let page = client
            .list_threshold_breaches(pb::ListThresholdBreachesRequest {
                page_token: token.clone(),
                ..request.clone()
            })
            .await
            .unwrap_or_else(|status| panic!("a later page failed: {status:?}"))
            .into_inner();
        rest.extend(page.breaches);
        token = page.next_page_token;
    }
    assert_eq!(
        agent_and_kpi(&rest),
        pairs(&[
            ("a2", "aht"),
            ("a2", "escalation_rate"),
            ("a3", "contacts_per_day"),
            ("a3", "aht"),
            ("a4", "contacts_per_day"),
            ("a4", "aht"),
        ])
    );
}
