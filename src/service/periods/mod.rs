//! The use cases behind `PeriodService`: closing a pay period (a month
//! unless configured otherwise), restating it,
//! reading its state, and the adjustments that late data made since; and
//! the reads of a closed month that scorecard reads answer from.
//!
//! - `close`: ClosePeriod and RestatePeriod, each one transaction that
//!   takes the numbers lock exclusive and computes its snapshot inside it;
//! - `adjustments`: ListAdjustments.
//!
//! How snapshots are stored and read back is `service::snapshots`.

mod adjustment_sides;
mod adjustments;
mod close;

pub use adjustment_sides::{AdjustedAgent, MAX_RECORDS_PER_AGENT};
pub use adjustments::{AdjustmentsPage, AdjustmentsQuery};
pub use close::{CloseOutcome, RestateOutcome};

use std::sync::Arc;

use chrono_tz::Tz;

use crate::{
    domain::{
        closing::{ClosedPeriod, PayPeriod},
        pay_period::PayCalendar,
    },
    error::ServiceError,
    service::{
        pagination::{decode_token, page_size_within, request_fingerprint, trim_page},
        snapshots::SnapshotEncoding,
    },
    storage::{periods, Database},
};

const DEFAULT_PERIODS_PAGE: u64 = 100;
const MAX_PERIODS_PAGE: u64 = 1_000;

/// A page of closed months, newest first, and the next page's token
/// (empty on the last).
#[derive(Debug, Clone)]
pub struct PeriodsPage {
    pub periods: Vec<ClosedPeriod>,
    pub next_page_token: String,
}

/// An answer, or the stored answer of the first call with the same
/// request id (in the API's encoding).
#[derive(Debug, Clone)]
pub enum Answer<T> {
    Fresh(T),
    Replayed(Vec<u8>),
}

/// The responses of closes and restatements, in the API's encoding: a
/// retry with the same request id gets the first one back byte for byte.
pub trait ResponseEncoding: Send + Sync {
    fn close_response(&self, outcome: &CloseOutcome) -> Vec<u8>;
    fn restate_response(&self, outcome: &RestateOutcome) -> Vec<u8>;
}

/// Closing and restating months.
#[derive(Clone)]
pub struct Periods {
    database: Database,
    zone: Tz,
    calendar: PayCalendar,
    encoding: Arc<dyn SnapshotEncoding>,
    responses: Arc<dyn ResponseEncoding>,
}

impl Periods {
    pub fn new(
        database: Database,
        zone: Tz,
        encoding: Arc<dyn SnapshotEncoding>,
        responses: Arc<dyn ResponseEncoding>,
    ) -> Self {
        Self {
            database,
            zone,
            calendar: PayCalendar::Month,
            encoding,
            responses,
        }
    }

    /// The same use cases, closing pay periods of `calendar` (calendar
    /// months unless set).
    pub fn with_pay_calendar(self, calendar: PayCalendar) -> Self {
        Self { calendar, ..self }
    }

    /// The reporting time zone pay periods are cut in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Which periods payroll closes.
    pub fn calendar(&self) -> PayCalendar {
        self.calendar
    }

    /// The pay period's closing, if it is closed.
    pub async fn get_period(
        &self,
        pay_period: &PayPeriod,
    ) -> Result<Option<ClosedPeriod>, ServiceError> {
        Ok(periods::closed_period(self.database.connection(), &pay_period.key).await?)
    }

    /// Closed months, newest first, in pages.
    pub async fn list_periods(
        &self,
        page_size: i32,
        page_token: &str,
    ) -> Result<PeriodsPage, ServiceError> {
        let size = page_size_within(page_size, DEFAULT_PERIODS_PAGE, MAX_PERIODS_PAGE)?;
        let fingerprint = request_fingerprint(&["periods"]);
        let before = decode_token(page_token, &fingerprint)?;
        let mut closed =
            periods::list_closed_periods(self.database.connection(), before.as_deref(), size + 1)
                .await?;
        let next_page_token = trim_page(&mut closed, size, &fingerprint, |period| {
            period.month.clone()
        });
        Ok(PeriodsPage {
            periods: closed,
            next_page_token,
        })
    }
}

/// FAILED_PRECONDITION: the pay period `key` is not closed.
fn not_closed(key: &str) -> ServiceError {
    ServiceError::FailedPrecondition {
        reason: "PERIOD_NOT_CLOSED",
        message: format!("pay period {key} is not closed; close it with PeriodService.ClosePeriod"),
        month: key.to_owned(),
    }
}

/// INVALID_ARGUMENT: a request id reused for another request.
pub fn request_id_reused() -> ServiceError {
    ServiceError::invalid_field(
        "request_id",
        "request_id was already used for a different request; use a new id for a new request",
    )
}
