//! The records behind an agent's numbers, of all seven kinds, as listed by
//! `ListAgentRecords` and by the adjustment report: what a record is, where
//! it counts (agent, team, instant), whether it is void, and how it changed
//! after a snapshot was taken.

/// The seven record kinds, in the order listings sort them within one
/// instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordKind {
    Interaction,
    SurveyResponse,
    QaEvaluation,
    ComplianceCheck,
    Violation,
    TrainingAssignment,
    AgentTime,
}

impl RecordKind {
    pub const ALL: [RecordKind; 7] = [
        RecordKind::Interaction,
        RecordKind::SurveyResponse,
        RecordKind::QaEvaluation,
        RecordKind::ComplianceCheck,
        RecordKind::Violation,
        RecordKind::TrainingAssignment,
        RecordKind::AgentTime,
    ];

    /// A stable number (1-7), as stored in page tokens and queries.
    pub fn number(self) -> i32 {
        match self {
            RecordKind::Interaction => 1,
            RecordKind::SurveyResponse => 2,
            RecordKind::QaEvaluation => 3,
            RecordKind::ComplianceCheck => 4,
            RecordKind::Violation => 5,
            RecordKind::TrainingAssignment => 6,
            RecordKind::AgentTime => 7,
        }
    }

    pub fn from_number(number: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.number() == number)
    }
}

/// A stored record as listings show it (the record's latest revision: the
/// service keeps no earlier ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRecord {
    pub kind: RecordKind,
    /// Storage order within the kind (keyset pages).
    pub id: i64,
    pub source: String,
    pub external_id: String,
    /// The sender's revision, if it gave one.
    pub revision: Option<i64>,
    /// Void itself, or a survey response or QA evaluation linked to a void
    /// interaction: it counts nowhere.
    pub voided: bool,
    /// The agent it counts for.
    pub agent_id: String,
    /// The team it counts for (`None`: no team).
    pub team_id: Option<String>,
    /// The instant that puts it in a period (microseconds since the epoch):
    /// its own timestamp, or its interaction's end for a linked survey.
    pub counted_at_us: i64,
    /// When it was first stored, and last changed (the database's clock,
    /// comparable with a snapshot's take time).
    pub stored_at_us: i64,
    pub changed_at_us: i64,
}

/// How a record changed after a snapshot was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordChange {
    /// First stored after the snapshot.
    Created,
    /// Stored before the snapshot, changed after (and not void now).
    Corrected,
    /// Void now, and changed after the snapshot.
    Voided,
}

impl ListedRecord {
    /// How the record changed after `taken_at_us`, or `None` when it did
    /// not (its last change is in the snapshot).
    pub fn change_since(&self, taken_at_us: i64) -> Option<RecordChange> {
        if self.changed_at_us <= taken_at_us {
            return None;
        }
        Some(if self.voided {
            RecordChange::Voided
        } else if self.stored_at_us > taken_at_us {
            RecordChange::Created
        } else {
            RecordChange::Corrected
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(stored_at_us: i64, changed_at_us: i64, voided: bool) -> ListedRecord {
        ListedRecord {
            kind: RecordKind::Violation,
            id: 1,
            source: "wfm".into(),
            external_id: "v1".into(),
            revision: None,
            voided,
            agent_id: "ana".into(),
            team_id: None,
            counted_at_us: 0,
            stored_at_us,
            changed_at_us,
        }
    }

    #[test]
    fn a_record_changed_after_the_snapshot_is_created_corrected_or_voided() {
        let taken = 100;
        assert_eq!(record(50, 100, false).change_since(taken), None);
        assert_eq!(
            record(101, 101, false).change_since(taken),
            Some(RecordChange::Created)
        );
        assert_eq!(
            record(50, 150, false).change_since(taken),
            Some(RecordChange::Corrected)
        );
        assert_eq!(
            record(50, 150, true).change_since(taken),
            Some(RecordChange::Voided)
        );
        assert_eq!(
            record(120, 150, true).change_since(taken),
            Some(RecordChange::Voided)
        );
    }

    #[test]
    fn kinds_round_trip_through_their_numbers() {
        for kind in RecordKind::ALL {
            assert_eq!(RecordKind::from_number(kind.number()), Some(kind));
        }
        assert_eq!(RecordKind::from_number(0), None);
    }
}
