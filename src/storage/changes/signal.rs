//! Waking change readers. The change log is the truth; a wake-up only says
//! "look again". Writers in this process wake their readers once they
//! committed ([`ChangeSignal::wake`]); on PostgreSQL a `LISTEN` task
//! (`listener`) also wakes them for every announcement of a commit on any
//! replica, and on every (re)connection, since announcements may have been
//! missed while it was down. Readers poll at their heartbeat interval as
//! well, so a lost wake-up costs latency, never a change.
//!
//! The signal also keeps the feed's counters for the metrics listener.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicI64, AtomicU64, Ordering},
        Arc, Mutex, OnceLock,
    },
};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use tokio::{sync::watch, task::AbortHandle};

use super::listener::{self, SignalState};

/// The feed's counters, read by the metrics listener.
#[derive(Default)]
pub struct FeedStats {
    written: AtomicU64,
    sent: AtomicU64,
    latest: AtomicI64,
    next_reader: AtomicU64,
    /// Each open stream's last cursor sent (or examined).
    readers: Mutex<HashMap<u64, i64>>,
}

/// A snapshot of [`FeedStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedSample {
    pub written: u64,
    pub sent: u64,
    pub open_streams: usize,
    /// The largest distance, in cursors, between the latest change this
    /// process knows of and what an open stream has read through.
    pub max_lag: i64,
}

impl FeedStats {
    pub fn changes_written(&self, count: usize, last: i64) {
        self.written.fetch_add(count as u64, Ordering::Relaxed);
        self.latest_seen(last);
    }

    pub fn latest_seen(&self, cursor: i64) {
        self.latest.fetch_max(cursor, Ordering::Relaxed);
    }

    pub fn changes_sent(&self, count: usize) {
        self.sent.fetch_add(count as u64, Ordering::Relaxed);
    }

    /// Registers an open stream; its entry goes with the returned guard.
    pub fn open_stream(self: &Arc<Self>, position: i64) -> StreamEntry {
        let id = self.next_reader.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut readers) = self.readers.lock() {
            readers.insert(id, position);
        }
        StreamEntry {
            stats: self.clone(),
            id,
        }
    }

    pub fn sample(&self) -> FeedSample {
        let latest = self.latest.load(Ordering::Relaxed);
        let (open_streams, max_lag) = match self.readers.lock() {
            Ok(readers) => (
                readers.len(),
                readers
                    .values()
                    .map(|position| (latest - position).max(0))
                    .max()
                    .unwrap_or(0),
            ),
            Err(_) => (0, 0),
        };
        FeedSample {
            written: self.written.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            open_streams,
            max_lag,
        }
    }
}

/// An open stream's entry in [`FeedStats`]; dropping it closes the entry.
pub struct StreamEntry {
    stats: Arc<FeedStats>,
    id: u64,
}

impl StreamEntry {
    /// The stream has read through `position`.
    pub fn at(&self, position: i64) {
        self.stats.latest_seen(position);
        if let Ok(mut readers) = self.stats.readers.lock() {
            readers.insert(self.id, position);
        }
    }
}

impl Drop for StreamEntry {
    fn drop(&mut self) {
        if let Ok(mut readers) = self.stats.readers.lock() {
            readers.remove(&self.id);
        }
    }
}

/// See the module documentation.
pub struct ChangeSignal {
    state: Arc<SignalState>,
    listener: OnceLock<AbortHandle>,
    stats: Arc<FeedStats>,
}

impl Default for ChangeSignal {
    fn default() -> Self {
        Self {
            state: Arc::new(SignalState::new()),
            listener: OnceLock::new(),
            stats: Arc::default(),
        }
    }
}

impl ChangeSignal {
    /// Wakes this process's readers (a write here committed changes).
    pub fn wake(&self) {
        self.state.wake();
    }

    /// A receiver that changes whenever readers should look again; on
    /// PostgreSQL the first call starts the `LISTEN` task.
    pub fn subscribe(&self, connection: &DatabaseConnection) -> watch::Receiver<u64> {
        if connection.get_database_backend() == DatabaseBackend::Postgres {
            self.listener.get_or_init(|| {
                let options = connection.get_postgres_connection_pool().connect_options();
                listener::spawn((*options).clone(), Arc::downgrade(&self.state))
            });
        }
        self.state.subscribe()
    }

    pub fn stats(&self) -> &Arc<FeedStats> {
        &self.stats
    }

    /// Stops the `LISTEN` task (at shutdown).
    pub fn stop(&self) {
        if let Some(task) = self.listener.get() {
            task.abort();
        }
    }
}

impl Drop for ChangeSignal {
    fn drop(&mut self) {
        self.stop();
    }
}
