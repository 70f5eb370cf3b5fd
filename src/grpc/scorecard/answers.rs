//! Scorecard answers -> protobuf. A stored scorecard (a closed month's) is
//! the bytes the API answered when the month was closed, decoded and
//! marked with the snapshot it comes from.

use chrono_tz::Tz;
use prost::Message;

use crate::{
    domain::{
        breach::Breach,
        records::{Channel, NewInteraction},
    },
    error::ServiceError,
    grpc::{
        directory::timestamp,
        kpi_results::{agent_scorecard_to_pb, kpi_result, policy_ref, scorecard_to_pb},
        pace::{forecast_to_pb, peers_to_pb},
        pb,
        period::period_to_pb,
        record_listing::agent_record_to_pb,
    },
    service::{
        engine::TrendBucket,
        scorecards::{
            AgentScorecardAnswer, BreachItem, BreachesPage, InteractionsPage, ListedScorecard,
            RecordsPage, ScorecardsPage, TeamScorecardAnswer,
        },
        snapshots::FromSnapshot,
    },
};

fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, ServiceError> {
    M::decode(bytes).map_err(|error| {
        tracing::error!(%error, "a stored snapshot does not decode");
        ServiceError::Internal
    })
}

/// Marks a stored scorecard with the snapshot it comes from.
fn mark(scorecard: &mut Option<pb::Scorecard>, from: &FromSnapshot) {
    if let Some(scorecard) = scorecard {
        scorecard.snapshot = Some(pb::SnapshotRef {
            month: from.month.clone(),
            version: from.snapshot.version,
            take_time: chrono::DateTime::from_timestamp_micros(from.snapshot.taken_at_us)
                .map(timestamp),
        });
    }
}

fn stored_agent(from: &FromSnapshot) -> Result<pb::AgentScorecard, ServiceError> {
    let mut stored: pb::AgentScorecard = decode(&from.entry.payload)?;
    mark(&mut stored.scorecard, from);
    Ok(stored)
}

pub(super) fn agent_scorecard(
    answer: AgentScorecardAnswer,
    zone: Tz,
) -> Result<pb::GetAgentScorecardResponse, ServiceError> {
    let answer = match answer {
        AgentScorecardAnswer::Live {
            agent,
            scorecard,
            peers,
        } => {
            let mut answer = agent_scorecard_to_pb(&agent, &scorecard, zone);
            if let Some(card) = &mut answer.scorecard {
                for (result, peers) in card.kpis.iter_mut().zip(&peers) {
                    result.peers = peers_to_pb(peers);
                }
            }
            answer
        }
        AgentScorecardAnswer::Stored(from) => stored_agent(&from)?,
    };
    Ok(pb::GetAgentScorecardResponse {
        agent_id: answer.agent_id,
        team_id: answer.team_id,
        scorecard: answer.scorecard,
    })
}

pub(super) fn team_scorecard(
    answer: TeamScorecardAnswer,
    zone: Tz,
) -> Result<pb::GetTeamScorecardResponse, ServiceError> {
    Ok(match answer {
        TeamScorecardAnswer::Live {
            team_id,
            scorecard,
            members,
        } => pb::GetTeamScorecardResponse {
            team_id,
            scorecard: Some(scorecard_to_pb(&scorecard, zone)),
            member_agent_ids: members,
        },
        TeamScorecardAnswer::Stored(from) => {
            let mut stored: pb::GetTeamScorecardResponse = decode(&from.entry.payload)?;
            mark(&mut stored.scorecard, &from);
            stored
        }
    })
}

pub(super) fn agent_scorecards(
    page: ScorecardsPage,
    zone: Tz,
) -> Result<pb::ListAgentScorecardsResponse, ServiceError> {
    Ok(pb::ListAgentScorecardsResponse {
        scorecards: page
            .scorecards
            .iter()
            .map(|listed| match listed {
                ListedScorecard::Live(agent, scorecard) => {
                    Ok(agent_scorecard_to_pb(agent, scorecard, zone))
                }
                ListedScorecard::Stored(from) => stored_agent(from),
            })
            .collect::<Result<_, _>>()?,
        next_page_token: page.next_page_token,
    })
}

pub(super) fn breaches(
    page: BreachesPage,
) -> Result<pb::ListThresholdBreachesResponse, ServiceError> {
    let mut breaches = Vec::with_capacity(page.breaches.len());
    for item in page.breaches {
        breaches.push(match item {
            BreachItem::Live(breach) => pb::ThresholdBreach {
                shortfall: breach.shortfall(),
                forecast_miss: breach.forecast_miss(),
                result: Some(pb::KpiResult {
                    forecast: breach.forecast.as_deref().map(forecast_to_pb),
                    ..breach_result(&breach)
                }),
                policy: Some(policy_ref(&breach.policy)),
                team_id: breach.agent.team_id.unwrap_or_default(),
                agent_id: breach.agent.agent_id,
            },
            BreachItem::Stored {
                scorecard,
                kpi_id,
                shortfall,
                current_team,
            } => {
                let stored: pb::AgentScorecard = decode(&scorecard.entry.payload)?;
                let card = stored.scorecard.unwrap_or_default();
                pb::ThresholdBreach {
                    agent_id: stored.agent_id,
                    team_id: current_team.unwrap_or_default(),
                    result: card.kpis.into_iter().find(|result| result.kpi_id == kpi_id),
                    policy: card.policy,
                    shortfall,
                    forecast_miss: false,
                }
            }
        });
    }
    Ok(pb::ListThresholdBreachesResponse {
        breaches,
        next_page_token: page.next_page_token,
    })
}

pub(super) fn trend(buckets: Vec<TrendBucket>, zone: Tz) -> pb::GetKpiTrendResponse {
    pb::GetKpiTrendResponse {
        buckets: buckets
            .into_iter()
            .map(|bucket| pb::TrendBucket {
                period: Some(period_to_pb(&bucket.period, zone)),
                values: bucket
                    .values
                    .iter()
                    .map(|value| kpi_result(value, None))
                    .collect(),
            })
            .collect(),
    }
}

fn interaction_to_pb(record: NewInteraction) -> pb::Interaction {
    let channel = match record.channel {
        Channel::Phone => pb::Channel::Phone,
        Channel::Chat => pb::Channel::Chat,
        Channel::Email => pb::Channel::Email,
        Channel::Social => pb::Channel::Social,
        Channel::Messaging => pb::Channel::Messaging,
        Channel::Other => pb::Channel::Other,
    };
    pb::Interaction {
        source: record.meta.key.source,
        external_id: record.meta.key.external_id,
        revision: record.meta.revision,
        voided: record.meta.voided,
        agent_id: record.agent_id,
        team_id: String::new(),
        channel: channel as i32,
        queued_at: Some(timestamp(record.queued_at)),
        first_response_at: record.first_response_at.map(timestamp),
        ended_at: Some(timestamp(record.ended_at)),
        resolved_at: record.resolved_at.map(timestamp),
        sla_due_at: record.sla_due_at.map(timestamp),
        talk_seconds: record.talk_seconds,
        hold_seconds: record.hold_seconds,
        after_contact_work_seconds: record.after_contact_work_seconds,
        resolved: record.resolved,
        first_contact_resolved: record.first_contact_resolved,
        escalated: record.escalated,
        transferred: record.transferred,
        agent_error: record.agent_error,
        complaint: record.complaint,
    }
}

pub(super) fn interactions(page: InteractionsPage) -> pb::ListAgentInteractionsResponse {
    pb::ListAgentInteractionsResponse {
        interactions: page
            .interactions
            .into_iter()
            .map(|(interaction, recorded_team_id)| pb::StoredInteraction {
                interaction: Some(interaction_to_pb(interaction)),
                recorded_team_id: recorded_team_id.unwrap_or_default(),
            })
            .collect(),
        next_page_token: page.next_page_token,
    }
}

pub(super) fn records(page: RecordsPage) -> pb::ListAgentRecordsResponse {
    pb::ListAgentRecordsResponse {
        records: page.records.iter().map(agent_record_to_pb).collect(),
        next_page_token: page.next_page_token,
    }
}

/// A live breach's KPI result, graded as in its scorecard (as a stored
/// breach's result is, being read from the snapshot's scorecard).
fn breach_result(breach: &Breach) -> pb::KpiResult {
    let mut result = kpi_result(&breach.value, Some(&*breach.assessment));
    if let Some(grade) = breach.grade {
        result.credit = Some(grade.credit);
        result.contribution = grade.contribution;
    }
    result.agent_goal_id = breach.agent_goal_id.unwrap_or_default();
    result
}
