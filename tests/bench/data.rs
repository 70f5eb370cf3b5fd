//! The benchmark's records, generated on demand from their index so that
//! 10M interactions never sit in memory: interaction `g` is `bench/i-g`,
//! every fifth interaction has a linked CSAT response `bench/s-g`.
//!
//! The interactions are written in passes: each pass spreads its share
//! evenly over October and November 2026 (UTC) in time order. The first
//! pass is the checkpoint size (0.5M by default), the second the rest, so
//! November is complete at every checkpoint and only its density grows.

use kpi_service::grpc::pb;
use prost_types::Timestamp;

/// 2026-10-01T00:00:00Z.
pub const OCTOBER_START_SECONDS: i64 = 1_790_812_800;
/// 2026-11-01T00:00:00Z.
pub const NOVEMBER_START_SECONDS: i64 = 1_793_491_200;
/// 2026-12-01T00:00:00Z.
pub const DECEMBER_START_SECONDS: i64 = 1_796_083_200;
/// Interactions per survey response.
pub const INTERACTIONS_PER_SURVEY: u64 = 5;
const SOURCE: &str = "bench";
const MICROS: i64 = 1_000_000;

/// The directory: `agents` agents spread round-robin over `teams` teams.
#[derive(Debug, Clone, Copy)]
pub struct Directory {
    pub agents: u64,
    pub teams: u64,
}

impl Directory {
    pub fn agent_id(&self, agent: u64) -> String {
        format!("agent-{agent:05}")
    }

    pub fn team_id(&self, team: u64) -> String {
        format!("team-{team:02}")
    }

    pub fn team_of(&self, agent: u64) -> u64 {
        agent % self.teams
    }
}

/// One pass: interactions `[first, end)` spread over both months.
#[derive(Debug, Clone, Copy)]
pub struct Pass {
    pub first: u64,
    pub end: u64,
}

impl Pass {
    pub fn interactions(&self) -> u64 {
        self.end - self.first
    }

    /// Survey responses of this pass: one per interaction whose index is a
    /// multiple of five.
    pub fn surveys(&self) -> u64 {
        self.end.div_ceil(INTERACTIONS_PER_SURVEY) - self.first.div_ceil(INTERACTIONS_PER_SURVEY)
    }

    /// The global index of the pass's `nth` survey's interaction.
    pub fn surveyed_interaction(&self, nth: u64) -> u64 {
        self.first.div_ceil(INTERACTIONS_PER_SURVEY) * INTERACTIONS_PER_SURVEY
            + nth * INTERACTIONS_PER_SURVEY
    }
}

/// The passes for `total` interactions with a checkpoint after `checkpoint`.
pub fn passes(total: u64, checkpoint: u64) -> Vec<Pass> {
    if total <= checkpoint {
        return vec![Pass {
            first: 0,
            end: total,
        }];
    }
    vec![
        Pass {
            first: 0,
            end: checkpoint,
        },
        Pass {
            first: checkpoint,
            end: total,
        },
    ]
}

/// Everything about interaction `index`, in plain numbers.
#[derive(Debug, Clone)]
pub struct InteractionRow {
    pub external_id: String,
    pub agent: u64,
    pub channel: pb::Channel,
    pub queued_at_us: i64,
    pub first_response_at_us: i64,
    pub ended_at_us: i64,
    pub resolved_at_us: Option<i64>,
    pub sla_due_at_us: i64,
    pub talk_seconds: i64,
    pub hold_seconds: i64,
    pub after_contact_work_seconds: i64,
    pub resolved: bool,
    pub first_contact_resolved: bool,
    pub escalated: bool,
    pub transferred: bool,
    pub agent_error: bool,
    pub complaint: bool,
}

/// A CSAT response linked to interaction `index`.
#[derive(Debug, Clone)]
pub struct SurveyRow {
    pub external_id: String,
    pub interaction_external_id: String,
    pub agent: u64,
    pub score: i32,
    pub responded_at_us: i64,
}

/// A cheap, well-mixed hash (splitmix64) so that records vary.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn interaction_external_id(index: u64) -> String {
    format!("i-{index}")
}

/// Interaction `index` of `pass`: its end time is placed evenly over the
/// two months, in index order.
pub fn interaction_row(directory: &Directory, pass: &Pass, index: u64) -> InteractionRow {
    let span_us = (DECEMBER_START_SECONDS - OCTOBER_START_SECONDS) * MICROS;
    let position = i64::try_from(index - pass.first).unwrap_or_default();
    let count = i64::try_from(pass.interactions()).unwrap_or(1).max(1);
    let ended_at_us = OCTOBER_START_SECONDS * MICROS
        + i64::try_from(i128::from(span_us) * i128::from(position) / i128::from(count))
            .unwrap_or_default();
    let hash = mix(index);
    let more = mix(hash);
    let bits =
        |value: u64, shift: u32, modulo: u64| i64::try_from((value >> shift) % modulo).unwrap_or(0);
    let wait_seconds = bits(hash, 0, 90);
    let talk_seconds = 60 + bits(hash, 8, 600);
    let hold_seconds = bits(hash, 20, 60);
    let after_contact_work_seconds = 10 + bits(hash, 28, 50);
    let queued_at_us = ended_at_us - (wait_seconds + talk_seconds + hold_seconds) * MICROS;
    let resolved = bits(more, 0, 10) < 8;
    InteractionRow {
        external_id: interaction_external_id(index),
        agent: mix(index ^ 0xA5A5) % directory.agents,
        channel: match bits(hash, 36, 3) {
            0 => pb::Channel::Phone,
            1 => pb::Channel::Chat,
            _ => pb::Channel::Email,
        },
        queued_at_us,
        first_response_at_us: queued_at_us + wait_seconds * MICROS,
        ended_at_us,
        resolved_at_us: resolved.then_some(ended_at_us),
        sla_due_at_us: queued_at_us + 60 * MICROS,
        talk_seconds,
        hold_seconds,
        after_contact_work_seconds,
        resolved,
        first_contact_resolved: resolved && bits(more, 8, 10) < 7,
        escalated: bits(more, 16, 20) == 0,
        transferred: bits(more, 24, 25) == 0,
        agent_error: bits(more, 32, 40) == 0,
        complaint: bits(more, 40, 100) == 0,
    }
}

/// The pass's `nth` survey response, an hour after its interaction ended.
pub fn survey_row(directory: &Directory, pass: &Pass, nth: u64) -> SurveyRow {
    let index = pass.surveyed_interaction(nth);
    let interaction = interaction_row(directory, pass, index);
    // Mostly satisfied (4-5), some 1-3.
    let score = [5, 4, 5, 4, 3, 5, 2, 4, 5, 1][(mix(index ^ 0x5EED) % 10) as usize];
    SurveyRow {
        external_id: format!("s-{index}"),
        interaction_external_id: interaction.external_id,
        agent: interaction.agent,
        score,
        responded_at_us: interaction.ended_at_us + 3_600 * MICROS,
    }
}

fn timestamp(micros: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: micros.div_euclid(MICROS),
        nanos: i32::try_from(micros.rem_euclid(MICROS) * 1_000).unwrap_or_default(),
    })
}

impl InteractionRow {
    /// As sent to `IngestInteractions` (the team comes from the directory).
    pub fn to_message(&self, directory: &Directory) -> pb::Interaction {
        pb::Interaction {
            source: SOURCE.into(),
            external_id: self.external_id.clone(),
            revision: None,
            voided: false,
            agent_id: directory.agent_id(self.agent),
            team_id: String::new(),
            channel: self.channel as i32,
            queued_at: timestamp(self.queued_at_us),
            first_response_at: timestamp(self.first_response_at_us),
            ended_at: timestamp(self.ended_at_us),
            resolved_at: self.resolved_at_us.and_then(timestamp),
            sla_due_at: timestamp(self.sla_due_at_us),
            talk_seconds: self.talk_seconds,
            hold_seconds: self.hold_seconds,
            after_contact_work_seconds: self.after_contact_work_seconds,
            resolved: self.resolved,
            first_contact_resolved: self.first_contact_resolved,
            escalated: self.escalated,
            transferred: self.transferred,
            agent_error: self.agent_error,
            complaint: self.complaint,
        }
    }

    pub fn channel_name(&self) -> &'static str {
        match self.channel {
            pb::Channel::Chat => "chat",
            pb::Channel::Email => "email",
            _ => "phone",
        }
    }
}

impl SurveyRow {
    /// As sent to `IngestSurveyResponses`.
    pub fn to_message(&self) -> pb::SurveyResponse {
        pb::SurveyResponse {
            source: SOURCE.into(),
            external_id: self.external_id.clone(),
            revision: None,
            voided: false,
            interaction: Some(pb::RecordKey {
                source: SOURCE.into(),
                external_id: self.interaction_external_id.clone(),
            }),
            agent_id: String::new(),
            kind: pb::SurveyKind::Csat as i32,
            score: self.score,
            responded_at: timestamp(self.responded_at_us),
        }
    }
}

/// The record kinds written, each in batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Interactions,
    Surveys,
}

impl Kind {
    pub fn count(&self, pass: &Pass) -> u64 {
        match self {
            Kind::Interactions => pass.interactions(),
            Kind::Surveys => pass.surveys(),
        }
    }

    pub fn table(&self) -> &'static str {
        match self {
            Kind::Interactions => "interactions",
            Kind::Surveys => "survey_responses",
        }
    }
}

/// The source every record is sent from.
pub fn source() -> &'static str {
    SOURCE
}
