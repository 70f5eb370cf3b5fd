//! Teams, agents and their effective-dated team history.

use chrono::{DateTime, NaiveDate, Utc};

use super::calendar::{DayRange, LocalDay};

/// A team of agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub team_id: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An agent, the team they belong to now, and their team history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub agent_id: String,
    pub display_name: String,
    pub team_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every membership, oldest first (filled by reads that ask for it).
    pub memberships: Vec<TeamMembership>,
}

/// One stretch of an agent's team history, in the reporting zone's days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMembership {
    pub team_id: String,
    /// First day, inclusive; `None` for "since before any record" (agents
    /// whose team predates the history, and first teams).
    pub effective_from: Option<NaiveDate>,
    /// Day it ended, exclusive; `None` while it lasts.
    pub effective_to: Option<NaiveDate>,
}

/// A team to create or rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamUpsert {
    pub team_id: String,
    pub display_name: String,
}

/// An agent to create or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentUpsert {
    pub agent_id: String,
    pub display_name: String,
    pub team_id: Option<String>,
    /// The local day a team change takes effect; `None` = the default (see
    /// [`MembershipHistory::change_day`]).
    pub team_effective_from: Option<NaiveDate>,
}

/// One stored stretch of an agent's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub team_id: String,
    /// First day, inclusive.
    pub from_day: LocalDay,
    /// End day, exclusive; `None` while it lasts.
    pub to_day: Option<LocalDay>,
}

impl Span {
    fn covers(&self, day: LocalDay) -> bool {
        self.from_day <= day && self.to_day.is_none_or(|to| day < to)
    }
}

/// An agent's memberships, oldest first, never overlapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipHistory {
    pub spans: Vec<Span>,
}

impl MembershipHistory {
    /// The team in force on `day`, if any.
    pub fn team_on(&self, day: LocalDay) -> Option<&str> {
        self.spans
            .iter()
            .find(|span| span.covers(day))
            .map(|span| span.team_id.as_str())
    }

    /// The team whose policy judges a period of `days`: the team on its
    /// first day, else (an agent who joined during it) the first team
    /// within it.
    pub fn team_for_period(&self, days: DayRange) -> Option<&str> {
        self.team_on(days.first).or_else(|| {
            self.spans
                .iter()
                .find(|span| span.from_day > days.first && span.from_day < days.end)
                .map(|span| span.team_id.as_str())
        })
    }

    /// The day a team change takes effect: the day asked for; else, for an
    /// agent's first team, the first open day (`first_open_day`: the day
    /// after the latest closed month, `None` when no month is closed, which
    /// means since before any record), so that the records already stored
    /// for the agent count for it; else `today`.
    pub fn change_day(
        &self,
        asked: Option<NaiveDate>,
        today: LocalDay,
        first_open_day: Option<LocalDay>,
    ) -> LocalDay {
        if let Some(date) = asked {
            return LocalDay::of_date(date);
        }
        if !self.spans.is_empty() {
            return today;
        }
        first_open_day.unwrap_or(LocalDay::OPEN_START)
    }

    /// The history after "the agent is in `team` (or none) from `from_day`
    /// on": earlier stretches are cut at `from_day`, later ones dropped, and
    /// a stretch of the same team that reaches `from_day` is extended.
    pub fn with_change(&self, team: Option<&str>, from_day: LocalDay) -> MembershipHistory {
        let mut spans: Vec<Span> = self
            .spans
            .iter()
            .filter(|span| span.from_day < from_day)
            .map(|span| Span {
                to_day: Some(span.to_day.map_or(from_day, |to| to.min(from_day))),
                ..span.clone()
            })
            .collect();
        if let Some(team) = team {
            match spans.last_mut() {
                Some(last) if last.team_id == team && last.to_day == Some(from_day) => {
                    last.to_day = None;
                }
                _ => spans.push(Span {
                    team_id: team.to_owned(),
                    from_day,
                    to_day: None,
                }),
            }
        }
        MembershipHistory { spans }
    }

    /// The history as the directory shows it.
    pub fn memberships(&self) -> Vec<TeamMembership> {
        self.spans
            .iter()
            .map(|span| TeamMembership {
                team_id: span.team_id.clone(),
                effective_from: (span.from_day != LocalDay::OPEN_START)
                    .then(|| span.from_day.date()),
                effective_to: span.to_day.map(LocalDay::date),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(number: i32) -> LocalDay {
        LocalDay::from_number(number)
    }

    fn span(team: &str, from_day: LocalDay, to_day: Option<i32>) -> Span {
        Span {
            team_id: team.into(),
            from_day,
            to_day: to_day.map(day),
        }
    }

    #[test]
    fn a_change_cuts_the_past_and_replaces_the_future() {
        let history = MembershipHistory {
            spans: vec![
                span("red", LocalDay::OPEN_START, Some(10)),
                span("blue", day(10), None),
            ],
        };
        let changed = history.with_change(Some("green"), day(5));
        assert_eq!(
            changed.spans,
            vec![
                span("red", LocalDay::OPEN_START, Some(5)),
                span("green", day(5), None)
            ]
        );
        assert_eq!(changed.team_on(day(4)), Some("red"));
        assert_eq!(changed.team_on(day(12)), Some("green"));
    }

    #[test]
    fn restating_the_current_team_changes_nothing() {
        let history = MembershipHistory {
            spans: vec![
                span("red", LocalDay::OPEN_START, Some(10)),
                span("blue", day(10), None),
            ],
        };
        assert_eq!(history.with_change(Some("blue"), day(12)), history);
        assert_eq!(
            history.with_change(None, day(12)).spans,
            vec![
                span("red", LocalDay::OPEN_START, Some(10)),
                span("blue", day(10), Some(12))
            ]
        );
    }

    #[test]
    fn a_first_team_counts_from_the_first_open_day_and_a_move_from_today() {
        let today = day(400);
        let newcomer = MembershipHistory::default();
        assert_eq!(newcomer.change_day(None, today, None), LocalDay::OPEN_START);
        assert_eq!(newcomer.change_day(None, today, Some(day(300))), day(300));
        let member = MembershipHistory {
            spans: vec![span("red", LocalDay::OPEN_START, None)],
        };
        assert_eq!(member.change_day(None, today, Some(day(300))), today);
        let asked = day(350).date();
        assert_eq!(member.change_day(Some(asked), today, None), day(350));
        assert_eq!(newcomer.change_day(Some(asked), today, None), day(350));
    }

    #[test]
    fn a_period_is_judged_by_the_team_at_its_start_or_the_first_one_joined() {
        let history = MembershipHistory {
            spans: vec![span("red", day(3), Some(10)), span("blue", day(10), None)],
        };
        assert_eq!(
            history.team_for_period(DayRange {
                first: day(0),
                end: day(30)
            }),
            Some("red")
        );
        assert_eq!(
            history.team_for_period(DayRange {
                first: day(5),
                end: day(30)
            }),
            Some("red")
        );
        assert_eq!(
            history.team_for_period(DayRange {
                first: day(10),
                end: day(30)
            }),
            Some("blue")
        );
        assert_eq!(
            history.team_for_period(DayRange {
                first: day(-5),
                end: day(2)
            }),
            None
        );
    }
}
