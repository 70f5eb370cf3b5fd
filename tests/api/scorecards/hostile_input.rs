//! Hostile scorecard queries: dates at the ends of chrono's calendar,
//! timestamps nothing can represent, 10 KB ids, an impossible month.

use kpi_service::grpc::pb;
use tonic::Code::InvalidArgument;

use crate::{
    on_both_backends,
    support::{
        app::Backend,
        hostile::{assert_refused_without_trace, raw_range, weekly_trend, Call, Case},
        periods::{day, iso_week, month},
    },
};

on_both_backends!(hostile_scorecard_queries_get_a_documented_code_and_leave_no_trace);

/// Seconds since the epoch of 262142-12-01T00:00:00Z, near chrono's end.
const YEAR_262142: i64 = 8_210_266_790_400 - 30 * 86_400;

fn cases() -> Vec<Case> {
    let huge = "9".repeat(10_240);
    vec![
        // Once panics: date arithmetic at the ends of chrono's calendar.
        (
            "iso week in year -262143",
            Call::AgentScorecard(iso_week("-262143-01-01")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "iso week in year 262142",
            Call::Breaches(iso_week("+262142-12-31")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "team scorecard week 262142",
            Call::TeamScorecard(iso_week("+262142-12-31")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "drill-down week 262142",
            Call::Interactions(iso_week("+262142-12-31")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "weekly trend ending in 262142",
            Call::WeeklyTrend(raw_range(YEAR_262142, YEAR_262142 + 20 * 86_400, 0)),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "day before 2000",
            Call::AgentScorecard(day("1999-12-31")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "month after 9999",
            Call::AgentScorecard(month("+10000-01")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "timestamp at i64::MAX",
            Call::AgentScorecard(raw_range(i64::MAX - 1, i64::MAX, 0)),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "negative nanos",
            Call::AgentScorecard(raw_range(1_700_000_000, 1_700_086_400, -1)),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Once unreadable: echoed whole into 23 KB of trailers.
        (
            "10 KB day",
            Call::AgentScorecard(day(&huge)),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "10 KB month",
            Call::Breaches(month(&huge)),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "10 KB KPI id",
            Call::Trend(pb::GetKpiTrendRequest {
                kpi_ids: vec![huge.clone()],
                ..weekly_trend(month("2026-11"))
            }),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Already refused; they stay so.
        (
            "month 13",
            Call::AgentScorecard(month("2026-13")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
    ]
}

async fn hostile_scorecard_queries_get_a_documented_code_and_leave_no_trace(backend: Backend) {
    assert_refused_without_trace(backend, cases()).await;
}
