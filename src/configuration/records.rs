//! What ingestion accepts and how periods are cut.

use std::str::FromStr;

use serde::Deserialize;

use super::SettingsError;

/// Limits on what ingestion accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestSettings {
    /// Most items in one ingest batch.
    pub max_batch_size: usize,
    /// Most agents one batch may add to the directory on first sight.
    pub max_new_agents_per_batch: usize,
    /// How far in the future a record's timestamps may lie (clock skew).
    pub future_tolerance_seconds: i64,
}

/// How periods are cut.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportingSettings {
    /// IANA time zone of calendar days, weeks and months, e.g. `Europe/Berlin`.
    pub time_zone: String,
}

impl ReportingSettings {
    pub fn time_zone(&self) -> chrono_tz::Tz {
        // Validated at load.
        chrono_tz::Tz::from_str(&self.time_zone).unwrap_or(chrono_tz::UTC)
    }
}

impl IngestSettings {
    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        if self.max_batch_size == 0 || self.max_batch_size > 10_000 {
            return Err(SettingsError::invalid(
                "ingest.max_batch_size",
                "must be 1-10000",
            ));
        }
        if self.max_new_agents_per_batch > 10_000 {
            return Err(SettingsError::invalid(
                "ingest.max_new_agents_per_batch",
                "must be 0-10000",
            ));
        }
        if self.future_tolerance_seconds < 0 {
            return Err(SettingsError::invalid(
                "ingest.future_tolerance_seconds",
                "must be >= 0",
            ));
        }
        Ok(())
    }
}

impl ReportingSettings {
    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        chrono_tz::Tz::from_str(&self.time_zone).map_err(|_| {
            SettingsError::invalid("reporting.time_zone", "expected an IANA time zone name")
        })?;
        Ok(())
    }
}
