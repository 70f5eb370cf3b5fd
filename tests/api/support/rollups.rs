//! The daily rollups checked against their oracle, the raw rows.

use chrono_tz::Tz;

use super::app::TestApp;

/// Asserts that `verify` recomputed `expected_days` local days of `zone`
/// (every day from the first to the last that holds a record or a rollup)
/// and found no difference: a verify that checked nothing proves nothing.
pub async fn assert_rollups_verify(app: &TestApp, zone: &str, expected_days: usize) {
    let zone: Tz = zone.parse().expect("not an IANA zone");
    let report = app
        .database
        .verify_rollups(zone)
        .await
        .expect("verify failed");
    assert!(
        report.differences.is_empty(),
        "rollups differ from raw rows: {:?}",
        report.differences
    );
    assert_eq!(report.days_checked, expected_days, "days checked by verify");
}
