//! The scorecard change feed: recording, retention and streams.

use std::time::Duration;

use serde::Deserialize;

use super::SettingsError;

/// How the change feed records, keeps and streams changes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSettings {
    /// Record changes with ingest batches. Off by default: recording
    /// costs ingest most of its throughput today (see the README's
    /// "Scorecard changes"); team moves and policy versions always record.
    pub record_ingest: bool,
    /// How long changes are kept, in seconds (default 14 days).
    pub retention_seconds: u64,
    /// How often old changes are pruned, in seconds.
    pub prune_interval_seconds: u64,
    /// Open `WatchScorecardChanges` streams allowed at once per process.
    pub max_streams: usize,
    /// Seconds between heartbeats of an idle stream.
    pub heartbeat_seconds: u64,
    /// Messages a stream buffers for a slow reader before it is cut off.
    pub stream_buffer_messages: usize,
    /// How long a full buffer may stay full before the reader is cut off,
    /// in milliseconds.
    pub slow_reader_grace_millis: u64,
    /// Most changes in one stream message.
    pub changes_per_message: u64,
}

impl ChangeSettings {
    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention_seconds)
    }

    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        let checks: [(&'static str, bool, &str); 6] = [
            (
                "changes.retention_seconds",
                self.retention_seconds >= 1,
                "must be >= 1",
            ),
            (
                "changes.prune_interval_seconds",
                self.prune_interval_seconds >= 1,
                "must be >= 1",
            ),
            ("changes.max_streams", self.max_streams >= 1, "must be >= 1"),
            (
                "changes.heartbeat_seconds",
                self.heartbeat_seconds >= 1,
                "must be >= 1",
            ),
            (
                "changes.stream_buffer_messages",
                (1..=10_000).contains(&self.stream_buffer_messages),
                "must be 1-10000",
            ),
            (
                "changes.changes_per_message",
                (1..=1_000).contains(&self.changes_per_message),
                "must be 1-1000",
            ),
        ];
        for (key, ok, reason) in checks {
            if !ok {
                return Err(SettingsError::invalid(key, reason));
            }
        }
        Ok(())
    }
}
