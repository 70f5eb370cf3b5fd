//! The KPI catalogue as the service lists it, against the spec's table.

use kpi_service::grpc::pb;
use pb::{
    target::Bound::{self, AtLeast, AtMost},
    KpiDirection::{self, HigherIsBetter as Up, LowerIsBetter as Down},
    KpiGroup::{self, Compliance, Performance, Quality, Satisfaction, Workforce},
    KpiIndicator::{self, Lagging as Lag, Leading as Lead},
    KpiUnit::{self, Count, CountPerDay, NpsPoints, Percent, Rating, Seconds},
};

use crate::{
    on_both_backends,
    support::app::{spawn_app, Backend},
};

on_both_backends!(
    the_catalogue_lists_the_24_kpis_in_the_specs_order,
    each_kpi_has_the_specs_group_unit_direction_and_lead_or_lag,
    each_kpi_has_the_specs_default_target,
    privacy_compliance_is_the_only_default_gate,
    percentages_and_nps_points_are_scaled_by_100,
    each_kpi_is_named_and_has_a_formula,
);

type Row = (
    &'static str,
    KpiGroup,
    KpiUnit,
    KpiDirection,
    KpiIndicator,
    Option<Bound>,
);

/// The spec's table: id, group, unit, direction, lead/lag, default target.
fn the_specs_table() -> [Row; 24] {
    [
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
    ]
}

/// ListKpis, checked to list the spec's KPIs in its order, paired with
/// the spec's rows.
async fn listed_with_the_specs_rows(backend: Backend) -> Vec<(pb::KpiDefinition, Row)> {
    let app = spawn_app(backend).await;
    let catalogue = app
        .scorecards()
        .list_kpis(pb::ListKpisRequest {})
        .await
        .unwrap()
        .into_inner()
        .kpis;
    let ids: Vec<&str> = catalogue.iter().map(|d| d.kpi_id.as_str()).collect();
    let expected_ids: Vec<&str> = the_specs_table().iter().map(|row| row.0).collect();
    assert_eq!(ids, expected_ids, "catalogue order");
    catalogue.into_iter().zip(the_specs_table()).collect()
}

async fn the_catalogue_lists_the_24_kpis_in_the_specs_order(backend: Backend) {
    let listed = listed_with_the_specs_rows(backend).await;

    assert_eq!(listed.len(), 24);
}

async fn each_kpi_has_the_specs_group_unit_direction_and_lead_or_lag(backend: Backend) {
    for (definition, (kpi_id, group, unit, direction, indicator, _)) in
        listed_with_the_specs_rows(backend).await
    {
        assert_eq!(definition.group, group as i32, "{kpi_id} group");
        assert_eq!(definition.unit, unit as i32, "{kpi_id} unit");
        assert_eq!(definition.direction, direction as i32, "{kpi_id} direction");
        assert_eq!(definition.indicator, indicator as i32, "{kpi_id} lead/lag");
    }
}

async fn each_kpi_has_the_specs_default_target(backend: Backend) {
    for (definition, (kpi_id, _, _, _, _, target)) in listed_with_the_specs_rows(backend).await {
        assert_eq!(
            definition.default_target,
            target.map(|bound| pb::Target { bound: Some(bound) }),
            "{kpi_id} default target"
        );
    }
}

async fn privacy_compliance_is_the_only_default_gate(backend: Backend) {
    for (definition, (kpi_id, ..)) in listed_with_the_specs_rows(backend).await {
        assert_eq!(
            definition.default_gate,
            kpi_id == "privacy_compliance",
            "{kpi_id} default gate"
        );
    }
}

async fn percentages_and_nps_points_are_scaled_by_100(backend: Backend) {
    for (definition, (kpi_id, _, unit, ..)) in listed_with_the_specs_rows(backend).await {
        let scale = if unit == Percent || unit == NpsPoints {
            100.0
        } else {
            1.0
        };
        assert_eq!(definition.scale, scale, "{kpi_id} scale");
    }
}

async fn each_kpi_is_named_and_has_a_formula(backend: Backend) {
    let listed = listed_with_the_specs_rows(backend).await;

    for (definition, (kpi_id, ..)) in &listed {
        assert!(
            !definition.name.is_empty() && !definition.formula.is_empty(),
            "{kpi_id}"
        );
    }
    let csat = &listed[14].0;
    assert_eq!(csat.name, "Customer satisfaction (CSAT)");
}
