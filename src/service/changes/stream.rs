//! `WatchScorecardChanges`: one producer task per stream reads the change
//! log after the stream's cursor whenever it is woken (a commit in this
//! process, a `NOTIFY` from any replica) or its heartbeat ticks, and hands
//! messages to the response through a bounded channel. The log is the
//! truth: wake-ups only say "look", and a heartbeat also looks, so a lost
//! wake-up costs latency, never a change.
//!
//! The stream ends with a status naming its last cursor: RESOURCE_EXHAUSTED
//! (SLOW_READER) when its buffer stayed full past the grace (the server
//! keeps at most the buffer per reader), UNAVAILABLE (SERVER_DRAINING) when
//! the server drains, FAILED_PRECONDITION (CURSOR_EXPIRED) when the prune
//! overtook it. A client resumes from the last cursor it received.

use std::{
    pin::Pin,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::Stream;
use tokio::sync::{mpsc, OwnedSemaphorePermit};

use super::{changes_after, check_position, ChangeFeed, CursorChange, WATCH};
use crate::{
    auth::Caller,
    domain::changes::{cursor, ChangeFilter},
    error::{CursorRefusal, ServiceError},
    storage::{
        changes::{bounds, signal::StreamEntry},
        Database,
    },
};

/// One message of a stream: changes, or none (a heartbeat); `progress` is
/// the cursor to resume from after it.
#[derive(Debug, Clone)]
pub struct WatchEvent {
    pub changes: Vec<CursorChange>,
    pub progress: String,
}

pub type ChangeStream = Pin<Box<dyn Stream<Item = Result<WatchEvent, ServiceError>> + Send>>;

/// What a stream's producer needs.
struct Producer {
    database: Database,
    filter: ChangeFilter,
    position: i64,
    database_id: String,
    sender: mpsc::Sender<WatchEvent>,
    ending: Arc<Mutex<Option<ServiceError>>>,
    draining: tokio::sync::watch::Receiver<bool>,
    heartbeat: Duration,
    grace: Duration,
    per_message: u64,
    entry: StreamEntry,
    _permit: OwnedSemaphorePermit,
}

impl ChangeFeed {
    /// Opens a stream of every change after `since_cursor` (empty: after
    /// the latest now) that passes `filter` and the caller's scope.
    pub async fn watch(
        &self,
        caller: &Caller,
        filter: Result<ChangeFilter, ServiceError>,
        since_cursor: String,
    ) -> Result<ChangeStream, ServiceError> {
        let mut filter = filter?;
        self.authorize(caller, WATCH, &mut filter)?;
        self.check_named(&filter).await?;
        let permit =
            self.streams
                .clone()
                .try_acquire_owned()
                .map_err(|_| ServiceError::Cursor {
                    refusal: CursorRefusal::TooManyStreams,
                    cursor: String::new(),
                })?;
        if *self.draining.borrow() {
            return Err(ServiceError::Unavailable);
        }
        // Subscribe before reading the log: a commit after the read wakes.
        let wake = self
            .database
            .change_signal()
            .subscribe(self.database.connection());
        let log = bounds(self.database.connection()).await?;
        let position = if since_cursor.is_empty() {
            log.last
        } else {
            Self::position_of(&log, "since_cursor", &since_cursor)?
        };
        let (sender, receiver) = mpsc::channel(self.settings.stream_buffer_messages);
        let ending = Arc::new(Mutex::new(None));
        let entry = self.database.change_signal().stats().open_stream(position);
        let producer = Producer {
            database: self.database.clone(),
            filter,
            position,
            database_id: log.database_id,
            sender,
            ending: ending.clone(),
            draining: self.draining.clone(),
            heartbeat: Duration::from_secs(self.settings.heartbeat_seconds),
            grace: Duration::from_millis(self.settings.slow_reader_grace_millis),
            per_message: self.settings.changes_per_message,
            entry,
            _permit: permit,
        };
        tokio::spawn(producer.run(wake));
        Ok(response_stream(receiver, ending))
    }
}

/// The response: every buffered message, then the producer's ending (if
/// any) as the stream's status.
fn response_stream(
    receiver: mpsc::Receiver<WatchEvent>,
    ending: Arc<Mutex<Option<ServiceError>>>,
) -> ChangeStream {
    Box::pin(futures_util::stream::unfold(
        Some((receiver, ending)),
        |state| async move {
            let (mut receiver, ending) = state?;
            match receiver.recv().await {
                Some(event) => Some((Ok(event), Some((receiver, ending)))),
                None => {
                    let status = ending.lock().ok().and_then(|mut slot| slot.take());
                    status.map(|error| (Err(error), None))
                }
            }
        },
    ))
}

/// How a send went.
enum Sent {
    Delivered,
    /// The buffer stayed full past the grace.
    TooSlow,
    /// The client went away.
    Gone,
}

impl Producer {
    fn cursor(&self, position: i64) -> String {
        cursor::encode(&self.database_id, position)
    }

    fn end(&self, refusal: CursorRefusal, position: i64) {
        if let Ok(mut slot) = self.ending.lock() {
            *slot = Some(ServiceError::Cursor {
                refusal,
                cursor: self.cursor(position),
            });
        }
    }

    async fn send(&self, event: WatchEvent) -> Sent {
        match self.sender.send_timeout(event, self.grace).await {
            Ok(()) => Sent::Delivered,
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => Sent::TooSlow,
            Err(mpsc::error::SendTimeoutError::Closed(_)) => Sent::Gone,
        }
    }

    async fn run(mut self, mut wake: tokio::sync::watch::Receiver<u64>) {
        let stats = self.database.change_signal().stats().clone();
        let mut heartbeat = tokio::time::interval(self.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.reset();
        let mut beat_due = false;
        loop {
            if *self.draining.borrow() {
                let farewell = WatchEvent {
                    changes: Vec::new(),
                    progress: self.cursor(self.position),
                };
                let _ = self.sender.try_send(farewell);
                self.end(CursorRefusal::Draining, self.position);
                return;
            }
            wake.borrow_and_update();
            let connection = self.database.connection();
            let read = async {
                let log = bounds(connection).await?;
                check_position(&log, self.position)?;
                let rows = changes_after(connection, self.position, &self.filter, self.per_message)
                    .await?;
                Ok::<_, ServiceError>((log, rows))
            };
            let (log, through, rows) = match read.await {
                Ok((log, read)) => (log, read.through, read.changes),
                Err(ServiceError::Cursor {
                    refusal: CursorRefusal::Expired,
                    ..
                }) => {
                    self.end(CursorRefusal::Expired, self.position);
                    return;
                }
                Err(error) => {
                    // The database is unreachable: try again at the next
                    // heartbeat, as a client would.
                    tracing::debug!(?error, "change stream: reading the log failed");
                    if self.wait(&mut wake, &mut heartbeat).await.is_err() {
                        return;
                    }
                    continue;
                }
            };
            stats.latest_seen(log.last);
            let full = rows.len() as u64 >= self.per_message;
            if !rows.is_empty() {
                let mut last = self.position;
                let changes: Vec<CursorChange> = rows
                    .into_iter()
                    .map(|change| {
                        last = change.position;
                        CursorChange {
                            cursor: self.cursor(change.position),
                            change,
                        }
                    })
                    .collect();
                // Past a partial page every change up to the latest was read.
                let progress = if full { through } else { last.max(log.last) };
                let count = changes.len();
                let event = WatchEvent {
                    changes,
                    progress: self.cursor(progress),
                };
                match self.send(event).await {
                    Sent::Delivered => {}
                    Sent::TooSlow => {
                        self.end(CursorRefusal::SlowReader, self.position);
                        return;
                    }
                    Sent::Gone => return,
                }
                stats.changes_sent(count);
                self.position = progress;
                self.entry.at(progress);
                beat_due = false;
                if full {
                    continue;
                }
            } else if log.last > self.position {
                // Nothing passed the filter up to the latest change.
                self.position = log.last;
                self.entry.at(log.last);
            }
            if beat_due {
                let beat = WatchEvent {
                    changes: Vec::new(),
                    progress: self.cursor(self.position),
                };
                match self.sender.try_send(beat) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        // A reader that cannot take a heartbeat is behind
                        // by a whole buffer.
                        self.end(CursorRefusal::SlowReader, self.position);
                        return;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => return,
                }
            }
            match self.wait(&mut wake, &mut heartbeat).await {
                Ok(beat) => beat_due = beat,
                Err(()) => return,
            }
        }
    }

    /// Waits for a wake-up (`Ok(false)`), the heartbeat (`Ok(true)`) or
    /// draining (`Ok(false)`; the loop then ends the stream); `Err` when the
    /// client went away.
    async fn wait(
        &mut self,
        wake: &mut tokio::sync::watch::Receiver<u64>,
        heartbeat: &mut tokio::time::Interval,
    ) -> Result<bool, ()> {
        tokio::select! {
            changed = wake.changed() => {
                if changed.is_err() {
                    return Err(());
                }
                Ok(false)
            }
            _ = heartbeat.tick() => Ok(true),
            changed = self.draining.changed() => {
                if changed.is_err() {
                    return Err(());
                }
                Ok(false)
            }
            () = self.sender.closed() => Err(()),
        }
    }
}
