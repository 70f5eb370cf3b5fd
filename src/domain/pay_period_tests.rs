//! Pay-period ids and their boundaries, by hand: each expected instant is
//! a local midnight of the zone, written out in UTC.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::{Europe::Berlin, UTC};

use super::PayCalendar;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// Two-week pay periods from Monday 2026-01-05 (ISO week 2026-W02).
fn two_weeks() -> PayCalendar {
    PayCalendar::TwoWeeks {
        first_monday: date("2026-01-05"),
    }
}

#[test]
fn each_kind_reads_its_own_ids() {
    let cases = [
        (PayCalendar::Month, "2026-03", "2026-03-01", "2026-04-01"),
        (PayCalendar::Month, "2026-12", "2026-12-01", "2027-01-01"),
        (
            PayCalendar::HalfMonth,
            "2026-03-H1",
            "2026-03-01",
            "2026-03-16",
        ),
        (
            PayCalendar::HalfMonth,
            "2026-02-H2",
            "2026-02-16",
            "2026-03-01",
        ),
        (PayCalendar::IsoWeek, "2026-W10", "2026-03-02", "2026-03-09"),
        // 2026 has 53 ISO weeks (it starts on a Thursday).
        (PayCalendar::IsoWeek, "2026-W53", "2026-12-28", "2027-01-04"),
        (PayCalendar::IsoWeek, "2027-W01", "2027-01-04", "2027-01-11"),
        // W02 is the first Monday; W10 is 8 weeks later.
        (two_weeks(), "2026-W02+2", "2026-01-05", "2026-01-19"),
        (two_weeks(), "2026-W10+2", "2026-03-02", "2026-03-16"),
        // Before the configured Monday too: W52 of 2025 is 2 weeks earlier.
        (two_weeks(), "2025-W52+2", "2025-12-22", "2026-01-05"),
    ];
    for (calendar, id, first, after_last) in cases {
        assert_eq!(
            calendar.parse(id),
            Ok((date(first), date(after_last))),
            "{id}"
        );
        assert_eq!(calendar.resolve(id, UTC).unwrap().key, id);
    }
}

#[test]
fn ids_of_another_kind_or_malformed_are_refused_saying_what_is_expected() {
    let cases = [
        (PayCalendar::Month, "2026-3"),
        (PayCalendar::Month, "2026-13"),
        (PayCalendar::Month, "2026-03-H1"),
        (PayCalendar::HalfMonth, "2026-03"),
        (PayCalendar::HalfMonth, "2026-03-H3"),
        (PayCalendar::IsoWeek, "2026-W54"),
        (PayCalendar::IsoWeek, "2025-W53"),
        (PayCalendar::IsoWeek, "2026-W1"),
        (PayCalendar::IsoWeek, "+026-W10"),
        (two_weeks(), "2026-W10"),
        (two_weeks(), "2026-W10+3"),
        (PayCalendar::Month, ""),
    ];
    for (calendar, id) in cases {
        let error = calendar.parse(id).unwrap_err();
        assert!(error.0.contains("expected"), "{id}: {error}");
    }
    let error = PayCalendar::Month.parse("1999-12").unwrap_err();
    assert!(error.0.contains("supported calendar"), "{error}");
}

#[test]
fn a_two_week_id_off_the_configured_cycle_names_the_periods_around_it() {
    let error = two_weeks().parse("2026-W11+2").unwrap_err();
    assert!(error.0.contains("2026-W10+2 and 2026-W12+2"), "{}", error.0);
}

#[test]
fn boundaries_are_local_midnights_across_a_dst_change() {
    // Berlin goes from UTC+1 to UTC+2 on Sunday 2026-03-29.
    let week = PayCalendar::IsoWeek.resolve("2026-W13", Berlin).unwrap();
    assert_eq!(week.period.start, instant("2026-03-22T23:00:00Z"));
    assert_eq!(week.period.end, instant("2026-03-29T22:00:00Z"));
    // 7 days less the hour skipped.
    assert_eq!(
        (week.period.end - week.period.start).num_hours(),
        7 * 24 - 1
    );

    let half = PayCalendar::HalfMonth
        .resolve("2026-03-H2", Berlin)
        .unwrap();
    assert_eq!(half.period.start, instant("2026-03-15T23:00:00Z"));
    assert_eq!(half.period.end, instant("2026-03-31T22:00:00Z"));
    assert_eq!(half.days.end.number() - half.days.first.number(), 16);

    // Back to UTC+1 on Sunday 2026-10-25: two weeks W43-W44 are 1 hour longer.
    let calendar = PayCalendar::TwoWeeks {
        first_monday: date("2026-10-19"),
    };
    let fortnight = calendar.resolve("2026-W43+2", Berlin).unwrap();
    assert_eq!(fortnight.period.start, instant("2026-10-18T22:00:00Z"));
    assert_eq!(fortnight.period.end, instant("2026-11-01T23:00:00Z"));
    assert_eq!(
        (fortnight.period.end - fortnight.period.start).num_hours(),
        14 * 24 + 1
    );
}

#[test]
fn the_pay_period_containing_a_day() {
    let cases = [
        (PayCalendar::Month, "2026-03-31", "2026-03"),
        (PayCalendar::HalfMonth, "2026-03-15", "2026-03-H1"),
        (PayCalendar::HalfMonth, "2026-03-16", "2026-03-H2"),
        (PayCalendar::IsoWeek, "2027-01-03", "2026-W53"),
        (two_weeks(), "2026-03-15", "2026-W10+2"),
        (two_weeks(), "2026-03-16", "2026-W12+2"),
        (two_weeks(), "2026-01-04", "2025-W52+2"),
    ];
    for (calendar, day, id) in cases {
        assert_eq!(
            calendar.containing(date(day), UTC).unwrap().key,
            id,
            "{day}"
        );
    }
}

#[test]
fn a_calendar_read_is_a_pay_period_only_when_its_dates_match_exactly() {
    let week = (date("2026-03-02"), date("2026-03-09"));
    assert_eq!(
        PayCalendar::IsoWeek.id_of_exact_dates(week.0, week.1),
        Some("2026-W10".into())
    );
    assert_eq!(two_weeks().id_of_exact_dates(week.0, week.1), None);
    assert_eq!(PayCalendar::Month.id_of_exact_dates(week.0, week.1), None);
    let march = (date("2026-03-01"), date("2026-04-01"));
    assert_eq!(
        PayCalendar::Month.id_of_exact_dates(march.0, march.1),
        Some("2026-03".into())
    );
    assert_eq!(
        PayCalendar::HalfMonth.id_of_exact_dates(march.0, march.1),
        None
    );
}

#[test]
fn the_setting_names_a_kind_and_two_weeks_need_a_monday() {
    assert_eq!(
        PayCalendar::from_setting("two_weeks", Some(date("2026-01-05"))),
        Ok(two_weeks())
    );
    assert!(
        PayCalendar::from_setting("two_weeks", Some(date("2026-01-06")))
            .unwrap_err()
            .contains("Monday")
    );
    assert!(PayCalendar::from_setting("two_weeks", None).is_err());
    assert!(PayCalendar::from_setting("fortnight", None).is_err());
    assert_eq!(two_weeks().recorded_name(), "two_weeks from 2026-01-05");
}
