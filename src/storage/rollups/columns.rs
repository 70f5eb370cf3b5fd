//! The rollup row's sum columns and how they map to [`KpiSums`]: one list,
//! so that writing, reading and verifying can never disagree on a column.
//! `worked_days` is not stored: it is not additive across teams of one day,
//! so reads count distinct days with contacts instead.

use crate::domain::kpi::KpiSums;

use super::super::StorageError;

macro_rules! rollup_columns {
    (integers: [$($int:ident),* $(,)?], floats: [$($float:ident),* $(,)?]) => {
        /// Integer sum columns, in storage order.
        pub const INTEGER_COLUMNS: &[&str] = &[$(stringify!($int)),*];
        /// Floating-point sum columns, in storage order.
        pub const FLOAT_COLUMNS: &[&str] = &[$(stringify!($float)),*];

        /// One rollup row's sums, signed so that a delta can remove what an
        /// earlier delivery added.
        #[derive(Debug, Clone, PartialEq)]
        pub struct SumColumns {
            pub integers: Vec<i64>,
            pub floats: Vec<f64>,
        }

        impl SumColumns {
            pub fn zero() -> Self {
                Self {
                    integers: vec![0; INTEGER_COLUMNS.len()],
                    floats: vec![0.0; FLOAT_COLUMNS.len()],
                }
            }

            /// The columns of `sums` (counts never exceed `i64::MAX`).
            pub fn of(sums: &KpiSums) -> Self {
                Self {
                    integers: vec![$(sums.$int as i64),*],
                    floats: vec![$(sums.$float),*],
                }
            }

            /// Back to sums; a negative count means the rollup is corrupt.
            pub fn to_sums(&self) -> Result<KpiSums, StorageError> {
                let mut sums = KpiSums::default();
                let mut integers = self.integers.iter().copied();
                $(
                    let value = integers.next().unwrap_or_default();
                    sums.$int = TryFrom::try_from(value).map_err(|_| {
                        StorageError::Corrupt(format!(
                            "rollup column {} holds {value}",
                            stringify!($int)
                        ))
                    })?;
                )*
                let mut floats = self.floats.iter().copied();
                $( sums.$float = floats.next().unwrap_or_default(); )*
                Ok(sums)
            }
        }
    };
}

rollup_columns!(
    integers: [
        contacts,
        handle_seconds,
        responses_timed,
        response_micros,
        resolutions_timed,
        resolution_micros,
        first_contact_resolved,
        resolved,
        escalated,
        transferred,
        solo_resolved,
        with_sla,
        overdue,
        agent_errors,
        complaints,
        qa_evaluations,
        criterion_ratings,
        criterion_rating_total,
        csat_responses,
        csat_satisfied,
        nps_responses,
        nps_promoters,
        nps_detractors,
        ces_responses,
        ces_easy,
        process_checks,
        process_passed,
        privacy_checks,
        privacy_passed,
        violations,
        training_due,
        training_on_time,
        agent_time_records,
        handling_seconds,
        logged_in_seconds,
        scheduled_seconds,
    ],
    floats: [qa_score, qa_max_score]
);

impl SumColumns {
    /// Adds `other` times `sign` (+1 or -1).
    pub fn add_signed(&mut self, other: &SumColumns, sign: i64) {
        for (mine, theirs) in self.integers.iter_mut().zip(&other.integers) {
            *mine += sign * theirs;
        }
        for (mine, theirs) in self.floats.iter_mut().zip(&other.floats) {
            *mine += sign as f64 * theirs;
        }
    }

    /// True when every column is zero (a delta with nothing to apply).
    pub fn is_zero(&self) -> bool {
        self.integers.iter().all(|value| *value == 0) && self.floats.iter().all(|v| *v == 0.0)
    }

    /// Equal, with floating-point sums compared to a relative 1e-9 (they
    /// are summed in another order by the database than by the oracle).
    pub fn nearly_equal(&self, other: &SumColumns) -> bool {
        self.integers == other.integers
            && self.floats.iter().zip(&other.floats).all(|(a, b)| {
                let scale = a.abs().max(b.abs()).max(1.0);
                (a - b).abs() <= 1e-9 * scale
            })
    }
}

/// The select items that sum every column over a group of rollup rows,
/// each named after its column (integers cast back to `BIGINT`, which
/// PostgreSQL's `SUM` would widen to `NUMERIC`).
pub fn summed_columns() -> impl Iterator<Item = String> {
    INTEGER_COLUMNS
        .iter()
        .map(|column| format!("CAST(SUM({column}) AS BIGINT) AS {column}"))
        .chain(
            FLOAT_COLUMNS
                .iter()
                .map(|column| format!("SUM({column}) AS {column}")),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_additive_sum_round_trips_through_the_columns() {
        let sums = KpiSums {
            contacts: 3,
            response_micros: -5,
            scheduled_seconds: 28_800,
            agent_time_records: 2,
            qa_score: 42.5,
            ..KpiSums::default()
        };
        let columns = SumColumns::of(&sums);
        assert_eq!(columns.to_sums().unwrap(), sums);
        assert_eq!(INTEGER_COLUMNS.len(), columns.integers.len());
    }

    #[test]
    fn a_removed_delivery_leaves_zero() {
        let sums = KpiSums {
            csat_responses: 1,
            qa_score: 0.1,
            ..KpiSums::default()
        };
        let one = SumColumns::of(&sums);
        let mut total = SumColumns::zero();
        total.add_signed(&one, 1);
        total.add_signed(&one, -1);
        assert!(total.is_zero());
    }

    #[test]
    fn a_negative_count_is_reported_as_corrupt() {
        let mut columns = SumColumns::zero();
        columns.integers[0] = -1;
        assert!(columns.to_sums().is_err());
    }
}
