//! The breach list, paged through and filtered by team and KPI: every
//! breach exactly once, by agent then catalogue order, also while the
//! numbers move between pages.

use kpi_service::grpc::pb;

use super::{agent_and_kpi, every_breach, november_breaches, pairs};
use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        directory::{add_team, put_agent},
        ingest::{ingest_interactions, ingest_violations},
        periods::month,
        records::{call, violation_at},
        scorecards::assert_close,
    },
};

on_both_backends!(
    breach_pages_return_every_breach_once_by_agent_then_catalogue_order,
    a_breach_carries_its_numbers_team_policy_and_shortfall,
    one_default_page_holds_every_breach,
    breaches_filter_by_team,
    breaches_filter_by_kpi,
    a_month_without_data_has_no_breaches,
    a_live_breach_list_keeps_its_place_while_numbers_move,
);

/// A 10-minute call (600 s talk, nothing else), resolved on first contact.
fn ten_minute_call(n: u32, escalated: bool) -> pb::Interaction {
    pb::Interaction {
        talk_seconds: 600,
        hold_seconds: 0,
        after_contact_work_seconds: 0,
        escalated,
        ..call(&format!("c-{n}"), &format!("a{n}"), "2026-11-02T09:10:00Z")
    }
}

/// Agents a1..a6 with one ten-minute call each on Nov 2; a2 and a5
/// escalated theirs; a3 has two violations. a0 is in the directory with no
/// records at all; a2 and a3 are blue. No policy: the defaults judge.
///
/// Each of a1..a6 breaches contacts_per_day (1 contact / 1 day = 1 < 50)
/// and aht (600 > 300); a2 and a5 also escalation_rate (1/1 = 100 % >
/// 10 %), a3 violations (2 > 1). fcr_rate is 100 %, error and complaint
/// rates 0: met. a0 has no data: INSUFFICIENT_DATA everywhere, and 0
/// violations meet <= 1.
async fn fifteen_breaches_of_six_agents(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    add_team(&app, "blue").await;
    put_agent(&app, "a0", "").await;
    put_agent(&app, "a2", "blue").await;
    put_agent(&app, "a3", "blue").await;
    ingest_interactions(
        &app,
        (1..=6)
            .map(|n| ten_minute_call(n, n == 2 || n == 5))
            .collect(),
    )
    .await;
    ingest_violations(
        &app,
        vec![
            violation_at("v-1", "a3", "2026-11-03T08:00:00Z"),
            violation_at("v-2", "a3", "2026-11-04T08:00:00Z"),
        ],
    )
    .await;
    app
}

fn the_fifteen_breaches() -> Vec<(String, String)> {
    pairs(&[
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
    ])
}

fn pages_of(page_size: i32) -> pb::ListThresholdBreachesRequest {
    pb::ListThresholdBreachesRequest {
        page_size,
        ..november_breaches()
    }
}

async fn breach_pages_return_every_breach_once_by_agent_then_catalogue_order(backend: Backend) {
    let app = fifteen_breaches_of_six_agents(backend).await;

    let (breaches, page_sizes) = every_breach(&app, pages_of(4)).await;

    assert_eq!(page_sizes, vec![4, 4, 4, 3]);
    assert_eq!(
        agent_and_kpi(&breaches),
        the_fifteen_breaches(),
        "every breach once, by agent then catalogue order"
    );
}

async fn a_breach_carries_its_numbers_team_policy_and_shortfall(backend: Backend) {
    let app = fifteen_breaches_of_six_agents(backend).await;

    let (breaches, _) = every_breach(&app, pages_of(4)).await;

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
    // 600 against <= 300.
    assert_close(aht.shortfall, 300.0, "a1 aht shortfall");
    assert_eq!(aht.team_id, "");
    assert_eq!(aht.policy.as_ref().unwrap().policy_version_id, 0);
    let escalation = find("a2", "escalation_rate");
    assert_eq!(escalation.team_id, "blue");
    // 100 % against <= 10 %.
    assert_close(escalation.shortfall, 90.0, "a2 escalation shortfall");
    // 2 against <= 1.
    assert_close(
        find("a3", "violations").shortfall,
        1.0,
        "a3 violations shortfall",
    );
    // 1 against >= 50.
    assert_close(
        find("a6", "contacts_per_day").shortfall,
        49.0,
        "a6 contacts_per_day shortfall",
    );
}

async fn one_default_page_holds_every_breach(backend: Backend) {
    let app = fifteen_breaches_of_six_agents(backend).await;

    // The default page size is 100; no band, so AT_RISK adds nothing
    // under the defaults.
    let (all_at_once, page_sizes) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            include_at_risk: true,
            ..november_breaches()
        },
    )
    .await;

    assert_eq!(page_sizes, vec![15]);
    assert_eq!(agent_and_kpi(&all_at_once), the_fifteen_breaches());
}

async fn breaches_filter_by_team(backend: Backend) {
    let app = fifteen_breaches_of_six_agents(backend).await;

    let (blue, _) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            team_id: "blue".into(),
            ..pages_of(4)
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
}

async fn breaches_filter_by_kpi(backend: Backend) {
    let app = fifteen_breaches_of_six_agents(backend).await;

    let (chosen, _) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            kpi_ids: vec!["violations".into(), "escalation_rate".into()],
            ..pages_of(2)
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
}

async fn a_month_without_data_has_no_breaches(backend: Backend) {
    let app = fifteen_breaches_of_six_agents(backend).await;

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
    ingest_interactions(&app, (1..=4).map(|n| ten_minute_call(n, false)).collect()).await;
    // Under the defaults each agent breaches contacts_per_day and aht.
    let mut client = app.scorecards();
    let request = pages_of(3);
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
