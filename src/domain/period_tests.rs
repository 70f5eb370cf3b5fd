//! Unit tests of `period`, with expectations worked out by hand from the
//! catalogue.

use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

#[test]
fn a_month_in_berlin_spans_the_dst_change() {
    // CET (+1) on March 1st, CEST (+2) on April 1st, 2025.
    let march = resolve(
        PeriodSpec::Month(date("2025-03-14")),
        chrono_tz::Europe::Berlin,
        366,
    )
    .unwrap();
    assert_eq!(march.start, utc("2025-02-28T23:00:00Z"));
    assert_eq!(march.end, utc("2025-03-31T22:00:00Z"));
}

#[test]
fn the_day_dst_starts_lasts_23_hours_and_the_day_it_ends_25() {
    let spring = resolve(
        PeriodSpec::Day(date("2025-03-30")),
        chrono_tz::Europe::Berlin,
        1,
    )
    .unwrap();
    assert_eq!(spring.end - spring.start, Duration::hours(23));
    let autumn = resolve(
        PeriodSpec::Day(date("2026-10-25")),
        chrono_tz::Europe::Berlin,
        1,
    )
    .unwrap();
    assert_eq!(autumn.start, utc("2026-10-24T22:00:00Z"));
    assert_eq!(autumn.end, utc("2026-10-25T23:00:00Z"));
}

#[test]
fn a_day_starting_in_a_dst_gap_starts_when_the_gap_ends() {
    // Santiago de Chile skipped from 2024-09-08 00:00 to 01:00 local (-4 -> -3).
    let day = resolve(
        PeriodSpec::Day(date("2024-09-08")),
        chrono_tz::America::Santiago,
        1,
    )
    .unwrap();
    assert_eq!(day.start, utc("2024-09-08T04:00:00Z"));
}

#[test]
fn an_ambiguous_local_midnight_starts_the_day_at_the_first_one() {
    // Havana fell back from 01:00 CDT to 00:00 CST on 2024-11-03, so
    // midnight happened at 04:00Z and again at 05:00Z.
    let day = resolve(
        PeriodSpec::Day(date("2024-11-03")),
        chrono_tz::America::Havana,
        1,
    )
    .unwrap();
    assert_eq!(day.start, utc("2024-11-03T04:00:00Z"));
    assert_eq!(day.end - day.start, Duration::hours(25));
}

#[test]
fn the_days_of_a_year_tile_it_in_zones_with_awkward_clock_changes() {
    // Santiago skips midnight, Havana repeats it, Lord Howe shifts by 30
    // minutes, Kolkata has no DST at all.
    let zones = [
        chrono_tz::UTC,
        chrono_tz::Europe::Berlin,
        chrono_tz::America::Santiago,
        chrono_tz::America::Havana,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Asia::Kolkata,
    ];
    for zone in zones {
        let year = Period {
            start: start_of_day(date("2025-01-01"), zone).unwrap(),
            end: start_of_day(date("2026-01-01"), zone).unwrap(),
        };
        let days = buckets(year, Granularity::Day, zone, 400).unwrap();
        assert_eq!(days.len(), 365, "{zone}");
        let mut expected_start = year.start;
        for (offset, day) in days.iter().enumerate() {
            let local_day = date("2025-01-01") + Duration::days(offset as i64);
            assert_eq!(
                *day,
                resolve(PeriodSpec::Day(local_day), zone, 1).unwrap(),
                "{zone} {local_day}"
            );
            assert_eq!(day.start, expected_start, "{zone} {local_day}");
            let minutes = (day.end - day.start).num_minutes();
            assert!(
                (22 * 60..=25 * 60).contains(&minutes),
                "{zone} {local_day}: {minutes} min"
            );
            expected_start = day.end;
        }
        assert_eq!(expected_start, year.end, "{zone}");
        assert_eq!(
            buckets(year, Granularity::Month, zone, 12).unwrap().len(),
            12,
            "{zone}"
        );
    }
}

#[test]
fn dates_at_the_end_of_the_calendar_are_an_error_not_a_panic() {
    assert_eq!(
        resolve(PeriodSpec::Month(NaiveDate::MAX), chrono_tz::UTC, 31),
        Err(PeriodError::OutOfRange)
    );
}

#[test]
fn dates_and_instants_outside_the_supported_calendar_are_refused_before_any_arithmetic() {
    // Each of these once panicked ("NaiveDate + TimeDelta overflowed").
    let far = [
        NaiveDate::from_ymd_opt(-262_143, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(262_142, 12, 31).unwrap(),
        NaiveDate::MIN,
        NaiveDate::MAX,
        date("1999-12-31"),
        date("+10000-01-01"),
    ];
    for day in far {
        for spec in [
            PeriodSpec::Day(day),
            PeriodSpec::IsoWeek(day),
            PeriodSpec::Month(day),
        ] {
            assert_eq!(
                resolve(spec, chrono_tz::Pacific::Kiritimati, 366),
                Err(PeriodError::OutOfRange),
                "{spec:?}"
            );
        }
    }
    let year_262142 = NaiveDate::from_ymd_opt(262_142, 12, 1)
        .unwrap()
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    let late = Period {
        start: year_262142,
        end: year_262142 + Duration::days(30),
    };
    // Bucketing is checked arithmetic: at the very end of chrono's
    // calendar it refuses instead of panicking.
    let last_day = Period {
        start: late.start,
        end: late.end + Duration::hours(12),
    };
    for granularity in [Granularity::Day, Granularity::Week, Granularity::Month] {
        assert_eq!(
            buckets(last_day, granularity, chrono_tz::UTC, 400),
            Err(PeriodError::OutOfRange),
            "{granularity:?}"
        );
    }
    let custom = PeriodSpec::Custom {
        start: late.start,
        end: late.end,
    };
    assert_eq!(
        resolve(custom, chrono_tz::UTC, 366),
        Err(PeriodError::OutOfRange)
    );
}

#[test]
fn the_last_week_of_the_calendar_resolves_and_buckets() {
    // 9999-12-31 is a Friday: its ISO week ends on 10000-01-03.
    let week = resolve(PeriodSpec::IsoWeek(LATEST_DATE), chrono_tz::UTC, 366).unwrap();
    assert_eq!(week.end - week.start, Duration::days(7));
    assert_eq!(
        buckets(week, Granularity::Day, chrono_tz::America::Santiago, 10)
            .unwrap()
            .len(),
        8,
        "7 days, clipped at both ends in another zone"
    );
    assert_eq!(
        buckets(
            resolve(PeriodSpec::Month(LATEST_DATE), chrono_tz::UTC, 366).unwrap(),
            Granularity::Week,
            chrono_tz::UTC,
            10
        )
        .unwrap()
        .len(),
        5
    );
    assert!(resolve(
        PeriodSpec::Day(EARLIEST_DATE),
        chrono_tz::Pacific::Kiritimati,
        1
    )
    .is_ok());
}

#[test]
fn an_iso_week_can_cross_a_year_end() {
    let week = resolve(PeriodSpec::IsoWeek(date("2025-01-01")), chrono_tz::UTC, 366).unwrap();
    assert_eq!(week.start, utc("2024-12-30T00:00:00Z"));
    assert_eq!(week.end, utc("2025-01-06T00:00:00Z"));
}

#[test]
fn month_ends_are_found_in_every_month() {
    let february = resolve(PeriodSpec::Month(date("2024-02-29")), chrono_tz::UTC, 366).unwrap();
    assert_eq!(february.end, utc("2024-03-01T00:00:00Z"));
    let december = resolve(PeriodSpec::Month(date("2026-12-31")), chrono_tz::UTC, 366).unwrap();
    assert_eq!(december.end, utc("2027-01-01T00:00:00Z"));
}

#[test]
fn custom_ranges_must_be_non_empty_and_not_too_long() {
    let start = utc("2026-01-01T00:00:00Z");
    let empty = PeriodSpec::Custom { start, end: start };
    assert_eq!(resolve(empty, chrono_tz::UTC, 366), Err(PeriodError::Empty));
    let long = PeriodSpec::Custom {
        start,
        end: start + Duration::days(367),
    };
    assert!(matches!(
        resolve(long, chrono_tz::UTC, 366),
        Err(PeriodError::TooLong { .. })
    ));
    let leap_year = PeriodSpec::Custom {
        start: utc("2024-01-01T00:00:00Z"),
        end: utc("2025-01-01T00:00:00Z"),
    };
    assert!(resolve(leap_year, chrono_tz::UTC, 366).is_ok());
}

#[test]
fn a_month_splits_into_clipped_iso_weeks() {
    // November 2026 starts on a Sunday and ends on a Monday.
    let november = resolve(PeriodSpec::Month(date("2026-11-01")), chrono_tz::UTC, 366).unwrap();
    let weeks = buckets(november, Granularity::Week, chrono_tz::UTC, 10).unwrap();
    let starts: Vec<DateTime<Utc>> = weeks.iter().map(|week| week.start).collect();
    assert_eq!(
        starts,
        vec![
            utc("2026-11-01T00:00:00Z"),
            utc("2026-11-02T00:00:00Z"),
            utc("2026-11-09T00:00:00Z"),
            utc("2026-11-16T00:00:00Z"),
            utc("2026-11-23T00:00:00Z"),
            utc("2026-11-30T00:00:00Z"),
        ]
    );
    assert_eq!(weeks.last().unwrap().end, utc("2026-12-01T00:00:00Z"));
    assert!(buckets(november, Granularity::Day, chrono_tz::UTC, 29).is_err());
    assert_eq!(
        buckets(november, Granularity::Month, chrono_tz::UTC, 1)
            .unwrap()
            .len(),
        1
    );
}
