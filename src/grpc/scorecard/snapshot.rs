//! Reads of a closed month answer from its snapshot: exactly the bytes
//! stored when the month was closed (or restated), marked with the
//! snapshot they come from. `live = true` asks for today's numbers.

use crate::error::ServiceError;
use std::cmp::Ordering;

use prost::Message;

use super::ScorecardApi;
use crate::{
    grpc::{
        directory::timestamp,
        pb,
        periods::{parse_month, resolve_version},
    },
    storage::periods::{ClosedPeriod, SnapshotMeta, SubjectKind},
};

/// The snapshot a read answers from.
pub(super) struct SnapshotRead {
    period: ClosedPeriod,
    version: SnapshotMeta,
}

impl SnapshotRead {
    fn reference(&self) -> pb::SnapshotRef {
        pb::SnapshotRef {
            month: self.period.month.clone(),
            version: self.version.version,
            take_time: chrono::DateTime::from_timestamp_micros(self.version.taken_at_us)
                .map(timestamp),
        }
    }

    /// Marks a stored scorecard with the snapshot it comes from.
    fn mark(&self, scorecard: &mut Option<pb::Scorecard>) {
        if let Some(scorecard) = scorecard {
            scorecard.snapshot = Some(self.reference());
        }
    }

    /// A token fingerprint part, so pages never mix snapshot versions.
    pub(super) fn key(&self) -> String {
        format!("{}v{}", self.period.month, self.version.version)
    }
}

fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, ServiceError> {
    M::decode(bytes).map_err(|error| {
        tracing::error!(%error, "a stored snapshot does not decode");
        ServiceError::Internal
    })
}

/// The month a selector names, if it names a calendar month.
fn selected_month(selector: Option<&pb::PeriodSelector>) -> Option<&str> {
    match selector?.period.as_ref()? {
        pb::period_selector::Period::Month(text) => Some(text.get(..7).unwrap_or(text)),
        _ => None,
    }
}

/// Composite score descending, agents without one last, then by id.
fn by_composite(left: &pb::AgentScorecard, right: &pb::AgentScorecard) -> Ordering {
    let score = |answer: &pb::AgentScorecard| {
        answer
            .scorecard
            .as_ref()
            .and_then(|scorecard| scorecard.composite_score)
    };
    match (score(left), score(right)) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| left.agent_id.cmp(&right.agent_id))
}

impl ScorecardApi {
    /// The snapshot to answer from: when the period is exactly a closed
    /// month and the caller did not ask for live numbers. A version asked
    /// for must exist (NOT_FOUND otherwise).
    pub(super) async fn snapshot_for(
        &self,
        selector: Option<&pb::PeriodSelector>,
        live: bool,
        version: i32,
    ) -> Result<Option<SnapshotRead>, ServiceError> {
        if version < 0 {
            return Err(ServiceError::invalid_field(
                "snapshot_version",
                "snapshot_version must be >= 0 (0 = the current version)",
            ));
        }
        let Some(text) = selected_month(selector) else {
            return Ok(None);
        };
        let Ok(month) = parse_month("period.month", text, self.engine.zone()) else {
            return Ok(None);
        };
        let Some(period) = self.engine.database().closed_period(&month.key).await? else {
            if version != 0 {
                return Err(ServiceError::NotFound {
                    reason: "SNAPSHOT_VERSION_NOT_FOUND",
                    resource_type: "snapshot version",
                    name: format!("{} v{version}", month.key),
                });
            }
            return Ok(None);
        };
        if live {
            return Ok(None);
        }
        let version = resolve_version(&period, version)?;
        Ok(Some(SnapshotRead { period, version }))
    }

    /// An agent's stored scorecard, or `None` for an agent the snapshot
    /// does not hold (added to the directory after it was taken).
    pub(super) async fn snapshot_agent(
        &self,
        snapshot: &SnapshotRead,
        agent_id: &str,
    ) -> Result<Option<pb::GetAgentScorecardResponse>, ServiceError> {
        let Some(entry) = self
            .engine
            .database()
            .snapshot_entry(
                &snapshot.period.month,
                snapshot.version.version,
                SubjectKind::Agent,
                agent_id,
            )
            .await?
        else {
            return Ok(None);
        };
        let stored: pb::AgentScorecard = decode(&entry.payload)?;
        let mut scorecard = stored.scorecard;
        snapshot.mark(&mut scorecard);
        Ok(Some(pb::GetAgentScorecardResponse {
            agent_id: stored.agent_id,
            team_id: stored.team_id,
            scorecard,
        }))
    }

    /// A team's stored scorecard, if the snapshot holds the team.
    pub(super) async fn snapshot_team(
        &self,
        snapshot: &SnapshotRead,
        team_id: &str,
    ) -> Result<Option<pb::GetTeamScorecardResponse>, ServiceError> {
        let Some(entry) = self
            .engine
            .database()
            .snapshot_entry(
                &snapshot.period.month,
                snapshot.version.version,
                SubjectKind::Team,
                team_id,
            )
            .await?
        else {
            return Ok(None);
        };
        let mut stored: pb::GetTeamScorecardResponse = decode(&entry.payload)?;
        snapshot.mark(&mut stored.scorecard);
        Ok(Some(stored))
    }

    /// Every agent scorecard of the snapshot (of `team_id`'s agents, as
    /// judged then), by agent id or by composite score.
    pub(super) async fn snapshot_agents(
        &self,
        snapshot: &SnapshotRead,
        team_id: Option<&str>,
        by_composite_score: bool,
    ) -> Result<Vec<pb::AgentScorecard>, ServiceError> {
        let entries = self
            .engine
            .database()
            .snapshot_entries(
                &snapshot.period.month,
                snapshot.version.version,
                SubjectKind::Agent,
                None,
                None,
                u64::MAX >> 1,
            )
            .await?;
        let mut answers = Vec::with_capacity(entries.len());
        for entry in entries {
            if team_id.is_some_and(|team| team != entry.team_id) {
                continue;
            }
            let mut answer: pb::AgentScorecard = decode(&entry.payload)?;
            snapshot.mark(&mut answer.scorecard);
            answers.push(answer);
        }
        if by_composite_score {
            answers.sort_by(by_composite);
        }
        Ok(answers)
    }
}

/// The breaches a stored agent scorecard holds, as the live list reports
/// them.
pub(super) fn snapshot_breaches(
    answer: &pb::AgentScorecard,
    kpi_ids: &[String],
    include_at_risk: bool,
) -> Vec<pb::ThresholdBreach> {
    let Some(scorecard) = &answer.scorecard else {
        return Vec::new();
    };
    scorecard
        .kpis
        .iter()
        .filter(|result| kpi_ids.is_empty() || kpi_ids.contains(&result.kpi_id))
        .filter_map(|result| {
            let status = pb::KpiStatus::try_from(result.status).ok()?;
            let shortfall = match status {
                pb::KpiStatus::Breached => -result.margin.unwrap_or_default(),
                pb::KpiStatus::AtRisk if include_at_risk => 0.0,
                _ => return None,
            };
            Some(pb::ThresholdBreach {
                agent_id: answer.agent_id.clone(),
                team_id: answer.team_id.clone(),
                result: Some(result.clone()),
                policy: scorecard.policy.clone(),
                shortfall,
            })
        })
        .collect()
}
