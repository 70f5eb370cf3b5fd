//! Hostile policy input: dates beyond the calendar, a 10 KB KPI id, and
//! warning bands wider than the target leaves room for.

use tonic::Code::InvalidArgument;

use crate::{
    on_both_backends,
    support::{
        app::Backend,
        hostile::{assert_refused_without_trace, policy, Call, Case},
        policies::{at_least, between},
    },
};

on_both_backends!(hostile_policy_input_gets_a_documented_code_and_leaves_no_trace);

fn cases() -> Vec<Case> {
    let huge = "9".repeat(10_240);
    let mut band = at_least("csat", 95.0);
    band.warning_band = Some(6.0);
    let mut range_band = between("occupancy", 75.0, 90.0);
    range_band.warning_band = Some(8.0);
    vec![
        // Once INTERNAL on PostgreSQL.
        (
            "policy in year 10000",
            Call::Policy(policy("+10000-01-01", vec![])),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "policy in year -1",
            Call::Policy(policy("-0001-01-01", vec![])),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "effective policy in year 10000",
            Call::EffectivePolicy("+10000-01-01"),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Once unreadable: echoed whole into the trailers.
        (
            "10 KB policy KPI id",
            Call::Policy(policy("2026-12-01", vec![at_least(&huge, 1.0)])),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Once accepted.
        (
            "band swallowing an at-least target",
            Call::Policy(policy("2026-12-01", vec![band])),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "band swallowing a range",
            Call::Policy(policy("2026-12-01", vec![range_band])),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
    ]
}

async fn hostile_policy_input_gets_a_documented_code_and_leaves_no_trace(backend: Backend) {
    assert_refused_without_trace(backend, cases()).await;
}
