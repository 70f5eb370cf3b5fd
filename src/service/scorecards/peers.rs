//! An agent's peers on a scorecard: the team's and the organisation's
//! pooled values and the agent's ranks, limited to what the caller may
//! read (a team-scoped caller sees its team only, never the organisation).

use super::Scorecards;
use crate::{
    auth::Caller,
    domain::{
        peers::{standing_in_group, KpiPeers},
        scorecard::Scorecard,
    },
    error::ServiceError,
    service::engine::{PeerGroup, PeerValues},
};

impl Scorecards {
    /// The peers of the agent of `scorecard`, per KPI in its order: the
    /// team that judged it (if the caller may read that team) and the
    /// organisation (if the caller reads everything), as of the same
    /// instant. Empty when the caller may see neither (an agent without a
    /// team, read by a team-scoped caller). Read on `connection`, the pool
    /// the agent's own scorecard came from (the primary, or where the
    /// client's token allows), so the ranks compare like with like.
    pub(super) async fn peers_of(
        &self,
        connection: &sea_orm::DatabaseConnection,
        caller: &Caller,
        agent_id: &str,
        scorecard: &Scorecard,
    ) -> Result<Vec<KpiPeers>, ServiceError> {
        let team_id = scorecard
            .team_id
            .as_deref()
            .filter(|team_id| caller.principal.may_read_team(team_id));
        let organisation = caller.principal.reads_everything();
        if team_id.is_none() && !organisation {
            return Ok(Vec::new());
        }
        let values = self
            .engine(connection)
            .cached_peer_values(
                &self.peer_cache,
                team_id,
                organisation,
                &scorecard.period,
                scorecard.as_of,
            )
            .await?;
        Ok(compare(agent_id, scorecard, &values))
    }
}

/// Per KPI: the pooled values and the agent's ranks in each group, with
/// the minimum sample of the agent's own rule as everyone's yardstick.
/// The agent ranks among its team even when it is no longer a member and
/// none of its records counted there (then with its own values).
fn compare(agent_id: &str, scorecard: &Scorecard, values: &PeerValues) -> Vec<KpiPeers> {
    scorecard
        .values
        .iter()
        .zip(&scorecard.verdict.assessments)
        .enumerate()
        .map(|(index, (own, assessment))| {
            let min_sample_size = assessment.rule.map_or(0, |rule| rule.min_sample_size);
            let place = |group: &PeerGroup, add_own: bool| {
                let others = group.agents.values().filter_map(|values| values.get(index));
                standing_in_group(own, min_sample_size, others.chain(add_own.then_some(own)))
            };
            KpiPeers {
                team: values
                    .team
                    .as_ref()
                    .and_then(|team| team.pooled.get(index).copied()),
                team_standing: values
                    .team
                    .as_ref()
                    .map(|team| place(team, !team.agents.contains_key(agent_id))),
                organisation: values
                    .organisation
                    .as_ref()
                    .and_then(|everyone| everyone.pooled.get(index).copied()),
                organisation_standing: values
                    .organisation
                    .as_ref()
                    .map(|everyone| place(everyone, false)),
            }
        })
        .collect()
}
