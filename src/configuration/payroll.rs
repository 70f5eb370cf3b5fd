//! Which periods payroll closes.

use chrono::NaiveDate;
use serde::Deserialize;

use super::SettingsError;
use crate::domain::pay_period::PayCalendar;

/// The pay-period kind: `month` (the default), `half_month` (1st-15th,
/// 16th-end), `iso_week`, or `two_weeks` counted from
/// `two_weeks_first_monday`. Closed periods record the kind (and the
/// reporting zone) they were closed under; with closed periods stored, a
/// service configured otherwise refuses to start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayrollSettings {
    pub pay_period: String,
    /// `YYYY-MM-DD`, a Monday; required for `two_weeks`, else ignored.
    pub two_weeks_first_monday: String,
}

impl PayrollSettings {
    /// The configured pay calendar (validated at load).
    pub fn pay_calendar(&self) -> PayCalendar {
        self.parse().unwrap_or(PayCalendar::Month)
    }

    fn parse(&self) -> Result<PayCalendar, String> {
        let first_monday = match self.two_weeks_first_monday.trim() {
            "" => None,
            text => Some(
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| format!("expected a date written YYYY-MM-DD, got {text:?}"))?,
            ),
        };
        PayCalendar::from_setting(self.pay_period.trim(), first_monday)
    }

    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        self.parse()
            .map(|_| ())
            .map_err(|reason| SettingsError::Invalid {
                key: "payroll.pay_period",
                reason,
            })
    }
}
