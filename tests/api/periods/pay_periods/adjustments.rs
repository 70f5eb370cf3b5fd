//! The adjustment report of a closed fortnight: exactly the late records,
//! per agent; an agent first seen after the close; the team filter;
//! restatement; two versions compared.

use kpi_service::grpc::pb::{
    self,
    RecordChange::{Corrected, Created, Voided},
};

use super::{
    adjustments, changed_records, fortnight_closed, restated_then_more_late_data, send_late_data,
    FORTNIGHT, REASON,
};
use crate::{
    on_both_backends,
    support::{
        app::Backend,
        periods::{periods, restate_pay_period},
    },
};

on_both_backends!(
    adjustments_list_exactly_the_records_changed_since_the_close,
    an_agent_first_seen_after_the_close_is_adjusted,
    the_team_filter_keeps_the_teams_agents_and_their_records,
    a_restatement_leaves_only_what_came_after_it,
    two_versions_compare_with_the_records_between_their_takes,
    a_comparison_needs_a_later_version_of_the_same_period,
);

fn key(id: &str) -> String {
    id.to_owned()
}

async fn adjustments_list_exactly_the_records_changed_since_the_close(backend: Backend) {
    let app = fortnight_closed(backend).await;

    send_late_data(&app).await;

    let report = adjustments(&app, pb::ListAdjustmentsRequest::default()).await;
    assert_eq!(report.pay_period, FORTNIGHT);
    assert_eq!(
        (report.snapshot_version, report.compared_to_version),
        (1, 0)
    );
    // c2, c3, c4, s4, c6, s6; ana's c5 (Oct 20) is in the next fortnight.
    assert_eq!(report.records_changed_since_snapshot, 6);
    let agents: Vec<&str> = report.agents.iter().map(|a| a.agent_id.as_str()).collect();
    assert_eq!(agents, vec!["ana", "ben", "cy"]);

    // Ana: c2 (Oct 7) voided; c4 and its survey s4 (Oct 12, ordered by
    // kind after the call) new.
    let ana = &report.agents[0];
    assert_eq!(
        changed_records(ana),
        vec![
            (key("c2"), Voided),
            (key("c4"), Created),
            (key("s4"), Created)
        ]
    );
    // CSAT 2/2 = 100 % -> c1 (5), c4 (1): 1/2 = 50 %; eligibility flips.
    let csat = ana.kpis.iter().find(|k| k.kpi_id == "csat").unwrap();
    assert_eq!(csat.difference, Some(-50.0));
    assert!(ana.bonus_eligibility_flips && ana.in_snapshot);
    assert_eq!(ana.team_id, "red");
    let voided = &ana.records[0];
    assert!(voided.record.as_ref().unwrap().voided);
    assert!(voided.change_time.is_some());

    // Ben: c3 corrected, handle time 300 s -> 900 s.
    let ben = &report.agents[1];
    assert_eq!(changed_records(ben), vec![(key("c3"), Corrected)]);
    let aht = ben.kpis.iter().find(|k| k.kpi_id == "aht").unwrap();
    assert_eq!(aht.difference, Some(600.0));
    assert!(!ben.bonus_eligibility_flips);
}

async fn an_agent_first_seen_after_the_close_is_adjusted(backend: Backend) {
    let app = fortnight_closed(backend).await;

    send_late_data(&app).await;

    let report = adjustments(&app, pb::ListAdjustmentsRequest::default()).await;
    let cy = report.agents.iter().find(|a| a.agent_id == "cy").unwrap();
    assert!(!cy.in_snapshot);
    assert_eq!(
        changed_records(cy),
        vec![(key("c6"), Created), (key("s6"), Created)]
    );
    // Nothing in the snapshot; live CSAT 1/1 = 100 % (no team: judged by
    // the organisation policy, CSAT >= 80 met, composite 100 >= 80).
    let csat = cy.kpis.iter().find(|k| k.kpi_id == "csat").unwrap();
    assert!(csat.snapshot.is_none());
    assert_eq!(csat.live.as_ref().unwrap().value, Some(100.0));
    assert_eq!(csat.difference, None);
    assert!(cy.live_bonus_eligible && cy.bonus_eligibility_flips);
    assert_eq!(cy.team_id, "");
}

async fn the_team_filter_keeps_the_teams_agents_and_their_records(backend: Backend) {
    let app = fortnight_closed(backend).await;
    send_late_data(&app).await;

    let report = adjustments(
        &app,
        pb::ListAdjustmentsRequest {
            team_id: "red".into(),
            ..Default::default()
        },
    )
    .await;

    // Cy has no team.
    let agents: Vec<&str> = report.agents.iter().map(|a| a.agent_id.as_str()).collect();
    assert_eq!(agents, vec!["ana", "ben"]);
    // c2, c4, s4 (ana) and c3 (ben).
    assert_eq!(report.records_changed_since_snapshot, 4);
}

async fn a_restatement_leaves_only_what_came_after_it(backend: Backend) {
    let app = fortnight_closed(backend).await;
    send_late_data(&app).await;
    let restated = restate_pay_period(&app, FORTNIGHT, REASON).await;
    assert_eq!(restated.current_version, 2);
    // Version 2 holds cy too.
    assert_eq!(restated.versions[1].agent_scorecards, 3);

    let report = adjustments(&app, pb::ListAdjustmentsRequest::default()).await;

    assert_eq!(report.snapshot_version, 2);
    assert!(report.agents.is_empty());
    assert_eq!(report.records_changed_since_snapshot, 0);
}

async fn two_versions_compare_with_the_records_between_their_takes(backend: Backend) {
    let app = restated_then_more_late_data(backend).await;

    let v1_to_v2 = adjustments(
        &app,
        pb::ListAdjustmentsRequest {
            snapshot_version: 1,
            compare_to_version: 2,
            ..Default::default()
        },
    )
    .await;

    assert_eq!(
        (v1_to_v2.snapshot_version, v1_to_v2.compared_to_version),
        (1, 2)
    );
    // The six records of the first late batch; c7 and s7 came after v2.
    assert_eq!(v1_to_v2.records_changed_since_snapshot, 6);
    let agents: Vec<&str> = v1_to_v2
        .agents
        .iter()
        .map(|a| a.agent_id.as_str())
        .collect();
    assert_eq!(agents, vec!["ana", "ben", "cy"]);
    assert_eq!(
        changed_records(&v1_to_v2.agents[1]),
        vec![(key("c3"), Corrected)]
    );
    let ana = &v1_to_v2.agents[0];
    let csat = ana.kpis.iter().find(|k| k.kpi_id == "csat").unwrap();
    // v1 100 % -> v2 50 %.
    assert_eq!(csat.difference, Some(-50.0));
    assert!(ana.snapshot_bonus_eligible && !ana.live_bonus_eligible);

    // Version 2 against today: ben's c7 and s7 only.
    let since_v2 = adjustments(&app, pb::ListAdjustmentsRequest::default()).await;
    assert_eq!(since_v2.snapshot_version, 2);
    assert_eq!(since_v2.records_changed_since_snapshot, 2);
    let agents: Vec<&str> = since_v2
        .agents
        .iter()
        .map(|a| a.agent_id.as_str())
        .collect();
    assert_eq!(agents, vec!["ben"]);
    assert_eq!(
        changed_records(&since_v2.agents[0]),
        vec![(key("c7"), Created), (key("s7"), Created)]
    );
    // Ben's CSAT: s3 (4) 1/1 = 100 % -> s3 (4), s7 (2): 1/2 = 50 %.
    let csat = since_v2.agents[0]
        .kpis
        .iter()
        .find(|k| k.kpi_id == "csat")
        .unwrap();
    assert_eq!(csat.difference, Some(-50.0));
}

async fn a_comparison_needs_a_later_version_of_the_same_period(backend: Backend) {
    let app = restated_then_more_late_data(backend).await;
    let ask = |snapshot_version, compare_to_version| {
        let mut client = periods(&app);
        async move {
            client
                .list_adjustments(pb::ListAdjustmentsRequest {
                    pay_period: FORTNIGHT.into(),
                    snapshot_version,
                    compare_to_version,
                    ..Default::default()
                })
                .await
                .unwrap_err()
        }
    };

    let same = ask(2, 2).await;
    assert_eq!(same.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        crate::support::app::field_violations(&same)[0].0,
        "compare_to_version"
    );
    assert_eq!(ask(1, 9).await.code(), tonic::Code::NotFound);
    assert_eq!(ask(0, -1).await.code(), tonic::Code::InvalidArgument);
}
