//! A change row's sums as stored: one compact protobuf message (this
//! module's own, not the API's) holding the sums before and after the
//! write and the agent goals that judged them. Counts are zig-zag
//! varints in packed lists (a column that holds 0 costs one byte), so a
//! row's numbers take about 100-200 bytes, instead of two JSON results
//! for each KPI that moved.

use prost::Message;

use crate::{
    domain::kpi::KpiSums,
    storage::{rollups::columns::SumColumns, StorageError},
};

#[derive(Clone, PartialEq, Message)]
struct StoredSides {
    /// The rollup columns' integers before, then worked days.
    #[prost(sint64, repeated, tag = "1")]
    before_integers: Vec<i64>,
    #[prost(double, repeated, tag = "2")]
    before_floats: Vec<f64>,
    #[prost(sint64, repeated, tag = "3")]
    after_integers: Vec<i64>,
    #[prost(double, repeated, tag = "4")]
    after_floats: Vec<f64>,
    #[prost(int64, repeated, tag = "5")]
    goal_ids: Vec<i64>,
    /// The policy version of the side before, when it differs from the
    /// row's `policy_version_id` column (the side after).
    #[prost(int64, optional, tag = "6")]
    policy_before_id: Option<i64>,
    #[prost(bool, tag = "7")]
    policy_before_is_catalogue: bool,
}

/// What a row's bytes hold besides its columns.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RowSums {
    pub before: KpiSums,
    pub after: KpiSums,
    pub goal_ids: Vec<i64>,
    pub policy_before_id: Option<i64>,
}

fn integers_of(sums: &KpiSums) -> (Vec<i64>, Vec<f64>) {
    let columns = SumColumns::of(sums);
    let mut integers = columns.integers;
    integers.push(sums.worked_days as i64);
    (integers, columns.floats)
}

fn sums_of(mut integers: Vec<i64>, floats: Vec<f64>) -> Result<KpiSums, StorageError> {
    let corrupt = || StorageError::Corrupt("change sums".into());
    let worked_days = integers.pop().ok_or_else(corrupt)?;
    let columns = SumColumns { integers, floats };
    if columns.integers.len() != SumColumns::zero().integers.len()
        || columns.floats.len() != SumColumns::zero().floats.len()
    {
        return Err(corrupt());
    }
    let mut sums = columns.to_sums()?;
    sums.worked_days = u64::try_from(worked_days).map_err(|_| corrupt())?;
    Ok(sums)
}

/// The stored bytes of a row's sums, goals and policy before (`after_policy`
/// is the row's own column).
pub(super) fn encode_sums(row: &RowSums, after_policy: Option<i64>) -> Vec<u8> {
    let (before_integers, before_floats) = integers_of(&row.before);
    let (after_integers, after_floats) = integers_of(&row.after);
    let differs = row.policy_before_id != after_policy;
    StoredSides {
        before_integers,
        before_floats,
        after_integers,
        after_floats,
        goal_ids: row.goal_ids.clone(),
        policy_before_id: row.policy_before_id.filter(|_| differs),
        policy_before_is_catalogue: differs && row.policy_before_id.is_none(),
    }
    .encode_to_vec()
}

/// A row's sums, goals and policy before from its bytes and its
/// `policy_version_id` column.
pub(super) fn decode_sums(
    bytes: &[u8],
    after_policy: Option<i64>,
) -> Result<RowSums, StorageError> {
    let stored = StoredSides::decode(bytes)
        .map_err(|_| StorageError::Corrupt("change sums document".into()))?;
    let policy_before_id = match (stored.policy_before_id, stored.policy_before_is_catalogue) {
        (Some(id), _) => Some(id),
        (None, true) => None,
        (None, false) => after_policy,
    };
    Ok(RowSums {
        before: sums_of(stored.before_integers, stored.before_floats)?,
        after: sums_of(stored.after_integers, stored.after_floats)?,
        goal_ids: stored.goal_ids,
        policy_before_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_goals_round_trip() {
        let before = KpiSums {
            contacts: 2,
            worked_days: 1,
            response_micros: 90_000_000,
            qa_score: 42.5,
            ..KpiSums::default()
        };
        let after = KpiSums {
            contacts: 3,
            worked_days: 2,
            ..before.clone()
        };
        let row = RowSums {
            before,
            after,
            goal_ids: vec![7, 9],
            policy_before_id: Some(3),
        };
        let bytes = encode_sums(&row, Some(3));
        assert!(bytes.len() < 200, "{} bytes", bytes.len());
        assert_eq!(decode_sums(&bytes, Some(3)).unwrap(), row);
        // A new policy version: before by version 3, after by 4; and
        // before by the catalogue's defaults.
        let moved = RowSums {
            policy_before_id: Some(3),
            ..row.clone()
        };
        assert_eq!(
            decode_sums(&encode_sums(&moved, Some(4)), Some(4)).unwrap(),
            moved
        );
        let first = RowSums {
            policy_before_id: None,
            ..row
        };
        assert_eq!(
            decode_sums(&encode_sums(&first, Some(4)), Some(4)).unwrap(),
            first
        );
        assert!(decode_sums(b"\xff\xff", None).is_err());
    }
}
