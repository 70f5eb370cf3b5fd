//! The `LISTEN` task of one process (PostgreSQL): one connection of its
//! own, outside the main pool (a pool of one connection would otherwise be
//! taken whole), subscribed to the announcements of new policy versions.
//! Each announcement, and each (re)connection, invalidates the cache; while
//! the connection is down the cache is marked untrusted and the task
//! reconnects with a growing pause. It holds the cache's state weakly and
//! ends when the cache is gone; the cache aborts it at shutdown.

use std::{
    sync::{atomic::Ordering, Weak},
    time::Duration,
};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::task::AbortHandle;

use super::{super::policy::POLICY_VERSIONS_CHANNEL, CacheState};

/// The first pause before reconnecting; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// How long connecting may take before it counts as a failure.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts the task; it connects with `options` (the main pool's).
pub(super) fn spawn(options: PgConnectOptions, state: Weak<CacheState>) -> AbortHandle {
    tokio::spawn(listen(options, state)).abort_handle()
}

async fn listen(options: PgConnectOptions, state: Weak<CacheState>) {
    // A pool of one, only so that PgListener can reconnect through it.
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
                // Anything committed before the subscription is loaded
                // afresh; anything after is announced.
                shared.listening.store(true, Ordering::Release);
                shared.invalidate();
                drop(shared);
                pause = FIRST_PAUSE;
                tracing::debug!("policy cache: listening for new versions");
                let lost = receive_until_lost(&mut listener, &state).await;
                let Some(shared) = state.upgrade() else {
                    return;
                };
                shared.listening.store(false, Ordering::Release);
                shared.invalidate();
                match lost {
                    Lost::Connection => tracing::warn!(
                        "policy cache: the listening connection was lost; reading policies \
                         from the database until it is back"
                    ),
                    Lost::Error(error) => tracing::warn!(
                        %error,
                        "policy cache: listening failed; reading policies from the database \
                         until it is back"
                    ),
                    Lost::CacheGone => return,
                }
            }
            Err(error) => {
                tracing::warn!(%error, "policy cache: cannot listen for new versions yet");
            }
        }
        if state.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// Why listening stopped.
enum Lost {
    Connection,
    Error(sea_orm::sqlx::Error),
    CacheGone,
}

async fn subscribe(pool: &sea_orm::sqlx::PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // Report a lost connection at once (and reconnect here, knowingly),
    // rather than reconnect inside `try_recv` while the cache is trusted.
    listener.eager_reconnect(false);
    listener.listen(POLICY_VERSIONS_CHANNEL).await?;
    Ok(listener)
}

async fn receive_until_lost(listener: &mut PgListener, state: &Weak<CacheState>) -> Lost {
    loop {
        match listener.try_recv().await {
            Ok(Some(_announcement)) => match state.upgrade() {
                Some(shared) => shared.invalidate(),
                None => return Lost::CacheGone,
            },
            Ok(None) => return Lost::Connection,
            Err(error) => return Lost::Error(error),
        }
    }
}
