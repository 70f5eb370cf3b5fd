use super::{cursor, KpiResultState};
use crate::domain::policy::KpiStatus;

fn state(status: KpiStatus, value: Option<f64>) -> KpiResultState {
    KpiResultState {
        value,
        numerator: 0.0,
        denominator: 0.0,
        sample_size: 0,
        status,
        margin: None,
        rule: None,
    }
}

#[test]
fn a_cursor_round_trips_and_names_its_database() {
    let token = cursor::encode("db-a", 42);
    assert_eq!(cursor::decode("db-a", &token), Ok(42));
    assert_eq!(
        cursor::decode("db-b", &token),
        Err(cursor::CursorError::OtherDatabase)
    );
}

#[test]
fn an_altered_cursor_is_malformed() {
    let token = cursor::encode("db-a", 42);
    let mut altered = token.clone().into_bytes();
    let last = altered.len() - 3;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert_eq!(
        cursor::decode("db-a", &altered),
        Err(cursor::CursorError::Malformed)
    );
    assert_eq!(
        cursor::decode("db-a", "not a cursor"),
        Err(cursor::CursorError::Malformed)
    );
}

#[test]
fn status_or_value_moves_count_other_fields_do_not() {
    let met = state(KpiStatus::Met, Some(90.0));
    assert!(!super::result_moved(&met, &met));
    assert!(super::result_moved(
        &met,
        &state(KpiStatus::Breached, Some(90.0))
    ));
    assert!(super::result_moved(
        &met,
        &state(KpiStatus::Met, Some(91.0))
    ));
    let mut margin_only = met;
    margin_only.margin = Some(1.0);
    assert!(!super::result_moved(&met, &margin_only));
}
