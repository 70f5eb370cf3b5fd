//! Ana's November 2026 (UTC): records that touch all 24 KPIs of the
//! catalogue, and every KPI's value, numerator, denominator, sample size,
//! status and margin worked out by hand from the spec under the catalogue's
//! defaults. The agent-scorecard tests check it one formula at a time.

use kpi_service::grpc::pb;
use pb::{
    ComplianceKind::{Privacy, Process},
    KpiStatus::{Breached, Met, NoTarget},
    SurveyKind::{Ces, Csat, Nps},
};

use crate::support::{
    app::{at, TestApp},
    ingest::{
        ingest_agent_time, ingest_checks, ingest_interactions, ingest_qa, ingest_surveys,
        ingest_training, ingest_violations,
    },
    records::{
        call, check, evaluation, survey_about, survey_for_agent, training, violation_at, work_day,
    },
};

/// One expected KPI line: id, value, numerator, denominator, sample size,
/// status, margin.
pub type Row = (
    &'static str,
    Option<f64>,
    f64,
    f64,
    i64,
    pb::KpiStatus,
    Option<f64>,
);

/// A course of ana's, completed at `completed_at` if given.
fn course(external_id: &str, due_at: &str, completed_at: Option<&str>) -> pb::TrainingAssignment {
    training(
        external_id,
        "ana",
        &format!("course-{external_id}"),
        due_at,
        completed_at,
    )
}

/// Ana's November 2026 (UTC), touching all 24 KPIs, plus records that must
/// not count (October, void, another agent, December training).
pub async fn ingest_anas_november(app: &TestApp) {
    // call-1, Nov 2: response 30 s, resolution 300 s, first response exactly
    // at the SLA (not overdue), handle 240+20+40 = 300, resolved on first
    // contact.
    let mut call_1 = call("call-1", "ana", "2026-11-02T09:05:00Z");
    call_1.sla_due_at = Some(at("2026-11-02T09:00:30Z"));
    // call-2, Nov 2: response 120 s, late against the SLA (overdue),
    // resolved 2,400 s after queuing, not on first contact, escalated;
    // handle 400+60+140 = 600.
    let call_2 = pb::Interaction {
        queued_at: Some(at("2026-11-02T10:00:00Z")),
        first_response_at: Some(at("2026-11-02T10:02:00Z")),
        sla_due_at: Some(at("2026-11-02T10:01:00Z")),
        resolved_at: Some(at("2026-11-02T10:40:00Z")),
        talk_seconds: 400,
        hold_seconds: 60,
        after_contact_work_seconds: 140,
        first_contact_resolved: false,
        escalated: true,
        ..call("call-2", "ana", "2026-11-02T10:10:00Z")
    };
    // call-3, Nov 3: response 90 s, no SLA, resolved on first contact but
    // without resolved_at, transferred, agent error; handle 300+0+120 = 420.
    let call_3 = pb::Interaction {
        queued_at: Some(at("2026-11-03T14:00:00Z")),
        first_response_at: Some(at("2026-11-03T14:01:30Z")),
        sla_due_at: None,
        resolved_at: None,
        talk_seconds: 300,
        hold_seconds: 0,
        after_contact_work_seconds: 120,
        transferred: true,
        agent_error: true,
        ..call("call-3", "ana", "2026-11-03T14:08:00Z")
    };
    // chat-4, Nov 3: no first response (overdue), unresolved, complaint;
    // handle 900+120+180 = 1,200.
    let chat_4 = pb::Interaction {
        channel: pb::Channel::Chat as i32,
        queued_at: Some(at("2026-11-03T16:00:00Z")),
        first_response_at: None,
        sla_due_at: Some(at("2026-11-03T16:05:00Z")),
        resolved_at: None,
        talk_seconds: 900,
        hold_seconds: 120,
        after_contact_work_seconds: 180,
        resolved: false,
        first_contact_resolved: false,
        complaint: true,
        ..call("chat-4", "ana", "2026-11-03T16:20:00Z")
    };
    // Not November's: October, void, someone else's.
    let october = call("call-0", "ana", "2026-10-31T23:50:00Z");
    let void = pb::Interaction {
        voided: true,
        escalated: true,
        ..call("call-void", "ana", "2026-11-05T09:05:00Z")
    };
    let bobs = call("call-bob", "bob", "2026-11-02T11:05:00Z");
    ingest_interactions(
        app,
        vec![call_1, call_2, call_3, chat_4, october, void, bobs],
    )
    .await;

    ingest_surveys(
        app,
        vec![
            // CSAT: 5, 4, 3 linked; 2 and 4 unlinked -> 3 satisfied of 5.
            survey_about("csat-1", "call-1", Csat, 5, "2026-11-02T12:00:00Z"),
            survey_about("csat-2", "call-3", Csat, 4, "2026-11-04T12:00:00Z"),
            survey_about("csat-3", "call-2", Csat, 3, "2026-11-02T12:00:00Z"),
            survey_for_agent("csat-4", "ana", Csat, 2, "2026-11-10T12:00:00Z"),
            survey_for_agent("csat-5", "ana", Csat, 4, "2026-11-11T12:00:00Z"),
            // Not November's: unlinked in October, linked to October's call.
            survey_for_agent("csat-oct", "ana", Csat, 1, "2026-10-30T12:00:00Z"),
            survey_about("csat-late", "call-0", Csat, 1, "2026-11-01T08:00:00Z"),
            // Not ana's: linked to bob's call (names ana, ignored when linked).
            pb::SurveyResponse {
                agent_id: "ana".into(),
                ..survey_about("csat-bob", "call-bob", Csat, 1, "2026-11-02T12:00:00Z")
            },
            // NPS: 10, 9, 9 promoters; 7 passive; 6 detractor.
            survey_about("nps-1", "call-1", Nps, 10, "2026-11-02T12:00:00Z"),
            survey_about("nps-2", "call-2", Nps, 9, "2026-11-02T12:00:00Z"),
            survey_for_agent("nps-3", "ana", Nps, 9, "2026-11-12T12:00:00Z"),
            survey_for_agent("nps-4", "ana", Nps, 7, "2026-11-12T12:00:00Z"),
            survey_about("nps-5", "chat-4", Nps, 6, "2026-11-03T18:00:00Z"),
            // CES: 5 and 7 easy, 4 not.
            survey_about("ces-1", "call-3", Ces, 5, "2026-11-03T18:00:00Z"),
            survey_for_agent("ces-2", "ana", Ces, 4, "2026-11-13T12:00:00Z"),
            survey_for_agent("ces-3", "ana", Ces, 7, "2026-11-13T12:00:00Z"),
        ],
    )
    .await;

    ingest_qa(
        app,
        vec![
            evaluation(
                "qa-1",
                "ana",
                "2026-11-04T12:00:00Z",
                (45.5, 50.0),
                &[5, 4, 3],
            ),
            evaluation("qa-2", "ana", "2026-11-18T12:00:00Z", (38.0, 40.0), &[5, 4]),
            evaluation("qa-3", "ana", "2026-11-20T12:00:00Z", (20.0, 20.0), &[]),
            evaluation(
                "qa-oct",
                "ana",
                "2026-10-30T12:00:00Z",
                (0.0, 50.0),
                &[1, 1],
            ),
        ],
    )
    .await;

    ingest_checks(
        app,
        vec![
            check("p-1", "ana", Process, true, "2026-11-05T08:00:00Z"),
            check("p-2", "ana", Process, true, "2026-11-06T08:00:00Z"),
            check("p-3", "ana", Process, false, "2026-11-07T08:00:00Z"),
            check("p-4", "ana", Process, true, "2026-11-08T08:00:00Z"),
            check("pv-1", "ana", Privacy, true, "2026-11-05T08:00:00Z"),
            check("pv-2", "ana", Privacy, true, "2026-11-09T08:00:00Z"),
            check("pv-oct", "ana", Privacy, false, "2026-10-29T08:00:00Z"),
        ],
    )
    .await;

    ingest_violations(
        app,
        vec![
            violation_at("v-1", "ana", "2026-11-06T08:10:00Z"),
            violation_at("v-2", "ana", "2026-11-13T08:10:00Z"),
            violation_at("v-oct", "ana", "2026-10-28T08:10:00Z"),
            pb::Violation {
                voided: true,
                ..violation_at("v-void", "ana", "2026-11-14T08:10:00Z")
            },
        ],
    )
    .await;

    ingest_training(
        app,
        vec![
            // Completed exactly at due_at: on time.
            course("t-1", "2026-11-20T00:00:00Z", Some("2026-11-20T00:00:00Z")),
            course("t-2", "2026-11-15T00:00:00Z", Some("2026-11-16T09:00:00Z")),
            course("t-3", "2026-11-10T00:00:00Z", None),
            // Due in December: not November's, although completed in November.
            course(
                "t-dec",
                "2026-12-05T00:00:00Z",
                Some("2026-11-19T10:00:00Z"),
            ),
        ],
    )
    .await;

    ingest_agent_time(
        app,
        vec![
            work_day("wfm-1", "ana", "2026-11-02", (28_800, 27_000, 21_600)),
            work_day("wfm-2", "ana", "2026-11-03", (28_800, 25_200, 18_000)),
            work_day("wfm-oct", "ana", "2026-10-31", (28_800, 28_800, 100)),
        ],
    )
    .await;
}

/// Every KPI of ana's November, in catalogue order.
pub fn expected_rows() -> Vec<Row> {
    // Hand arithmetic, November 2026 UTC, catalogue defaults (weight 1,
    // minimum sample 1, privacy_compliance the only gate, threshold 80):
    //
    // interactions: call-1, call-2 (Nov 2), call-3, chat-4 (Nov 3) = 4
    // contacts_handled      4 / 1                      = 4       no target
    // contacts_per_day      4 / 2 days                 = 2       >= 50: -48
    // aht                   (300+600+420+1200) / 4     = 2520/4 = 630   <= 300: -330
    // avg_response_time     (30+120+90) / 3            = 80      no target
    // avg_resolution_time   (300+2400) / 2             = 1350    no target
    //                       (call-3 has no resolved_at, chat-4 unresolved)
    // fcr_rate              call-1, call-3: 2/4        = 50      >= 80: -30
    // resolution_rate       3/4                        = 75      no target
    // escalation_rate       call-2: 1/4                = 25      <= 10: -15
    // transfer_rate         call-3: 1/4                = 25      no target
    // solo_resolution_rate  call-1 only: 1/4           = 25      no target
    // overdue_rate          call-2 late, chat-4 none; call-1 on the dot;
    //                       call-3 no SLA: 2/3         = 66.67   no target
    // error_rate            call-3: 1/4                = 25      <= 2: -23
    // qa_score              (45.5+38+20)/(50+40+20)    = 103.5/110 = 94.0909  >= 90: +4.0909
    // call_rating           (5+4+3+5+4) / 5 ratings    = 4.2     >= 4.5: -0.3
    //                       (not the mean of means (4+4.5)/2 = 4.25)
    // csat                  5,4,4 of 5,4,3,2,4: 3/5    = 60      >= 85: -25
    // nps                   (3 promoters - 1) / 5      = 40      >= 50: -10
    // ces                   5,7 of 5,4,7: 2/3          = 66.67   no target
    // complaint_rate        chat-4: 1/4                = 25      <= 5: -20
    // process_compliance    3/4                        = 75      >= 95: -20
    // privacy_compliance    2/2                        = 100     >= 100: 0 MET (gate)
    // violations            2 / 1                      = 2       <= 1: -1
    // training_completion   t-1 on time of 3 due       = 33.33   >= 90: -56.67
    // occupancy             (21600+18000)/(27000+25200) = 39600/52200 = 75.8621  <= 90: +14.1379
    // utilization           52200/57600                = 90.625  no target
    //
    // MET: qa_score, privacy_compliance, occupancy = 3 of 15 judged -> 20.
    let third = 1.0 / 3.0;
    vec![
        ("contacts_handled", Some(4.0), 4.0, 1.0, 4, NoTarget, None),
        (
            "contacts_per_day",
            Some(2.0),
            4.0,
            2.0,
            2,
            Breached,
            Some(-48.0),
        ),
        ("aht", Some(630.0), 2520.0, 4.0, 4, Breached, Some(-330.0)),
        (
            "avg_response_time",
            Some(80.0),
            240.0,
            3.0,
            3,
            NoTarget,
            None,
        ),
        (
            "avg_resolution_time",
            Some(1350.0),
            2700.0,
            2.0,
            2,
            NoTarget,
            None,
        ),
        ("fcr_rate", Some(50.0), 2.0, 4.0, 4, Breached, Some(-30.0)),
        ("resolution_rate", Some(75.0), 3.0, 4.0, 4, NoTarget, None),
        (
            "escalation_rate",
            Some(25.0),
            1.0,
            4.0,
            4,
            Breached,
            Some(-15.0),
        ),
        ("transfer_rate", Some(25.0), 1.0, 4.0, 4, NoTarget, None),
        (
            "solo_resolution_rate",
            Some(25.0),
            1.0,
            4.0,
            4,
            NoTarget,
            None,
        ),
        (
            "overdue_rate",
            Some(200.0 * third),
            2.0,
            3.0,
            3,
            NoTarget,
            None,
        ),
        ("error_rate", Some(25.0), 1.0, 4.0, 4, Breached, Some(-23.0)),
        (
            "qa_score",
            Some(10_350.0 / 110.0),
            103.5,
            110.0,
            3,
            Met,
            Some(10_350.0 / 110.0 - 90.0),
        ),
        ("call_rating", Some(4.2), 21.0, 5.0, 5, Breached, Some(-0.3)),
        ("csat", Some(60.0), 3.0, 5.0, 5, Breached, Some(-25.0)),
        ("nps", Some(40.0), 2.0, 5.0, 5, Breached, Some(-10.0)),
        ("ces", Some(200.0 * third), 2.0, 3.0, 3, NoTarget, None),
        (
            "complaint_rate",
            Some(25.0),
            1.0,
            4.0,
            4,
            Breached,
            Some(-20.0),
        ),
        (
            "process_compliance",
            Some(75.0),
            3.0,
            4.0,
            4,
            Breached,
            Some(-20.0),
        ),
        (
            "privacy_compliance",
            Some(100.0),
            2.0,
            2.0,
            2,
            Met,
            Some(0.0),
        ),
        ("violations", Some(2.0), 2.0, 1.0, 2, Breached, Some(-1.0)),
        (
            "training_completion",
            Some(100.0 * third),
            1.0,
            3.0,
            3,
            Breached,
            Some(100.0 * third - 90.0),
        ),
        (
            "occupancy",
            Some(3_960_000.0 / 52_200.0),
            39_600.0,
            52_200.0,
            2, // two agent-time records
            Met,
            Some(90.0 - 3_960_000.0 / 52_200.0),
        ),
        (
            "utilization",
            Some(90.625),
            52_200.0,
            57_600.0,
            2,
            NoTarget,
            None,
        ),
    ]
}

/// The expected row of `kpi_id`.
pub fn expected(kpi_id: &str) -> Row {
    expected_rows()
        .into_iter()
        .find(|row| row.0 == kpi_id)
        .unwrap_or_else(|| panic!("no expected row for {kpi_id}"))
}
