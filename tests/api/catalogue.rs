//! The KPI catalogue as the service lists it.

use kpi_service::grpc::pb;

use crate::{
    helpers::{spawn_app, Backend},
    on_both_backends,
};

on_both_backends!(the_catalogue_lists_every_kpi_with_its_default_target);

async fn the_catalogue_lists_every_kpi_with_its_default_target(backend: Backend) {
    use pb::{
        target::Bound::{AtLeast, AtMost},
        KpiDirection::{HigherIsBetter as Up, LowerIsBetter as Down},
        KpiGroup::{Compliance, Performance, Quality, Satisfaction, Workforce},
        KpiIndicator::{Lagging as Lag, Leading as Lead},
        KpiUnit::{Count, CountPerDay, NpsPoints, Percent, Rating, Seconds},
    };
    let app = spawn_app(backend).await;
    let catalogue = app
        .scorecards()
        .list_kpis(pb::ListKpisRequest {})
        .await
        .unwrap()
        .into_inner()
        .kpis;

    // The spec's table: id, group, unit, direction, lead/lag, default target.
    let expected = [
        ("contacts_handled", Performance, Count, Up, Lag, None),
        (
            "contacts_per_day",
            Performance,
            CountPerDay,
            Up,
            Lag,
            Some(AtLeast(50.0)),
        ),
        ("aht", Performance, Seconds, Down, Lag, Some(AtMost(300.0))),
        ("avg_response_time", Performance, Seconds, Down, Lag, None),
        ("avg_resolution_time", Performance, Seconds, Down, Lag, None),
        (
            "fcr_rate",
            Performance,
            Percent,
            Up,
            Lag,
            Some(AtLeast(80.0)),
        ),
        ("resolution_rate", Performance, Percent, Up, Lag, None),
        (
            "escalation_rate",
            Performance,
            Percent,
            Down,
            Lag,
            Some(AtMost(10.0)),
        ),
        ("transfer_rate", Performance, Percent, Down, Lag, None),
        ("solo_resolution_rate", Performance, Percent, Up, Lag, None),
        ("overdue_rate", Performance, Percent, Down, Lag, None),
        ("error_rate", Quality, Percent, Down, Lag, Some(AtMost(2.0))),
        ("qa_score", Quality, Percent, Up, Lead, Some(AtLeast(90.0))),
        ("call_rating", Quality, Rating, Up, Lead, Some(AtLeast(4.5))),
        ("csat", Satisfaction, Percent, Up, Lag, Some(AtLeast(85.0))),
        ("nps", Satisfaction, NpsPoints, Up, Lag, Some(AtLeast(50.0))),
        ("ces", Satisfaction, Percent, Up, Lag, None),
        (
            "complaint_rate",
            Satisfaction,
            Percent,
            Down,
            Lag,
            Some(AtMost(5.0)),
        ),
        (
            "process_compliance",
            Compliance,
            Percent,
            Up,
            Lead,
            Some(AtLeast(95.0)),
        ),
        (
            "privacy_compliance",
            Compliance,
            Percent,
            Up,
            Lead,
            Some(AtLeast(100.0)),
        ),
        (
            "violations",
            Compliance,
            Count,
            Down,
            Lag,
            Some(AtMost(1.0)),
        ),
        (
            "training_completion",
            Compliance,
            Percent,
            Up,
            Lead,
            Some(AtLeast(90.0)),
        ),
        (
            "occupancy",
            Workforce,
            Percent,
            Down,
            Lead,
            Some(AtMost(90.0)),
        ),
        ("utilization", Workforce, Percent, Up, Lead, None),
    ];
    assert_eq!(catalogue.len(), 24);
    let ids: Vec<&str> = catalogue.iter().map(|d| d.kpi_id.as_str()).collect();
    let expected_ids: Vec<&str> = expected.iter().map(|row| row.0).collect();
    assert_eq!(ids, expected_ids, "catalogue order");
    for (definition, (kpi_id, group, unit, direction, indicator, target)) in
        catalogue.iter().zip(expected)
    {
        assert_eq!(definition.group, group as i32, "{kpi_id} group");
        assert_eq!(definition.unit, unit as i32, "{kpi_id} unit");
        assert_eq!(definition.direction, direction as i32, "{kpi_id} direction");
        assert_eq!(definition.indicator, indicator as i32, "{kpi_id} lead/lag");
        assert_eq!(
            definition.default_target,
            target.map(|bound| pb::Target { bound: Some(bound) }),
            "{kpi_id} default target"
        );
        assert_eq!(
            definition.default_gate,
            kpi_id == "privacy_compliance",
            "{kpi_id} default gate"
        );
        let scale = if unit == Percent || unit == NpsPoints {
            100.0
        } else {
            1.0
        };
        assert_eq!(definition.scale, scale, "{kpi_id} scale");
        assert!(!definition.name.is_empty() && !definition.formula.is_empty());
    }
    let csat = &catalogue[14];
    assert_eq!(csat.name, "Customer satisfaction (CSAT)");
}
