//! Forecasts computed by hand from the catalogue's formulas, and the
//! properties of the distribution and of a period about to end.

use proptest::prelude::*;

use super::*;
use crate::domain::{
    kpi::{KpiId, KpiValue},
    policy::{assess, KpiRule, KpiStatus, Target},
};

const DAY_US: i64 = 86_400_000_000;

fn days(elapsed: i64, remaining: i64) -> Elapsed {
    Elapsed::new(elapsed * DAY_US, remaining * DAY_US).expect("both are positive")
}

fn rule(target: Target, min_sample_size: u64) -> KpiRule {
    KpiRule {
        target: Some(target),
        warning_band: None,
        weight: 1.0,
        gate: false,
        min_sample_size,
        scoring: Default::default(),
    }
}

/// A KPI of value `numerator × scale / denominator`.
fn ratio(kpi: KpiId, numerator: f64, denominator: f64) -> KpiValue {
    let scale = kpi.definition().scale;
    KpiValue {
        kpi,
        value: (denominator > 0.0).then(|| numerator * scale / denominator),
        numerator,
        denominator,
        sample_size: denominator as u64,
    }
}

fn count(kpi: KpiId, count: u64) -> KpiValue {
    KpiValue {
        kpi,
        value: Some(count as f64),
        numerator: count as f64,
        denominator: 1.0,
        sample_size: count,
    }
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: {actual} is not {expected}"
    );
}

/// ln(k!) by summing logarithms: an oracle independent of `ln_gamma`.
fn ln_factorial(k: u64) -> f64 {
    (2..=k).map(|i| (i as f64).ln()).sum()
}

/// P(X = x) of BetaBinomial(m, a, b) with whole a, b, from factorials:
/// C(m, x) B(x + a, m − x + b) / B(a, b), B(p, q) = (p−1)! (q−1)! / (p+q−1)!.
fn pmf_by_factorials(m: u64, a: u64, b: u64, x: u64) -> f64 {
    let ln_beta =
        |p: u64, q: u64| ln_factorial(p - 1) + ln_factorial(q - 1) - ln_factorial(p + q - 1);
    (ln_factorial(m) - ln_factorial(x) - ln_factorial(m - x) + ln_beta(x + a, m - x + b)
        - ln_beta(a, b))
    .exp()
}

#[test]
fn the_worked_example_csat_80_percent_of_40_on_day_10_of_30_will_miss() {
    // f = 10 / 30; d_rem = 40 × (20/30) / (10/30) = 80; m = 80.
    // needed = (0.85 × (40 + 80) − 32) / 80 × 100 = (102 − 32) / 80 = 87.5 %,
    // i.e. 70 of the 80. P(X >= 70), X ~ BetaBinomial(80, 33, 9).
    let csat = ratio(KpiId::Csat, 32.0, 40.0);
    let forecast = forecast_kpi(&csat, Some(&rule(Target::AtLeast(85.0), 1)), days(10, 20))
        .expect("csat has a target");
    close(forecast.elapsed_fraction, 1.0 / 3.0, "f");
    assert_eq!(forecast.expected_remaining, 80.0);
    assert_eq!(forecast.expected_remaining_whole, 80);
    assert_eq!(forecast.projected, Some(80.0));
    assert_eq!(forecast.needed, Some(Target::AtLeast(87.5)));
    let by_factorials: f64 = (70..=80).map(|x| pmf_by_factorials(80, 33, 9, x)).sum();
    let probability = forecast.probability.expect("csat is a proportion");
    close(probability, by_factorials, "probability");
    assert_eq!((probability * 1000.0).round(), 139.0, "{probability}");
    assert_eq!(forecast.status, ForecastStatus::WillMiss);
}

#[test]
fn a_target_that_even_an_all_bad_rest_keeps_is_secured() {
    // 100 of 100 satisfied on day 27 of 30: d_rem = 100 × 3 / 27 = 11.11;
    // needed = 85 + (85 − 100) × 100 / 11.11 = 85 − 135 = −50 <= 0.
    // (All 11 bad: 100 / 111 = 90.1 % >= 85.)
    let csat = ratio(KpiId::Csat, 100.0, 100.0);
    let forecast = forecast_kpi(&csat, Some(&rule(Target::AtLeast(85.0), 1)), days(27, 3)).unwrap();
    close(forecast.expected_remaining, 100.0 / 9.0, "d_rem");
    assert_eq!(forecast.expected_remaining_whole, 11);
    match forecast.needed {
        Some(Target::AtLeast(needed)) => close(needed, -50.0, "needed"),
        other => panic!("needed: {other:?}"),
    }
    assert_eq!(forecast.status, ForecastStatus::Secured);
    close(forecast.probability.unwrap(), 1.0, "probability");
}

#[test]
fn a_target_beyond_the_best_reachable_value_is_unreachable() {
    // CSAT 10 of 40 = 25 % on day 10 of 30: needed = 85 + (85 − 25) × 40 / 80
    // = 115 % > 100.
    let csat = ratio(KpiId::Csat, 10.0, 40.0);
    let forecast =
        forecast_kpi(&csat, Some(&rule(Target::AtLeast(85.0), 1)), days(10, 20)).unwrap();
    assert_eq!(forecast.needed, Some(Target::AtLeast(115.0)));
    assert_eq!(forecast.status, ForecastStatus::Unreachable);
    assert_eq!(forecast.probability, Some(0.0));

    // AHT 600 s over 50 contacts on day 18 of 30, target <= 300:
    // d_rem = 50 × 12 / 18 = 33.33; needed = 300 + (300 − 600) × 50 / 33.33
    // = 300 − 450 = −150 s: no duration is that short.
    let aht = ratio(KpiId::Aht, 30_000.0, 50.0);
    let forecast = forecast_kpi(&aht, Some(&rule(Target::AtMost(300.0), 1)), days(18, 12)).unwrap();
    match forecast.needed {
        Some(Target::AtMost(needed)) => close(needed, -150.0, "needed"),
        other => panic!("needed: {other:?}"),
    }
    assert_eq!(forecast.probability, None, "a mean has no probability");
    assert_eq!(forecast.status, ForecastStatus::Unreachable);
}

#[test]
fn a_range_target_needs_a_range_of_the_rest() {
    // Occupancy 19,000 of 20,000 logged-in seconds = 95 % at half time,
    // target 75-90: d_rem = 20,000; low = 75 + (75 − 95) × 1 = 55,
    // high = 90 + (90 − 95) × 1 = 85. Reachable, no probability (not a
    // proportion of trials), projected 95 outside the range: AT_RISK.
    let occupancy = ratio(KpiId::Occupancy, 19_000.0, 20_000.0);
    let range = Target::Between {
        low: 75.0,
        high: 90.0,
    };
    let forecast = forecast_kpi(&occupancy, Some(&rule(range, 1)), days(15, 15)).unwrap();
    assert_eq!(forecast.expected_remaining, 20_000.0);
    assert_eq!(
        forecast.needed,
        Some(Target::Between {
            low: 55.0,
            high: 85.0
        })
    );
    assert_eq!(forecast.projected, Some(95.0));
    assert_eq!(forecast.probability, None);
    assert_eq!(forecast.status, ForecastStatus::AtRisk);

    // 80 % inside the range: projected inside, ON_TRACK; needed 70-100.
    let inside = ratio(KpiId::Occupancy, 16_000.0, 20_000.0);
    let forecast = forecast_kpi(&inside, Some(&rule(range, 1)), days(15, 15)).unwrap();
    assert_eq!(
        forecast.needed,
        Some(Target::Between {
            low: 70.0,
            high: 100.0
        })
    );
    assert_eq!(forecast.status, ForecastStatus::OnTrack);
}

#[test]
fn counts_are_projected_at_the_same_pace() {
    // 400 contacts at half time, target >= 1,000: projected 800, the rest
    // must bring 600 (d_rem = 400 expected): AT_RISK.
    let contacts = count(KpiId::ContactsHandled, 400);
    let target = rule(Target::AtLeast(1_000.0), 1);
    let forecast = forecast_kpi(&contacts, Some(&target), days(15, 15)).unwrap();
    assert_eq!(forecast.expected_remaining, 400.0);
    assert_eq!(forecast.projected, Some(800.0));
    assert_eq!(forecast.needed, Some(Target::AtLeast(600.0)));
    assert_eq!(forecast.probability, None);
    assert_eq!(forecast.status, ForecastStatus::AtRisk);
    // 600 at half time: projected 1,200: ON_TRACK; 1,000 already: SECURED.
    let ahead = forecast_kpi(
        &count(KpiId::ContactsHandled, 600),
        Some(&target),
        days(15, 15),
    );
    assert_eq!(ahead.unwrap().status, ForecastStatus::OnTrack);
    let done = forecast_kpi(
        &count(KpiId::ContactsHandled, 1_000),
        Some(&target),
        days(15, 15),
    );
    assert_eq!(done.unwrap().status, ForecastStatus::Secured);
}

#[test]
fn violations_leave_the_rest_an_allowance() {
    let at_most_one = rule(Target::AtMost(1.0), 10);
    // 2 violations by day 10: remaining allowed 1 − 2 = −1: UNREACHABLE.
    let over = forecast_kpi(
        &count(KpiId::Violations, 2),
        Some(&at_most_one),
        days(10, 20),
    )
    .unwrap();
    assert_eq!(over.needed, Some(Target::AtMost(-1.0)));
    assert_eq!(over.status, ForecastStatus::Unreachable);
    // 1 by day 10: allowed 0 more; projected 1 × 3 = 3 > 1: AT_RISK
    // (violations are counts: the minimum sample of 10 does not apply).
    let one = forecast_kpi(
        &count(KpiId::Violations, 1),
        Some(&at_most_one),
        days(10, 20),
    )
    .unwrap();
    assert_eq!(one.needed, Some(Target::AtMost(0.0)));
    assert_eq!(one.expected_remaining, 2.0);
    assert_eq!(one.projected, Some(3.0));
    assert_eq!(one.status, ForecastStatus::AtRisk);
    // None by day 10: allowed 1, projected 0: ON_TRACK (never SECURED:
    // nothing caps the violations still to come).
    let none = forecast_kpi(
        &count(KpiId::Violations, 0),
        Some(&at_most_one),
        days(10, 20),
    )
    .unwrap();
    assert_eq!(none.needed, Some(Target::AtMost(1.0)));
    assert_eq!(none.status, ForecastStatus::OnTrack);
}

#[test]
fn a_sample_below_the_minimum_is_insufficient_data_with_its_numbers() {
    // 3 of 4 CSAT responses, minimum 10: d_rem = 4 × 20 / 10 = 8.
    let csat = ratio(KpiId::Csat, 3.0, 4.0);
    let forecast =
        forecast_kpi(&csat, Some(&rule(Target::AtLeast(85.0), 10)), days(10, 20)).unwrap();
    assert_eq!(forecast.status, ForecastStatus::InsufficientData);
    assert_eq!(forecast.expected_remaining, 8.0);
    assert_eq!(forecast.projected, Some(75.0));
    // No responses at all: no value, nothing to project.
    let none = ratio(KpiId::Csat, 0.0, 0.0);
    let forecast = forecast_kpi(&none, Some(&rule(Target::AtLeast(85.0), 0)), days(10, 20));
    let forecast = forecast.unwrap();
    assert_eq!(forecast.status, ForecastStatus::InsufficientData);
    assert_eq!((forecast.projected, forecast.needed), (None, None));
    // Without a target there is no forecast.
    let no_target = KpiRule {
        target: None,
        ..rule(Target::AtLeast(0.0), 0)
    };
    assert_eq!(forecast_kpi(&csat, Some(&no_target), days(10, 20)), None);
    assert_eq!(forecast_kpi(&csat, None, days(10, 20)), None);
}

#[test]
fn the_elapsed_fraction_needs_an_instant_strictly_inside_the_period() {
    let start = chrono::DateTime::from_timestamp(1_000_000, 0).unwrap();
    let end = start + chrono::Duration::days(30);
    let period = Period { start, end };
    assert_eq!(Elapsed::of(&period, start), None);
    assert_eq!(Elapsed::of(&period, end), None);
    let tenth_day = Elapsed::of(&period, start + chrono::Duration::days(10)).unwrap();
    assert_eq!(tenth_day, days(10, 20));
}

#[test]
fn ln_gamma_matches_factorials() {
    for k in [1_u64, 2, 5, 10, 50, 170, 1_000] {
        let expected = ln_factorial(k - 1);
        let actual = ln_gamma(k as f64);
        assert!(
            (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "ln Γ({k}) = {actual}, expected {expected}"
        );
    }
}

/// A value of `kpi` with `denominator` observations at position `share`
/// (0-1) of its possible values (means up to 1,000 s), on whole numerators.
fn value_at(kpi: KpiId, denominator: u64, share: f64) -> KpiValue {
    if kpi.is_count() {
        return count(kpi, (share * 20.0).round() as u64);
    }
    let definition = kpi.definition();
    let (lowest, highest) = definition.possible_range;
    let highest = highest.min(1_000.0);
    let den = denominator as f64;
    let low_num = lowest * den / definition.scale;
    let high_num = highest * den / definition.scale;
    ratio(kpi, (low_num + share * (high_num - low_num)).round(), den)
}

fn target_at(kpi: KpiId, kind: u8, first: f64, second: f64) -> Target {
    let (lowest, highest) = if kpi.is_count() {
        (0.0, 20.0)
    } else {
        let (lowest, highest) = kpi.definition().possible_range;
        (lowest, highest.min(1_000.0))
    };
    let at = |share: f64| (lowest + share * (highest - lowest)).round();
    match kind {
        0 => Target::AtLeast(at(first)),
        1 => Target::AtMost(at(first)),
        _ => Target::Between {
            low: at(first.min(second)),
            high: at(first.max(second)),
        },
    }
}

proptest! {
    #[test]
    fn the_probabilities_of_every_outcome_add_up_to_one(
        observed in 0_u64..400,
        success_share in 0.0_f64..=1.0,
        trials in 0_u64..3_000,
    ) {
        let successes = (observed as f64 * success_share).round() as u64;
        let total: f64 = BetaBinomial::after(successes, observed, trials)
            .probabilities()
            .into_iter()
            .sum();
        prop_assert!((total - 1.0).abs() < 1e-9, "sum {}", total);
    }

    #[test]
    fn at_the_very_end_the_forecast_agrees_with_the_final_status(
        kpi_index in 0_usize..24,
        denominator in 1_u64..300,
        share in 0.0_f64..=1.0,
        kind in 0_u8..3,
        first in 0.0_f64..=1.0,
        second in 0.0_f64..=1.0,
        min_sample_size in 0_u64..50,
    ) {
        let kpi = KpiId::ALL[kpi_index];
        let value = value_at(kpi, denominator, share);
        let rule = rule(target_at(kpi, kind, first, second), min_sample_size);
        // f = 1 − 1e-15: a microsecond left of a period of 31 years.
        let elapsed = Elapsed::new(1_000_000_000_000_000, 1).unwrap();
        let forecast = forecast_kpi(&value, Some(&rule), elapsed).unwrap();
        let final_status = assess(Some(&rule), &value).status;
        let agrees = match final_status {
            KpiStatus::Met | KpiStatus::AtRisk => matches!(
                forecast.status,
                ForecastStatus::Secured | ForecastStatus::OnTrack
            ),
            KpiStatus::Breached => matches!(
                forecast.status,
                ForecastStatus::AtRisk | ForecastStatus::WillMiss | ForecastStatus::Unreachable
            ),
            KpiStatus::InsufficientData => forecast.status == ForecastStatus::InsufficientData,
            KpiStatus::NoTarget => false,
        };
        prop_assert!(agrees, "{:?} {:?} final {:?}, forecast {:?}", value, rule, final_status, forecast);
    }
}
