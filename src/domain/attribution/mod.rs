//! Attribution (the catalogue's "Conventions"): which agent, team, local
//! day, and so which period, a record counts for, and what it adds there.
//!
//! - An interaction counts for its agent and recorded team on the local day
//!   of its `ended_at`.
//! - A survey response linked to an interaction counts wherever that
//!   interaction counts, however late it arrives, and nowhere while the
//!   interaction is missing or void; an unlinked one counts for the agent
//!   it names on the day of its `responded_at`.
//! - A QA evaluation counts for its own agent on the day of its
//!   `evaluated_at`; one linked to an interaction only while that
//!   interaction is stored and not void.
//! - Compliance checks, violations, training assignments (`due_at`) and
//!   agent time (`starts_at`) count on their own agent and timestamp.
//! - A void record counts nowhere.
//!
//! The team a record is recorded with is decided once, at ingest
//! ([`team_at_ingest`]); a team move re-records it later (see
//! `storage::team_moves`). The rollups, the raw path and ingest all
//! attribute through [`Contribution::attribution`].

mod kinds;
#[cfg(test)]
mod tests;

pub use kinds::Record;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{calendar::LocalDay, directory::MembershipHistory, kpi::KpiSums, records::RecordKey};

/// Where a record counts: one agent, the team it is recorded for (`None`:
/// no team), one local day of the reporting zone. The period that contains
/// the day is the period the record counts in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Attribution {
    pub agent_id: String,
    pub team_id: Option<String>,
    pub day: LocalDay,
}

/// Where a record counts, with the instant that places it (its local day
/// is `attribution.day`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub attribution: Attribution,
    pub at: DateTime<Utc>,
}

/// How a record finds its place.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// On its own agent and recorded team, on the day of `at`.
    Own {
        agent_id: String,
        team_id: Option<String>,
        at: DateTime<Utc>,
    },
    /// Wherever that interaction counts (linked survey responses).
    WithInteraction(RecordKey),
}

/// What one non-void record adds to the sums, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub placement: Placement,
    /// An interaction that must be stored and not void for the record to
    /// count at all (linked QA evaluations).
    pub requires: Option<RecordKey>,
    pub sums: KpiSums,
}

/// Where an interaction counts, as far as the records linked to it care.
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionPlace {
    pub agent_id: String,
    pub team_id: Option<String>,
    pub ended_at: DateTime<Utc>,
    pub voided: bool,
}

/// The stored interactions linked records may follow, by key.
pub type InteractionPlaces = HashMap<RecordKey, InteractionPlace>;

impl Contribution {
    /// A record counted on its own agent, team and instant.
    pub fn own(agent_id: &str, team_id: Option<String>, at: DateTime<Utc>, sums: KpiSums) -> Self {
        Contribution {
            placement: Placement::Own {
                agent_id: agent_id.to_owned(),
                team_id,
                at,
            },
            requires: None,
            sums,
        }
    }

    /// Where the record counts, given the interactions it may be linked to
    /// (only those matter: others may be absent from `interactions`);
    /// `None` when it counts nowhere.
    pub fn attribution(&self, interactions: &InteractionPlaces, zone: Tz) -> Option<Attribution> {
        self.attribution_by(|key| interactions.get(key), zone)
    }

    /// [`Contribution::attribution`], with `place_of` answering where a
    /// stored interaction counts (`None`: not stored).
    pub fn attribution_by<'a>(
        &self,
        place_of: impl Fn(&RecordKey) -> Option<&'a InteractionPlace>,
        zone: Tz,
    ) -> Option<Attribution> {
        self.placed_by(place_of, zone)
            .map(|placed| placed.attribution)
    }

    /// Where the record counts and the instant that places it there (an
    /// interaction's `ended_at`; a linked response's interaction's; a
    /// record's own timestamp otherwise), for reads finer than a day
    /// (intraday buckets). `None` when it counts nowhere.
    pub fn placed_by<'a>(
        &self,
        place_of: impl Fn(&RecordKey) -> Option<&'a InteractionPlace>,
        zone: Tz,
    ) -> Option<Placed> {
        let counting = |key: &RecordKey| place_of(key).filter(|place| !place.voided);
        if let Some(required) = &self.requires {
            counting(required)?;
        }
        let (agent_id, team_id, at) = match &self.placement {
            Placement::Own {
                agent_id,
                team_id,
                at,
            } => (agent_id, team_id, *at),
            Placement::WithInteraction(key) => {
                let place = counting(key)?;
                (&place.agent_id, &place.team_id, place.ended_at)
            }
        };
        Some(Placed {
            attribution: Attribution {
                agent_id: agent_id.clone(),
                team_id: team_id.clone(),
                day: LocalDay::of_instant(at, zone),
            },
            at,
        })
    }

    /// Where an interaction counts, for the records linked to it (`None`
    /// for a record that follows another).
    pub fn own_place(&self) -> Option<InteractionPlace> {
        match &self.placement {
            Placement::Own {
                agent_id,
                team_id,
                at,
            } => Some(InteractionPlace {
                agent_id: agent_id.clone(),
                team_id: team_id.clone(),
                ended_at: *at,
                voided: false,
            }),
            Placement::WithInteraction(_) => None,
        }
    }

    /// The interaction whose state decides whether and where this record
    /// counts, if any.
    pub fn linked_interaction(&self) -> Option<&RecordKey> {
        match &self.placement {
            Placement::WithInteraction(key) => Some(key),
            Placement::Own { .. } => self.requires.as_ref(),
        }
    }
}

/// The team a record is recorded for at ingest (Conventions: Team): the one
/// its sender named explicitly, else the team of the agent's membership in
/// force on the local day of the record's own instant (an interaction's
/// `ended_at`), else none. A record that names no agent (a linked survey
/// response) is recorded without a team: it counts for its interaction's.
pub fn team_at_ingest(
    explicit_team: Option<&str>,
    named_agent: Option<&str>,
    counted_at: DateTime<Utc>,
    memberships: &HashMap<String, MembershipHistory>,
    zone: Tz,
) -> Option<String> {
    if let Some(team) = explicit_team {
        return Some(team.to_owned());
    }
    let history = memberships.get(named_agent?)?;
    history
        .team_on(LocalDay::of_instant(counted_at, zone))
        .map(str::to_owned)
}
