use super::{cursor, kpi_bit, position_of, result_moved, split_position, MovedKpis, KPI_SLOTS};
use crate::domain::{
    kpi::{KpiId, KpiSums},
    period::Period,
    scorecard::{judge, AppliedPolicy, Scorecard},
};

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

fn scorecard(contacts: u64, handle_seconds: i64) -> Scorecard {
    let november = Period {
        start: chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .to_utc(),
        end: chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .to_utc(),
    };
    let sums = KpiSums {
        contacts,
        worked_days: u64::from(contacts > 0),
        handle_seconds,
        ..KpiSums::default()
    };
    judge(
        &sums,
        AppliedPolicy::from_version(None),
        None,
        november,
        None,
    )
}

fn index_of(kpi: KpiId) -> usize {
    scorecard(0, 0)
        .values
        .iter()
        .position(|value| value.kpi == kpi)
        .unwrap()
}

#[test]
fn a_position_names_its_row_and_kpi() {
    assert_eq!(position_of(7, 3), 7 * KPI_SLOTS + 3);
    assert_eq!(split_position(position_of(7, 3)), (7, 3));
    assert_eq!(split_position(position_of(7, 31)), (7, 31));
    assert_eq!(split_position(0), (0, 0));
}

/// Two contacts of 300 s, then a third of 600 s: contacts 2 -> 3 and AHT
/// 300 -> 400 move; the catalogue's other interaction KPIs have no value
/// on either side and do not.
#[test]
fn only_kpis_whose_status_value_or_forecast_status_moved_are_reported() {
    let before = scorecard(2, 600);
    let after = scorecard(3, 1_200);
    let contacts = index_of(KpiId::ContactsHandled);
    let aht = index_of(KpiId::Aht);
    let csat = index_of(KpiId::Csat);
    assert!(result_moved(&before, &after, contacts));
    assert!(result_moved(&before, &after, aht));
    assert!(!result_moved(&before, &after, csat));
    assert!(!result_moved(&before, &before, contacts));
    let moved = MovedKpis::of(&before, &after);
    assert_ne!(moved.candidates & kpi_bit(contacts), 0);
    assert_ne!(moved.candidates & kpi_bit(aht), 0);
    assert_eq!(moved.candidates & kpi_bit(csat), 0);
    assert!(MovedKpis::of(&before, &before).is_empty());
}

/// Same value, other numbers (AHT 300 s over 2 contacts, then over 4):
/// a candidate (its forecast could move), but without a forecast nothing
/// is reported.
#[test]
fn numbers_that_move_without_the_value_are_candidates_only() {
    let before = scorecard(2, 600);
    let after = scorecard(4, 1_200);
    let aht = index_of(KpiId::Aht);
    assert_ne!(MovedKpis::of(&before, &after).candidates & kpi_bit(aht), 0);
    assert!(!result_moved(&before, &after, aht));
}
