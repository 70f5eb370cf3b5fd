//! The change feed's `LISTEN` task (PostgreSQL): one connection of its own,
//! subscribed to the announcements of committed changes. Every
//! announcement, and every (re)connection, wakes the readers of this
//! process; it reconnects with a growing pause and ends when the signal is
//! gone. The same pattern as the policy cache's listener.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Weak,
    },
    time::Duration,
};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::task::AbortHandle;

use tokio::sync::watch;

use super::CHANGES_CHANNEL;

/// What the signal (`signal`) and its listener share.
pub(super) struct SignalState {
    wake: watch::Sender<u64>,
    /// PostgreSQL: true while the `LISTEN` connection is up.
    pub(super) listening: AtomicBool,
}

impl SignalState {
    pub(super) fn new() -> Self {
        Self {
            wake: watch::channel(0).0,
            listening: AtomicBool::new(false),
        }
    }

    /// Tells every reader of this process to look again.
    pub(super) fn wake(&self) {
        self.wake
            .send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }
}

const FIRST_PAUSE: Duration = Duration::from_millis(100);
const MAX_PAUSE: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) fn spawn(options: PgConnectOptions, state: Weak<SignalState>) -> AbortHandle {
    tokio::spawn(listen(options, state)).abort_handle()
}

async fn listen(options: PgConnectOptions, state: Weak<SignalState>) {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(CONNECT_TIMEOUT)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(options);
    let mut pause = FIRST_PAUSE;
    loop {
        match subscribe(&pool).await {
            Ok(mut listener) => {
                let Some(shared) = state.upgrade() else {
                    return;
                };
                shared.listening.store(true, Ordering::Release);
                // Anything committed while nobody listened is looked for.
                shared.wake();
                drop(shared);
                pause = FIRST_PAUSE;
                loop {
                    match listener.try_recv().await {
                        Ok(Some(_announcement)) => match state.upgrade() {
                            Some(shared) => shared.wake(),
                            None => return,
                        },
                        Ok(None) => {
                            tracing::warn!("change feed: the listening connection was lost");
                            break;
                        }
                        Err(error) => {
                            tracing::warn!(%error, "change feed: listening failed");
                            break;
                        }
                    }
                }
                let Some(shared) = state.upgrade() else {
                    return;
                };
                shared.listening.store(false, Ordering::Release);
                shared.wake();
            }
            Err(error) => {
                tracing::warn!(%error, "change feed: cannot listen for changes yet");
            }
        }
        if state.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

async fn subscribe(pool: &sea_orm::sqlx::PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.eager_reconnect(false);
    listener.listen(CHANGES_CHANNEL).await?;
    Ok(listener)
}
