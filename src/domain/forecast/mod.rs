//! Pace and forecast of a period in progress (spec: "Pace and forecast"):
//! for each KPI with a target, read as of an instant `a` inside the period,
//! how much of the period has passed, what sample the rest is expected to
//! bring, where the KPI is heading, what the rest must reach on its own to
//! meet the target, how likely that is, and a forecast status. Pure.
//!
//! The formulas, with `f = (a − start) / (end − start)` in real seconds:
//! - expected remaining denominator `d_rem = den × (1 − f) / f` (for the
//!   counts `contacts_handled` and `violations`, `den` is the count), and
//!   its whole number `m = floor(d_rem + 0.5)`;
//! - projected value: counts `count / f`, every other KPI its value now;
//! - needed: for `value = scale × num / den` and a target bound `T`,
//!   `(T / scale × (den + d_rem) − num) / d_rem × scale`, computed as the
//!   equal `T + (T − value) × den / d_rem` (no cancellation of large
//!   terms); for counts the count the rest must bring (`T − count`: at
//!   least that many contacts, at most that many violations); a range
//!   target gives a range;
//! - SECURED when even the worst value the rest can take meets it,
//!   UNREACHABLE when even the best cannot (the KPI's possible values:
//!   rates 0-100, NPS −100..100, call rating 1-5, means and counts ≥ 0);
//! - probability (proportion KPIs only) from [`BetaBinomial`];
//! - status: INSUFFICIENT_DATA below the minimum sample, else SECURED or
//!   UNREACHABLE, else by probability (ON_TRACK ≥ 0.7, AT_RISK ≥ 0.3,
//!   WILL_MISS below), else ON_TRACK when the projected value meets the
//!   target and AT_RISK when it does not.

mod beta_binomial;

pub use beta_binomial::{ln_gamma, BetaBinomial};

use chrono::{DateTime, Utc};

use super::{
    kpi::{KpiId, KpiValue},
    period::Period,
    policy::{Assessment, KpiRule, Target},
};

/// Tolerance of boundary comparisons, as in judging: floating-point noise
/// never flips a verdict.
const TOLERANCE: f64 = 1e-9;
/// Probability from which a KPI is ON_TRACK.
pub const ON_TRACK_PROBABILITY: f64 = 0.7;
/// Probability from which (below ON_TRACK) a KPI is AT_RISK; below it WILL_MISS.
pub const AT_RISK_PROBABILITY: f64 = 0.3;
/// Beyond this many expected remaining trials no probability is given
/// (a period only just begun): summing every outcome would cost too much,
/// and the status falls back to the projected value.
pub const MAX_PROBABILITY_TRIALS: u64 = 10_000_000;

/// How far a period in progress has come at an instant: real time passed
/// and left, in microseconds (both > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    elapsed_us: i64,
    remaining_us: i64,
}

impl Elapsed {
    /// The pace of `period` at `as_of`; `None` unless `as_of` lies strictly
    /// inside it (at its start nothing has passed to extrapolate from).
    pub fn of(period: &Period, as_of: DateTime<Utc>) -> Option<Self> {
        (period.start < as_of && as_of < period.end).then(|| Self {
            elapsed_us: (as_of - period.start)
                .num_microseconds()
                .unwrap_or(i64::MAX),
            remaining_us: (period.end - as_of).num_microseconds().unwrap_or(i64::MAX),
        })
    }

    /// Time passed and time left, each > 0 (for tests and benchmarks).
    pub fn new(elapsed_us: i64, remaining_us: i64) -> Option<Self> {
        (elapsed_us > 0 && remaining_us > 0).then_some(Self {
            elapsed_us,
            remaining_us,
        })
    }

    /// `f`, the elapsed fraction, 0 < f < 1.
    pub fn fraction(&self) -> f64 {
        self.elapsed_us as f64 / (self.elapsed_us as f64 + self.remaining_us as f64)
    }

    /// `d_rem = so_far × (1 − f) / f`, as `so_far × left / passed`.
    pub fn expected_remaining(&self, so_far: f64) -> f64 {
        so_far * self.remaining_us as f64 / self.elapsed_us as f64
    }

    /// `count / f` at the same pace, as `count × (passed + left) / passed`.
    pub fn projected_count(&self, count: f64) -> f64 {
        count * (self.elapsed_us as f64 + self.remaining_us as f64) / self.elapsed_us as f64
    }
}

/// A KPI's forecast status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForecastStatus {
    Secured,
    OnTrack,
    AtRisk,
    WillMiss,
    Unreachable,
    InsufficientData,
}

impl ForecastStatus {
    /// WILL_MISS or UNREACHABLE: forecast to miss the target.
    pub fn is_miss(self) -> bool {
        matches!(self, ForecastStatus::WillMiss | ForecastStatus::Unreachable)
    }
}

/// The forecast of one KPI with a target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KpiForecast {
    pub kpi: KpiId,
    /// `f`.
    pub elapsed_fraction: f64,
    /// `d_rem`.
    pub expected_remaining: f64,
    /// `m = floor(d_rem + 0.5)`.
    pub expected_remaining_whole: u64,
    /// The value at period end at this pace; `None` without a value now.
    pub projected: Option<f64>,
    /// What the rest of the period must reach on its own (for counts: the
    /// count it may or must bring); `None` without a value now.
    pub needed: Option<Target>,
    /// P(the target is met at period end), proportion KPIs only.
    pub probability: Option<f64>,
    pub status: ForecastStatus,
}

/// The proportion KPIs: successes among trials, with a probability.
pub fn has_probability(kpi: KpiId) -> bool {
    matches!(
        kpi,
        KpiId::FcrRate
            | KpiId::ResolutionRate
            | KpiId::EscalationRate
            | KpiId::TransferRate
            | KpiId::SoloResolutionRate
            | KpiId::OverdueRate
            | KpiId::ErrorRate
            | KpiId::Csat
            | KpiId::Ces
            | KpiId::ComplaintRate
            | KpiId::ProcessCompliance
            | KpiId::PrivacyCompliance
            | KpiId::TrainingCompletion
    )
}

/// The values the rest of the period can take: the KPI's possible values,
/// or for counts any count from 0 up.
fn reachable(kpi: KpiId) -> (f64, f64) {
    if kpi.is_count() {
        (0.0, f64::INFINITY)
    } else {
        kpi.definition().possible_range
    }
}

/// (SECURED, UNREACHABLE) for what the rest needs.
fn judge_needed(kpi: KpiId, needed: Target) -> (bool, bool) {
    let (lowest, highest) = reachable(kpi);
    match needed {
        Target::AtLeast(bound) => (bound <= lowest + TOLERANCE, bound > highest + TOLERANCE),
        Target::AtMost(bound) => (bound >= highest - TOLERANCE, bound < lowest - TOLERANCE),
        Target::Between { low, high } => (
            low <= lowest + TOLERANCE && high >= highest - TOLERANCE,
            low > highest + TOLERANCE || high < lowest - TOLERANCE,
        ),
    }
}

/// What the rest must reach for the period to end exactly on `target`.
fn needed(value: &KpiValue, current: f64, target: Target, d_rem: f64) -> Target {
    let for_bound = |bound: f64| {
        if value.kpi.is_count() {
            bound - current
        } else {
            bound + (bound - current) * value.denominator / d_rem
        }
    };
    match target {
        Target::AtLeast(bound) => Target::AtLeast(for_bound(bound)),
        Target::AtMost(bound) => Target::AtMost(for_bound(bound)),
        Target::Between { low, high } => Target::Between {
            low: for_bound(low),
            high: for_bound(high),
        },
    }
}

/// P(the period-end rate meets `target`) for a proportion KPI.
fn probability(value: &KpiValue, target: Target, trials: u64) -> Option<f64> {
    if !has_probability(value.kpi) || trials > MAX_PROBABILITY_TRIALS {
        return None;
    }
    let successes = value.numerator.round().max(0.0) as u64;
    let observed = value.denominator.round().max(0.0) as u64;
    let scale = value.kpi.definition().scale;
    let total = (observed + trials) as f64;
    let distribution = BetaBinomial::after(successes, observed, trials);
    Some(distribution.probability_that(|extra| {
        let final_rate = (successes + extra) as f64 * scale / total;
        target.margin(final_rate) >= -TOLERANCE
    }))
}

/// The forecast of one KPI at `elapsed`; `None` without a target.
pub fn forecast_kpi(
    value: &KpiValue,
    rule: Option<&KpiRule>,
    elapsed: Elapsed,
) -> Option<KpiForecast> {
    let rule = rule?;
    let target = rule.target?;
    let kpi = value.kpi;
    let so_far = if kpi.is_count() {
        value.numerator
    } else {
        value.denominator
    };
    let expected_remaining = elapsed.expected_remaining(so_far);
    // `as` saturates: an absurd expectation becomes u64::MAX, never wraps.
    let expected_remaining_whole = (expected_remaining + 0.5).floor() as u64;
    let mut forecast = KpiForecast {
        kpi,
        elapsed_fraction: elapsed.fraction(),
        expected_remaining,
        expected_remaining_whole,
        projected: None,
        needed: None,
        probability: None,
        status: ForecastStatus::InsufficientData,
    };
    let Some(current) = value.value else {
        return Some(forecast);
    };
    let projected = if kpi.is_count() {
        elapsed.projected_count(current)
    } else {
        current
    };
    forecast.projected = Some(projected);
    // With a value, a proportion's d_rem > 0; a count of 0 expects no more.
    let needed = needed(value, current, target, expected_remaining);
    forecast.needed = Some(needed);
    forecast.probability = probability(value, target, expected_remaining_whole);
    let below_minimum = !kpi.is_count() && value.sample_size < rule.min_sample_size;
    let (secured, unreachable) = judge_needed(kpi, needed);
    forecast.status = if below_minimum {
        ForecastStatus::InsufficientData
    } else if secured {
        ForecastStatus::Secured
    } else if unreachable {
        ForecastStatus::Unreachable
    } else {
        match forecast.probability {
            Some(p) if p >= ON_TRACK_PROBABILITY => ForecastStatus::OnTrack,
            Some(p) if p >= AT_RISK_PROBABILITY => ForecastStatus::AtRisk,
            Some(_) => ForecastStatus::WillMiss,
            None if target.margin(projected) >= -TOLERANCE => ForecastStatus::OnTrack,
            None => ForecastStatus::AtRisk,
        }
    };
    Some(forecast)
}

/// The forecasts of a scorecard's values, one per value (in their order),
/// each judged by the rule its assessment applied.
pub fn forecast_all(
    values: &[KpiValue],
    assessments: &[Assessment],
    elapsed: Elapsed,
) -> Vec<Option<KpiForecast>> {
    values
        .iter()
        .zip(assessments)
        .map(|(value, assessment)| forecast_kpi(value, assessment.rule.as_ref(), elapsed))
        .collect()
}

#[cfg(test)]
mod tests;
