//! Policy versions are insert-only and few, so the scorecard path reads
//! them from memory: every version is loaded at once and kept for a second
//! (so a version created on another replica is seen within a second), and
//! a version created here empties the cache at once.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::NaiveDate;
use sea_orm::EntityTrait;
use tokio::sync::Mutex;

use super::{entities::policy_version, Database, StorageError};
use crate::domain::policy::PolicyVersion;

/// How long loaded versions are trusted.
const POLICY_CACHE_TTL: Duration = Duration::from_secs(1);

/// Every stored policy version, as loaded at some instant.
#[derive(Default)]
pub struct PolicyCache {
    loaded: Mutex<Option<(Instant, Arc<Vec<PolicyVersion>>)>>,
}

impl PolicyCache {
    /// Forgets what was loaded (after a version is created).
    pub async fn invalidate(&self) {
        *self.loaded.lock().await = None;
    }
}

impl Database {
    /// The version in force on `date` for `team_id` (the team's latest
    /// effective on or before the date, else the organisation's; `None`
    /// means the catalogue defaults), from the in-memory cache.
    pub async fn effective_policy_cached(
        &self,
        team_id: Option<&str>,
        date: NaiveDate,
    ) -> Result<Option<PolicyVersion>, StorageError> {
        let versions = self.all_policy_versions_cached().await?;
        let latest = |team: Option<&str>| {
            versions
                .iter()
                .filter(|version| version.team_id.as_deref() == team)
                .filter(|version| version.effective_from <= date)
                .max_by_key(|version| (version.effective_from, version.id))
                .cloned()
        };
        Ok(team_id
            .and_then(|team| latest(Some(team)))
            .or_else(|| latest(None)))
    }

    async fn all_policy_versions_cached(&self) -> Result<Arc<Vec<PolicyVersion>>, StorageError> {
        let mut loaded = self.policy_cache.loaded.lock().await;
        if let Some((at, versions)) = loaded.as_ref() {
            if at.elapsed() < POLICY_CACHE_TTL {
                return Ok(versions.clone());
            }
        }
        let versions: Vec<PolicyVersion> = policy_version::Entity::find()
            .all(self.connection())
            .await?
            .into_iter()
            .map(super::policy::from_row)
            .collect::<Result<_, _>>()?;
        let versions = Arc::new(versions);
        *loaded = Some((Instant::now(), versions.clone()));
        Ok(versions)
    }
}
