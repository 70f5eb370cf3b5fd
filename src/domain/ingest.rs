//! What a delivery of an already-known record does: the rules of replays,
//! corrections, stale revisions and voiding; and how many agents a batch
//! may register on first sight. Pure, so they are tested without a
//! database.

use std::collections::BTreeSet;

/// What the store holds for a record key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub revision: Option<i64>,
    pub content_hash: String,
    pub voided: bool,
}

/// The outcome reported to the sender for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    Created,
    Updated,
    Unchanged,
    Stale,
    Voided,
}

/// What to do with one delivered item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: IngestOutcome,
    /// Whether the row must be written.
    pub write: bool,
    /// The revision to store with it: the delivery's, or else the stored one,
    /// so that a delivery without revision never erases the order guard.
    pub revision_to_store: Option<i64>,
}

/// Decides what a delivery of a record does, given what is stored.
///
/// - new key: created (or voided if it arrives void);
/// - a revision lower than the stored one: stale, ignored;
/// - same content and void flag: unchanged (a higher revision is still
///   recorded, so that older ones arriving later are recognised as stale);
/// - otherwise a correction: updated, or voided when it makes the record void.
pub fn decide(
    stored: Option<&StoredVersion>,
    revision: Option<i64>,
    content_hash: &str,
    voided: bool,
) -> Decision {
    let Some(stored) = stored else {
        return Decision {
            outcome: if voided {
                IngestOutcome::Voided
            } else {
                IngestOutcome::Created
            },
            write: true,
            revision_to_store: revision,
        };
    };

    if let (Some(incoming), Some(current)) = (revision, stored.revision) {
        if incoming < current {
            return Decision {
                outcome: IngestOutcome::Stale,
                write: false,
                revision_to_store: stored.revision,
            };
        }
    }

    let revision_to_store = revision.or(stored.revision);
    if stored.content_hash == content_hash && stored.voided == voided {
        return Decision {
            outcome: IngestOutcome::Unchanged,
            write: revision_to_store != stored.revision,
            revision_to_store,
        };
    }

    Decision {
        outcome: if voided {
            IngestOutcome::Voided
        } else {
            IngestOutcome::Updated
        },
        write: true,
        revision_to_store,
    }
}

/// A batch names more agents unknown to the directory than one batch may
/// register; `index` is the first record past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyNewAgents {
    pub index: usize,
    pub max_new_agents: usize,
}

/// The agents a batch names that `is_known` does not know, in order, or
/// the first record past `max_new_agents` of them: a typo'd or hostile feed
/// must not flood the directory. `named` holds each record's agent, in
/// request order.
pub fn new_agents<'a>(
    named: impl IntoIterator<Item = Option<&'a str>>,
    is_known: impl Fn(&str) -> bool,
    max_new_agents: usize,
) -> Result<BTreeSet<&'a str>, TooManyNewAgents> {
    let mut new_agents = BTreeSet::new();
    for (index, agent_id) in named.into_iter().enumerate() {
        let Some(agent_id) = agent_id else { continue };
        if is_known(agent_id) || !new_agents.insert(agent_id) {
            continue;
        }
        if new_agents.len() > max_new_agents {
            return Err(TooManyNewAgents {
                index,
                max_new_agents,
            });
        }
    }
    Ok(new_agents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(revision: Option<i64>, hash: &str, voided: bool) -> StoredVersion {
        StoredVersion {
            revision,
            content_hash: hash.to_owned(),
            voided,
        }
    }

    #[test]
    fn a_new_key_is_created_or_voided() {
        assert_eq!(
            decide(None, None, "a", false).outcome,
            IngestOutcome::Created
        );
        assert_eq!(
            decide(None, Some(3), "a", true).outcome,
            IngestOutcome::Voided
        );
        assert!(decide(None, None, "a", false).write);
    }

    #[test]
    fn a_replay_is_unchanged_and_writes_nothing() {
        let current = stored(Some(2), "a", false);
        let decision = decide(Some(&current), Some(2), "a", false);
        assert_eq!(decision.outcome, IngestOutcome::Unchanged);
        assert!(!decision.write);
        let without_revision = decide(Some(&current), None, "a", false);
        assert_eq!(without_revision.outcome, IngestOutcome::Unchanged);
        assert!(!without_revision.write);
    }

    #[test]
    fn changed_content_is_a_correction() {
        let current = stored(Some(2), "a", false);
        let decision = decide(Some(&current), Some(3), "b", false);
        assert_eq!(decision.outcome, IngestOutcome::Updated);
        assert!(decision.write);
        assert_eq!(decision.revision_to_store, Some(3));
    }

    #[test]
    fn an_older_revision_is_stale_even_with_new_content() {
        let current = stored(Some(5), "a", false);
        let decision = decide(Some(&current), Some(4), "b", true);
        assert_eq!(decision.outcome, IngestOutcome::Stale);
        assert!(!decision.write);
    }

    #[test]
    fn a_delivery_without_revision_keeps_the_stored_revision() {
        let current = stored(Some(5), "a", false);
        let decision = decide(Some(&current), None, "b", false);
        assert_eq!(decision.outcome, IngestOutcome::Updated);
        assert_eq!(decision.revision_to_store, Some(5));
    }

    #[test]
    fn voiding_and_restoring_are_corrections() {
        let live = stored(Some(1), "a", false);
        assert_eq!(
            decide(Some(&live), Some(2), "a", true).outcome,
            IngestOutcome::Voided
        );
        let void = stored(Some(2), "a", true);
        assert_eq!(
            decide(Some(&void), Some(2), "a", true).outcome,
            IngestOutcome::Unchanged
        );
        assert_eq!(
            decide(Some(&void), Some(3), "a", false).outcome,
            IngestOutcome::Updated
        );
    }

    #[test]
    fn the_same_content_with_a_higher_revision_records_the_revision() {
        let current = stored(Some(1), "a", false);
        let decision = decide(Some(&current), Some(2), "a", false);
        assert_eq!(decision.outcome, IngestOutcome::Unchanged);
        assert!(decision.write);
        assert_eq!(decision.revision_to_store, Some(2));
    }

    #[test]
    fn a_batch_registers_each_unknown_agent_once() {
        let named = [Some("ana"), Some("bob"), None, Some("bob"), Some("cy")];
        let new = new_agents(named, |agent| agent == "ana", 2).unwrap();
        assert_eq!(new.into_iter().collect::<Vec<_>>(), ["bob", "cy"]);
    }

    #[test]
    fn the_first_record_past_the_new_agent_limit_is_named() {
        let named = [Some("a1"), Some("a2"), Some("a2"), Some("a3"), Some("a4")];
        assert_eq!(
            new_agents(named, |_| false, 3),
            Err(TooManyNewAgents {
                index: 4,
                max_new_agents: 3
            })
        );
    }
}
