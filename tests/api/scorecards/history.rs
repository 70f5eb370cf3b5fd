//! The random histories of `random_histories`: a deterministic generator of
//! records and redeliveries over a few agents, teams and instants, and the
//! model of what must be stored and counted.

use chrono::NaiveDate;
use kpi_service::grpc::pb;

use crate::support::{
    app::at,
    records::{call, key, CALLS},
};

/// The agents: amy starts in red, ben in blue, cat in no team.
pub const AGENTS: [&str; 3] = ["amy", "ben", "cat"];
pub const TEAMS: [&str; 2] = ["red", "blue"];

/// Instants around the end of summer time (2026-10-25) and a month
/// boundary, with their Berlin day worked out by hand: UTC+2 until
/// 2026-10-25 01:00 UTC, UTC+1 after.
pub const INSTANTS: [(&str, &str); 8] = [
    ("2026-10-24T21:30:00Z", "2026-10-24"), // 23:30 CEST
    ("2026-10-24T22:30:00Z", "2026-10-25"), // 00:30 CEST
    ("2026-10-25T00:30:00Z", "2026-10-25"), // 02:30 CEST
    ("2026-10-25T23:10:00Z", "2026-10-26"), // 00:10 CET
    ("2026-10-31T22:59:59Z", "2026-10-31"), // 23:59:59 CET
    ("2026-10-31T23:00:00Z", "2026-11-01"), // 00:00 CET
    ("2026-11-01T12:00:00Z", "2026-11-01"), // 13:00 CET
    ("2026-11-02T06:00:00Z", "2026-11-02"), // 07:00 CET
];

/// The instants of [`INSTANTS`], for [`Dice::pick`].
pub fn instants() -> [&'static str; 8] {
    INSTANTS.map(|(instant, _)| instant)
}

/// The Berlin day ("YYYY-MM-DD") of one of [`INSTANTS`].
pub fn berlin_day(timestamp: &Option<prost_types::Timestamp>) -> &'static str {
    INSTANTS
        .iter()
        .find(|(instant, _)| Some(at(instant)) == *timestamp)
        .map(|(_, day)| *day)
        .unwrap_or_else(|| panic!("not one of the instants: {timestamp:?}"))
}

/// The records as stored: the last delivery of each key that the service
/// must have applied (every delivery but a stale one), void or not.
#[derive(Default)]
pub struct Model {
    pub calls: Vec<pb::Interaction>,
    pub surveys: Vec<pb::SurveyResponse>,
    pub evaluations: Vec<pb::QaEvaluation>,
}

/// What one agent's month must count, from the model.
#[derive(Debug, Default, PartialEq)]
pub struct Counted {
    pub contacts: i64,
    pub handle_seconds: i64,
    pub escalated: i64,
    pub complaints: i64,
    pub csat_responses: i64,
    pub csat_satisfied: i64,
}

impl Model {
    /// The catalogue's attribution: a call counts for its agent in the month
    /// of its end unless void; a CSAT response linked to a call counts with
    /// that call (and nowhere while the call is void or has not arrived), an
    /// unlinked one for the agent it names in the month it was answered.
    pub fn counted(&self, agent: &str, month: &str) -> Counted {
        let mut counted = Counted::default();
        let in_month =
            |timestamp: &Option<prost_types::Timestamp>| berlin_day(timestamp).starts_with(month);
        for call in &self.calls {
            if call.voided || call.agent_id != agent || !in_month(&call.ended_at) {
                continue;
            }
            counted.contacts += 1;
            counted.handle_seconds +=
                call.talk_seconds + call.hold_seconds + call.after_contact_work_seconds;
            counted.escalated += i64::from(call.escalated);
            counted.complaints += i64::from(call.complaint);
        }
        for survey in &self.surveys {
            if survey.voided {
                continue;
            }
            let counts_here = match &survey.interaction {
                Some(link) => self.calls.iter().any(|call| {
                    call.external_id == link.external_id
                        && !call.voided
                        && call.agent_id == agent
                        && in_month(&call.ended_at)
                }),
                None => survey.agent_id == agent && in_month(&survey.responded_at),
            };
            if counts_here {
                counted.csat_responses += 1;
                counted.csat_satisfied += i64::from(survey.score >= 4);
            }
        }
        counted
    }

    /// The first and last Berlin day that a stored record (void or not)
    /// falls on.
    pub fn first_and_last_day(&self) -> (NaiveDate, NaiveDate) {
        let days: Vec<NaiveDate> = self
            .calls
            .iter()
            .map(|call| &call.ended_at)
            .chain(self.surveys.iter().map(|survey| &survey.responded_at))
            .chain(self.evaluations.iter().map(|qa| &qa.evaluated_at))
            .map(|timestamp| berlin_day(timestamp).parse().unwrap())
            .collect();
        let first = days.iter().min().copied().expect("no records yet");
        let last = days.iter().max().copied().expect("no records yet");
        (first, last)
    }
}

/// A small deterministic generator (xorshift64*), so a failure replays.
pub struct Dice(pub u64);

impl Dice {
    pub fn roll(&mut self, sides: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % sides
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.roll(items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.roll(100) < percent
    }
}

/// A new call `c{id}` of a random agent, instant, handle time and flags;
/// a quarter name their team.
pub fn random_interaction(dice: &mut Dice, id: usize) -> pb::Interaction {
    let ended_at = dice.pick(&instants());
    let mut call = call(&format!("c{id}"), dice.pick(&AGENTS), ended_at);
    call.talk_seconds = 60 + dice.roll(600) as i64;
    call.resolved = dice.chance(70);
    if !call.resolved {
        call.resolved_at = None;
    }
    call.first_contact_resolved = call.resolved && dice.chance(60);
    call.escalated = dice.chance(20);
    call.complaint = dice.chance(10);
    if dice.chance(25) {
        call.team_id = dice.pick(&TEAMS).into();
    }
    call
}

/// A CSAT response `s{id}`: three in four about one of the first
/// `interactions + 3` calls (which may not have arrived), else naming an
/// agent.
pub fn random_survey(dice: &mut Dice, id: usize, interactions: usize) -> pb::SurveyResponse {
    let mut survey = pb::SurveyResponse {
        source: "survey-tool".into(),
        external_id: format!("s{id}"),
        kind: pb::SurveyKind::Csat as i32,
        score: 1 + dice.roll(5) as i32,
        responded_at: Some(at(dice.pick(&instants()))),
        ..Default::default()
    };
    if dice.chance(75) {
        // Possibly an interaction that has not arrived yet.
        survey.interaction = Some(key(CALLS, &format!("c{}", dice.roll(interactions + 3))));
    } else {
        survey.agent_id = dice.pick(&AGENTS).into();
    }
    survey
}

/// A QA evaluation `q{id}` of a random agent, three in five about one of
/// the first `interactions + 3` calls.
pub fn random_evaluation(dice: &mut Dice, id: usize, interactions: usize) -> pb::QaEvaluation {
    pb::QaEvaluation {
        source: "qa-tool".into(),
        external_id: format!("q{id}"),
        agent_id: dice.pick(&AGENTS).into(),
        interaction: dice
            .chance(60)
            .then(|| key(CALLS, &format!("c{}", dice.roll(interactions + 3)))),
        evaluated_at: Some(at(dice.pick(&instants()))),
        score: (dice.roll(51) as f64) * 0.7,
        max_score: 35.7,
        criterion_ratings: vec![pb::CriterionRating {
            criterion: "attitude".into(),
            rating: 1 + dice.roll(5) as i32,
        }],
        ..Default::default()
    }
}

/// Resends `item` as a void, restore, stale, replay or correction.
pub fn redeliver<T: Clone>(
    dice: &mut Dice,
    item: &T,
    voided: impl Fn(&mut T) -> &mut bool,
    revision: impl Fn(&mut T) -> &mut Option<i64>,
) -> T {
    let mut copy = item.clone();
    match dice.roll(4) {
        0 => *voided(&mut copy) = true,
        1 => *voided(&mut copy) = false,
        2 => *revision(&mut copy) = Some(0),
        _ => {}
    }
    copy
}
