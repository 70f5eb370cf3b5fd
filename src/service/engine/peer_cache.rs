//! The process's memory of the organisation's (and teams') peer values:
//! ranking an agent needs every agent's numbers for the period, a grouped
//! read of the whole organisation's rollups (and raw rows for a partial
//! day), far dearer than the agent's own scorecard. Many agents' screens
//! ask for the same period and instant, so the values are kept per
//! (period counted, reporting zone, group): the organisation's group apart
//! from each team's, so that the first call of each team's agents reuses
//! the organisation's values rather than reading them again.
//!
//! **Never stale after a commit.** Each entry carries the data's version
//! (`storage::data_changes`: a counter in the database that every
//! committed write transaction increases, whichever replica made it) read
//! before it was computed; it is kept only when the version read after
//! computing is the same, and served only while the version a call reads
//! is still that one. A call therefore costs one read of a few rows on a
//! hit, and any write anywhere (records, directory, memberships, policies)
//! makes every entry a miss: nothing is kept that a commit could have
//! changed. Policies are not part of the values (a rule's minimum sample
//! is applied when ranking, after the cache).
//!
//! Bounded: at most [`MAX_ENTRIES`] entries, the least recently used
//! leaving first (an entry holds one value per KPI for each agent of the
//! group: about 1 MB for the organisation's group of 1,000 agents, a
//! twentieth of that for a team of 50).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::PeerGroup;

/// Most entries kept at once (the organisation's and a few dozen teams'
/// for one period, or fewer teams over several periods).
pub const MAX_ENTRIES: usize = 64;

/// Whose values an entry holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PeerScope {
    Organisation,
    Team(String),
}

/// What an entry's values depend on besides the data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerKey {
    /// The part of the period counted (up to `as_of`).
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub zone: Tz,
    pub scope: PeerScope,
}

struct Entry {
    version: i64,
    values: Arc<PeerGroup>,
    last_used: u64,
}

#[derive(Default)]
struct Entries {
    by_key: HashMap<PeerKey, Entry>,
    /// Counts uses, to find the least recently used entry.
    clock: u64,
}

/// Peer groups by key, each valid at one data version.
#[derive(Default)]
pub struct PeerCache {
    entries: Mutex<Entries>,
}

impl PeerCache {
    /// The values of `key` if they were computed at data version `version`
    /// (an entry of another version is dropped).
    pub fn get(&self, key: &PeerKey, version: i64) -> Option<Arc<PeerGroup>> {
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        match entries.by_key.get_mut(key) {
            Some(entry) if entry.version == version => {
                entry.last_used = now;
                Some(entry.values.clone())
            }
            Some(_) => {
                entries.by_key.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `values`, computed entirely at data version `version`.
    pub fn put(&self, key: PeerKey, version: i64, values: Arc<PeerGroup>) {
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        if !entries.by_key.contains_key(&key) && entries.by_key.len() >= MAX_ENTRIES {
            // Entries of an older version than this one can never be
            // served again; else the least recently used goes.
            let stale: Vec<PeerKey> = entries
                .by_key
                .iter()
                .filter(|(_, entry)| entry.version < version)
                .map(|(key, _)| key.clone())
                .collect();
            for key in stale {
                entries.by_key.remove(&key);
            }
            if entries.by_key.len() >= MAX_ENTRIES {
                if let Some(oldest) = entries
                    .by_key
                    .iter()
                    .min_by_key(|(_, entry)| entry.last_used)
                    .map(|(key, _)| key.clone())
                {
                    entries.by_key.remove(&oldest);
                }
            }
        }
        entries.by_key.insert(
            key,
            Entry {
                version,
                values,
                last_used: now,
            },
        );
    }

    /// How many entries are kept (for tests).
    pub fn len(&self) -> usize {
        self.lock().by_key.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves consistent maps behind.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn key(day: u32) -> PeerKey {
        PeerKey {
            start: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap(),
            zone: chrono_tz::UTC,
            scope: PeerScope::Organisation,
        }
    }

    #[test]
    fn an_entry_is_served_at_its_own_version_only() {
        let cache = PeerCache::default();
        cache.put(key(2), 7, Arc::new(PeerGroup::default()));
        assert!(cache.get(&key(2), 7).is_some());
        assert!(cache.get(&key(3), 7).is_none());
        // A write committed: the entry is gone, even if asked at 7 again.
        assert!(cache.get(&key(2), 8).is_none());
        assert!(cache.get(&key(2), 7).is_none());
    }

    #[test]
    fn the_least_recently_used_entry_leaves_at_the_cap() {
        let cache = PeerCache::default();
        let keys: Vec<PeerKey> = (0..=MAX_ENTRIES)
            .map(|index| PeerKey {
                scope: PeerScope::Team(format!("team-{index}")),
                ..key(2)
            })
            .collect();
        for key in &keys[..MAX_ENTRIES] {
            cache.put(key.clone(), 1, Arc::default());
        }
        // The first is used again: the second is now the oldest.
        assert!(cache.get(&keys[0], 1).is_some());
        cache.put(keys[MAX_ENTRIES].clone(), 1, Arc::default());
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert!(cache.get(&keys[0], 1).is_some());
        assert!(cache.get(&keys[1], 1).is_none());
        assert!(cache.get(&keys[MAX_ENTRIES], 1).is_some());
    }

    #[test]
    fn entries_of_an_older_version_leave_first_at_the_cap() {
        let cache = PeerCache::default();
        for day in 0..MAX_ENTRIES {
            let key = PeerKey {
                scope: PeerScope::Team(format!("team-{day}")),
                ..key(2)
            };
            cache.put(key, 1, Arc::default());
        }
        cache.put(key(3), 2, Arc::default());
        assert_eq!(cache.len(), 1);
        assert!(!cache.is_empty());
    }
}
