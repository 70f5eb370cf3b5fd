//! Unit tests of `intraday`, every expectation worked out by hand from the
//! zones' rules (offsets and change instants in the comments).

use chrono::{DateTime, Duration, Utc};

use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn period(start: &str, end: &str) -> Period {
    Period {
        start: utc(start),
        end: utc(end),
    }
}

fn hours(period: Period, zone: Tz) -> Vec<Period> {
    cut(period, IntradayStep::Hour, zone, MAX_INTRADAY_BUCKETS).unwrap()
}

fn quarters(period: Period, zone: Tz) -> Vec<Period> {
    cut(
        period,
        IntradayStep::QuarterHour,
        zone,
        MAX_INTRADAY_BUCKETS,
    )
    .unwrap()
}

/// Every bucket starts where the previous ended, the first at the period's
/// start and the last at its end.
fn assert_tiles(buckets: &[Period], period: Period) {
    assert_eq!(buckets.first().unwrap().start, period.start);
    assert_eq!(buckets.last().unwrap().end, period.end);
    for pair in buckets.windows(2) {
        assert_eq!(pair[0].end, pair[1].start);
        assert!(pair[0].start < pair[0].end);
    }
}

#[test]
fn a_utc_day_has_24_hours_and_96_quarter_hours() {
    let day = period("2026-11-10T00:00:00Z", "2026-11-11T00:00:00Z");
    let by_hour = hours(day, chrono_tz::UTC);
    assert_eq!(by_hour.len(), 24);
    assert_tiles(&by_hour, day);
    assert_eq!(
        by_hour[13],
        period("2026-11-10T13:00:00Z", "2026-11-10T14:00:00Z")
    );
    assert_eq!(quarters(day, chrono_tz::UTC).len(), 96);
}

#[test]
fn berlins_spring_forward_day_has_23_hourly_buckets() {
    // 29 March 2026: local midnight is 23:00Z (CET, +1); at 01:00Z the
    // clock jumps from 02:00 CET to 03:00 CEST (+2); the day ends at
    // midnight CEST = 22:00Z. 23 hours of real time, 23 buckets of one.
    let day = period("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z");
    let buckets = hours(day, chrono_tz::Europe::Berlin);
    assert_eq!(buckets.len(), 23);
    assert_tiles(&buckets, day);
    // 01:00-03:00 local is one real hour: 00:00Z-01:00Z.
    assert_eq!(
        buckets[1],
        period("2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z")
    );
    // 03:00 CEST, the next whole hour, is 01:00Z.
    assert_eq!(
        buckets[2],
        period("2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z")
    );
    assert!(buckets
        .iter()
        .all(|bucket| bucket.end - bucket.start == Duration::hours(1)));
    // 23 hours of 4 quarter-hours.
    assert_eq!(quarters(day, chrono_tz::Europe::Berlin).len(), 92);
}

#[test]
fn berlins_fall_back_day_has_25_hourly_buckets_with_02_00_twice() {
    // 25 October 2026: local midnight is 22:00Z (CEST, +2); at 01:00Z the
    // clock goes back from 03:00 CEST to 02:00 CET (+1); the day ends at
    // midnight CET = 23:00Z. 25 hours, 25 buckets.
    let day = period("2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    let buckets = hours(day, chrono_tz::Europe::Berlin);
    assert_eq!(buckets.len(), 25);
    assert_tiles(&buckets, day);
    // 02:00 CEST = 00:00Z and 02:00 CET = 01:00Z: two buckets, two instants.
    assert_eq!(
        buckets[2],
        period("2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z")
    );
    assert_eq!(
        buckets[3],
        period("2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z")
    );
    // 23:00 CET = 22:00Z is the last.
    assert_eq!(
        buckets[24],
        period("2026-10-25T22:00:00Z", "2026-10-25T23:00:00Z")
    );
    assert_eq!(quarters(day, chrono_tz::Europe::Berlin).len(), 100);
}

#[test]
fn kathmandus_buckets_start_at_its_own_whole_hours() {
    // Kathmandu is +05:45 all year: local midnight of 10 November 2026 is
    // 18:15Z on the 9th, and every local whole hour is a quarter past a
    // UTC hour.
    let day = period("2026-11-09T18:15:00Z", "2026-11-10T18:15:00Z");
    let zone = chrono_tz::Asia::Kathmandu;
    let by_hour = hours(day, zone);
    assert_eq!(by_hour.len(), 24);
    assert_tiles(&by_hour, day);
    assert_eq!(
        by_hour[0],
        period("2026-11-09T18:15:00Z", "2026-11-09T19:15:00Z")
    );
    // 10:00 local = 04:15Z.
    assert_eq!(
        by_hour[10],
        period("2026-11-10T04:15:00Z", "2026-11-10T05:15:00Z")
    );
    let by_quarter = quarters(day, zone);
    assert_eq!(by_quarter.len(), 96);
    assert_eq!(
        by_quarter[1],
        period("2026-11-09T18:30:00Z", "2026-11-09T18:45:00Z")
    );
}

#[test]
fn a_custom_range_is_clipped_at_both_ends() {
    // 04:00Z-06:00Z is 09:45-11:45 in Kathmandu: 09:45-10:00, 10:00-11:00,
    // 11:00-11:45.
    let range = period("2026-11-10T04:00:00Z", "2026-11-10T06:00:00Z");
    assert_eq!(
        hours(range, chrono_tz::Asia::Kathmandu),
        vec![
            period("2026-11-10T04:00:00Z", "2026-11-10T04:15:00Z"),
            period("2026-11-10T04:15:00Z", "2026-11-10T05:15:00Z"),
            period("2026-11-10T05:15:00Z", "2026-11-10T06:00:00Z"),
        ]
    );
}

#[test]
fn a_half_hour_clock_change_lengthens_the_bucket_it_falls_in() {
    // Lord Howe Island, 4 October 2026: +10:30 until the clock jumps from
    // 02:00 to 02:30 (+11) at 15:30Z. The clock never shows 02:00, so the
    // bucket of 01:00 (14:30Z) runs to 03:00 local (16:00Z): 1.5 hours.
    // The day (13:30Z to 13:00Z) lasts 23.5 hours in 23 buckets.
    let day = period("2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z");
    let buckets = hours(day, chrono_tz::Australia::Lord_Howe);
    assert_eq!(buckets.len(), 23);
    assert_tiles(&buckets, day);
    assert_eq!(
        buckets[1],
        period("2026-10-03T14:30:00Z", "2026-10-03T16:00:00Z")
    );
}

#[test]
fn a_period_shorter_than_a_bucket_is_refused() {
    let half_hour = period("2026-11-10T10:00:00Z", "2026-11-10T10:30:00Z");
    assert_eq!(
        cut(half_hour, IntradayStep::Hour, chrono_tz::UTC, 768),
        Err(IntradayError::CoarserThanPeriod {
            noun: "hourly",
            minutes: 60
        })
    );
    assert_eq!(quarters(half_hour, chrono_tz::UTC).len(), 2);
}

#[test]
fn more_buckets_than_the_cap_are_refused() {
    // 32 UTC days of hours: exactly 768 = the cap.
    let month_and_a_day = period("2026-11-01T00:00:00Z", "2026-12-03T00:00:00Z");
    assert_eq!(hours(month_and_a_day, chrono_tz::UTC).len(), 768);
    // One hour more: 769.
    let longer = Period {
        end: month_and_a_day.end + Duration::hours(1),
        ..month_and_a_day
    };
    assert_eq!(
        cut(
            longer,
            IntradayStep::Hour,
            chrono_tz::UTC,
            MAX_INTRADAY_BUCKETS
        ),
        Err(IntradayError::TooManyBuckets {
            noun: "hourly",
            max_buckets: 768
        })
    );
    // 8 days of quarter-hours: 768; a quarter-hour more is refused.
    let eight_days = period("2026-11-01T00:00:00Z", "2026-11-09T00:00:00Z");
    assert_eq!(quarters(eight_days, chrono_tz::UTC).len(), 768);
    let longer = Period {
        end: eight_days.end + Duration::minutes(15),
        ..eight_days
    };
    assert!(matches!(
        cut(longer, IntradayStep::QuarterHour, chrono_tz::UTC, 768),
        Err(IntradayError::TooManyBuckets { .. })
    ));
}

#[test]
fn a_record_falls_in_the_bucket_containing_its_instant() {
    let day = period("2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    let buckets = hours(day, chrono_tz::Europe::Berlin);
    // 02:30 CEST (00:30Z) and 02:30 CET (01:30Z): the same local time in
    // two buckets.
    assert_eq!(bucket_of(&buckets, utc("2026-10-25T00:30:00Z")), Some(2));
    assert_eq!(bucket_of(&buckets, utc("2026-10-25T01:30:00Z")), Some(3));
    // A boundary belongs to the bucket it starts.
    assert_eq!(bucket_of(&buckets, utc("2026-10-25T01:00:00Z")), Some(3));
    assert_eq!(bucket_of(&buckets, utc("2026-10-24T22:00:00Z")), Some(0));
    // Outside the period: none.
    assert_eq!(bucket_of(&buckets, utc("2026-10-24T21:59:59Z")), None);
    assert_eq!(bucket_of(&buckets, utc("2026-10-25T23:00:00Z")), None);
}

#[test]
fn a_buckets_worked_days_are_the_agent_days_with_a_contact_in_it() {
    use crate::domain::attribution::{Attribution, Placed};

    let day = period("2026-11-10T00:00:00Z", "2026-11-11T00:00:00Z");
    let mut sums = BucketSums::new(hours(day, chrono_tz::UTC));
    let contact = KpiSums {
        contacts: 1,
        ..KpiSums::default()
    };
    let placed = |agent_id: &str, at: &str| Placed {
        attribution: Attribution {
            agent_id: agent_id.into(),
            team_id: None,
            day: LocalDay::of_instant(utc(at), chrono_tz::UTC),
        },
        at: utc(at),
    };
    // 09:00: ana twice, bob once; 10:00: bob once; 11 November: outside.
    sums.add_record(&placed("ana", "2026-11-10T09:10:00Z"), &contact);
    sums.add_record(&placed("ana", "2026-11-10T09:50:00Z"), &contact);
    sums.add_record(&placed("bob", "2026-11-10T09:30:00Z"), &contact);
    sums.add_record(&placed("bob", "2026-11-10T10:00:00Z"), &contact);
    sums.add_record(&placed("bob", "2026-11-11T00:00:00Z"), &contact);

    let totals = sums.totals();
    assert_eq!(totals.len(), 24);
    // 09:00: 3 contacts on 2 agent-days; 10:00: 1 on 1; the rest empty.
    assert_eq!((totals[9].1.contacts, totals[9].1.worked_days), (3, 2));
    assert_eq!((totals[10].1.contacts, totals[10].1.worked_days), (1, 1));
    assert_eq!(totals[11].1, KpiSums::default());
    assert_eq!(
        totals[9].0,
        period("2026-11-10T09:00:00Z", "2026-11-10T10:00:00Z")
    );
}
