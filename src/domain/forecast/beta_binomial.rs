//! The Beta-binomial distribution of the successes among the rest of a
//! period's trials (spec: "Pace and forecast"): with `s` successes among
//! `n` trials so far and a uniform prior, the rate's posterior is
//! Beta(s + 1, n − s + 1), and `X`, the successes among `m` further trials,
//! is BetaBinomial(m, s + 1, n − s + 1).
//!
//! Every outcome's probability is summed exactly (no normal approximation):
//! the term at the mode comes from log-gamma, the others from the ratio of
//! neighbouring terms, so nothing overflows or underflows near the mass and
//! the cost is one multiplication per outcome.

/// Lanczos coefficients (g = 7, n = 9): ln Γ to about 1e-15 relative.
const LANCZOS_G: f64 = 7.0;
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// ln Γ(x) for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = LANCZOS[0];
    for (index, coefficient) in LANCZOS.iter().enumerate().skip(1) {
        sum += coefficient / (x + index as f64);
    }
    let t = x + LANCZOS_G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// ln B(p, q).
fn ln_beta(p: f64, q: f64) -> f64 {
    ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q)
}

/// BetaBinomial(trials, alpha, beta), alpha and beta > 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaBinomial {
    pub trials: u64,
    pub alpha: f64,
    pub beta: f64,
}

impl BetaBinomial {
    /// The posterior predictive of `trials` further trials after
    /// `successes` among `observed` (uniform prior).
    pub fn after(successes: u64, observed: u64, trials: u64) -> Self {
        let failures = observed.saturating_sub(successes);
        Self {
            trials,
            alpha: successes as f64 + 1.0,
            beta: failures as f64 + 1.0,
        }
    }

    /// ln P(X = x) by log-gamma.
    fn ln_pmf(&self, x: u64) -> f64 {
        let (m, x_f) = (self.trials as f64, x as f64);
        let ln_choose = ln_gamma(m + 1.0) - ln_gamma(x_f + 1.0) - ln_gamma(m - x_f + 1.0);
        ln_choose + ln_beta(x_f + self.alpha, m - x_f + self.beta) - ln_beta(self.alpha, self.beta)
    }

    /// P(X = x + 1) / P(X = x).
    fn ratio_up(&self, x: u64) -> f64 {
        let (m, x) = (self.trials as f64, x as f64);
        (m - x) * (x + self.alpha) / ((x + 1.0) * (m - x - 1.0 + self.beta))
    }

    /// The most likely outcome, or one next to it: where the terms are
    /// largest, so that walking away from it only shrinks them.
    fn mode(&self) -> u64 {
        let m = self.trials as f64;
        let mean = m * self.alpha / (self.alpha + self.beta);
        (mean.round().max(0.0) as u64).min(self.trials)
    }

    /// Calls `visit(x, P(X = x))` for every outcome with a probability
    /// f64 can hold, walking out from the mode (terms further out are
    /// smaller still, and 0 in f64 once one is).
    fn each_outcome(&self, mut visit: impl FnMut(u64, f64)) {
        let mode = self.mode();
        let at_mode = self.ln_pmf(mode).exp();
        visit(mode, at_mode);
        let mut term = at_mode;
        for x in mode..self.trials {
            term *= self.ratio_up(x);
            if term == 0.0 {
                break;
            }
            visit(x + 1, term);
        }
        let mut term = at_mode;
        for x in (0..mode).rev() {
            term /= self.ratio_up(x);
            if term == 0.0 {
                break;
            }
            visit(x, term);
        }
    }

    /// P(X = x) for every x in 0..=trials (for tests: it allocates them all).
    pub fn probabilities(&self) -> Vec<f64> {
        let mut terms = vec![0.0; usize::try_from(self.trials).unwrap_or(0) + 1];
        self.each_outcome(|x, probability| terms[x as usize] = probability);
        terms
    }

    /// P(meets(X)), summed over every outcome.
    pub fn probability_that(&self, meets: impl Fn(u64) -> bool) -> f64 {
        let mut total = 0.0;
        self.each_outcome(|x, probability| {
            if meets(x) {
                total += probability;
            }
        });
        total.clamp(0.0, 1.0)
    }
}
