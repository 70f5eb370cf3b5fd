//! Property tests: arbitrary field values through the parsing and
//! validation of every request type that is parsed without the database
//! (periods, policies, every ingest record kind, directory upserts, ids,
//! pagination). None may panic, and every rejection must be
//! INVALID_ARGUMENT with at least one field violation and a short message.
//! (The scorecard requests, parsed inside their handlers, get the same
//! property over the wire in `tests/api/request_properties.rs`.) The
//! ingest records are in `ingest`: mostly valid items, so that the accept
//! path and the checks behind the first field run too.

mod hostile;
mod ingest;
mod valid;

use crate::error::ServiceError;
use proptest::{collection::vec, option, prelude::*};
use tonic::Code;

use super::{
    directory::{parse_agent, parse_team},
    fields::required_request_id,
    pagination::{decode_token, page_size, request_fingerprint},
    pb,
    period::period_spec,
    policy::parse_new_policy_version,
};
use crate::domain::{
    intraday::{self, IntradayStep, MAX_INTRADAY_BUCKETS},
    period::{buckets, Granularity},
};

/// Asserts the property on one parse result.
pub(super) fn rejected_only_by_field_violations<T>(
    result: Result<T, ServiceError>,
) -> Result<(), TestCaseError> {
    let Err(error) = result else {
        return Ok(());
    };
    match &error {
        ServiceError::InvalidArgument { violations, .. } => {
            prop_assert!(!violations.is_empty(), "a rejection without violations");
            for violation in violations {
                prop_assert!(!violation.field.is_empty());
                prop_assert!(!violation.description.is_empty());
            }
        }
        other => prop_assert!(false, "rejected with {other:?}, not field violations"),
    }
    let status = tonic::Status::from(error);
    prop_assert_eq!(status.code(), Code::InvalidArgument);
    prop_assert!(
        status.message().len() < 1024,
        "{} bytes",
        status.message().len()
    );
    Ok(())
}

/// Strings a hostile or careless client sends.
pub(super) fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9-]{1,12}",
        any::<String>(),
        "[\\x00-\\x1f ]{1,3}[a-z]{0,3}",
        "[a-z]{120,300}",
    ]
}

/// Date-like strings, including signed and five- or six-digit years.
pub(super) fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+-]?[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}",
        "[+-]?[0-9]{4,6}-[0-9]{2}",
        "(1999|2000|2026|9999)-(01|02|12|13)-(01|28|29|31)",
        text(),
    ]
}

pub(super) fn timestamp() -> impl Strategy<Value = Option<prost_types::Timestamp>> {
    let seconds = prop_oneof![
        any::<i64>(),
        946_684_700i64..946_684_900,
        1_700_000_000i64..1_800_000_000,
        253_402_300_700i64..253_402_300_900,
        Just(i64::MAX),
        Just(i64::MIN),
    ];
    let nanos = prop_oneof![Just(0i32), any::<i32>(), 999_999_000i32..1_000_000_100];
    option::of(
        (seconds, nanos).prop_map(|(seconds, nanos)| prost_types::Timestamp { seconds, nanos }),
    )
}

pub(super) fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        -10.0f64..110.0,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-0.0),
    ]
}

fn period() -> impl Strategy<Value = Option<pb::PeriodSelector>> {
    use pb::period_selector::Period;
    let selected = prop_oneof![
        date_text().prop_map(Period::Day),
        date_text().prop_map(Period::IsoWeek),
        date_text().prop_map(Period::Month),
        (timestamp(), timestamp()).prop_map(|(start_time, end_time)| {
            Period::Custom(pb::TimeRange {
                start_time,
                end_time,
            })
        }),
    ];
    option::of(option::of(selected).prop_map(|period| pb::PeriodSelector { period }))
}

fn rule() -> impl Strategy<Value = pb::KpiRule> {
    use pb::target::Bound;
    let bound = prop_oneof![
        number().prop_map(Bound::AtLeast),
        number().prop_map(Bound::AtMost),
        (number(), number()).prop_map(|(low, high)| Bound::Between(pb::ValueRange { low, high })),
    ];
    let kpi_id = prop_oneof![
        Just("csat".to_owned()),
        Just("occupancy".to_owned()),
        Just("aht".to_owned()),
        text()
    ];
    (
        kpi_id,
        option::of(option::of(bound).prop_map(|bound| pb::Target { bound })),
        option::of(number()),
        number(),
        any::<bool>(),
        any::<i64>(),
    )
        .prop_map(
            |(kpi_id, target, warning_band, weight, gate, min_sample_size)| pb::KpiRule {
                kpi_id,
                target,
                warning_band,
                weight,
                gate,
                min_sample_size,
                ..Default::default()
            },
        )
}

const ZONES: [chrono_tz::Tz; 4] = [
    chrono_tz::UTC,
    chrono_tz::Europe::Berlin,
    chrono_tz::Pacific::Kiritimati,
    chrono_tz::America::Santiago,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn periods_resolve_or_are_refused_field_by_field(selector in period(), zone in 0..ZONES.len()) {
        let zone = ZONES[zone];
        let resolved = crate::service::scorecards::resolve_period(
            period_spec("period", selector.as_ref()),
            zone,
        );
        if let Ok(period) = &resolved {
            for granularity in [Granularity::Day, Granularity::Week, Granularity::Month] {
                // May refuse (too many buckets), never panic.
                let _ = buckets(*period, granularity, zone, 367);
            }
            for step in [IntradayStep::Hour, IntradayStep::QuarterHour] {
                // May refuse (too many, or coarser than the period); the
                // buckets it cuts tile the period.
                if let Ok(cut) = intraday::cut(*period, step, zone, MAX_INTRADAY_BUCKETS) {
                    prop_assert_eq!(cut.first().map(|bucket| bucket.start), Some(period.start));
                    prop_assert_eq!(cut.last().map(|bucket| bucket.end), Some(period.end));
                    prop_assert!(cut.windows(2).all(|pair| pair[0].end == pair[1].start
                        && pair[0].start < pair[0].end));
                }
            }
        }
        rejected_only_by_field_violations(resolved)?;
    }

    #[test]
    fn policies_are_stored_or_refused_field_by_field(
        team_id in text(),
        effective_from in date_text(),
        rules in vec(rule(), 0..6),
        bonus_threshold in number(),
        present in any::<bool>(),
    ) {
        let policy = present.then(|| pb::PolicyVersion {
            team_id,
            effective_from,
            rules,
            bonus_threshold,
            ..Default::default()
        });
        rejected_only_by_field_violations(parse_new_policy_version(
            &pb::CreatePolicyVersionRequest { policy, ..Default::default() },
            "property-test",
        ))?;
    }

    #[test]
    fn directory_upserts_ids_and_pages_parse_or_are_refused_field_by_field(
        id in text(),
        name in text(),
        team_id in text(),
        present in any::<bool>(),
        size in any::<i32>(),
        token in text(),
    ) {
        let team = present.then(|| pb::Team {
            team_id: id.clone(),
            display_name: name.clone(),
            ..Default::default()
        });
        rejected_only_by_field_violations(parse_team(pb::UpsertTeamRequest { team }))?;
        let agent = present.then(|| pb::Agent {
            agent_id: id.clone(),
            display_name: name,
            team_id,
            ..Default::default()
        });
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
        rejected_only_by_field_violations(parse_agent(
            pb::UpsertAgentRequest {
                agent,
                ..Default::default()
            },
            today,
        ))?;
        rejected_only_by_field_violations(required_request_id("agent_id", &id))?;
        rejected_only_by_field_violations(page_size(size))?;
        rejected_only_by_field_violations(decode_token(&token, &request_fingerprint(&["agents"])))?;
    }
}
