//! Whether the database has been prepared for serving (reached, migrated or
//! found migrated, rollups ready), and if not, why not yet. A service may
//! start before its database: it then serves health (NOT_SERVING), `/readyz`
//! (503, saying why) and `UNAVAILABLE` to every call until preparation
//! succeeds, which start-up keeps retrying in the background.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

/// Shared between start-up (which prepares), the call guard (which refuses
/// calls until then), the health check (which waits for it) and `/readyz`.
#[derive(Clone)]
pub struct Readiness {
    prepared: watch::Sender<bool>,
    waiting_for: Arc<Mutex<String>>,
}

impl Default for Readiness {
    fn default() -> Self {
        Self::new()
    }
}

impl Readiness {
    /// Not prepared yet.
    pub fn new() -> Self {
        Self {
            prepared: watch::Sender::new(false),
            waiting_for: Arc::new(Mutex::new("the first connection".to_owned())),
        }
    }

    /// True once the database has been prepared; never false again.
    pub fn is_prepared(&self) -> bool {
        *self.prepared.borrow()
    }

    /// Marks the database prepared and wakes whoever waits for it.
    pub fn set_prepared(&self) {
        self.prepared.send_replace(true);
    }

    /// Records why the database is not prepared yet (the last attempt's
    /// error), for `/readyz` and the logs.
    pub fn set_waiting_for(&self, reason: String) {
        *self
            .waiting_for
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = reason;
    }

    /// Why the database is not prepared yet.
    pub fn waiting_for(&self) -> String {
        self.waiting_for
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Completes once the database is prepared.
    pub async fn wait_until_prepared(&self) {
        let mut prepared = self.prepared.subscribe();
        let _ = prepared.wait_for(|prepared| *prepared).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiting_ends_once_prepared() {
        let readiness = Readiness::new();
        assert!(!readiness.is_prepared());
        readiness.set_waiting_for("connection refused".into());
        assert_eq!(readiness.waiting_for(), "connection refused");
        let waiter = tokio::spawn({
            let readiness = readiness.clone();
            async move { readiness.wait_until_prepared().await }
        });
        readiness.set_prepared();
        waiter.await.unwrap();
        assert!(readiness.is_prepared());
    }
}
