//! The demo's records: November 2026, each with a fixed natural key.

use super::pb;

/// 2026-11-`day` at `hour`:`minute` UTC.
pub(super) fn at(day: i64, hour: i64, minute: i64) -> prost_types::Timestamp {
    // 2026-11-01T00:00:00Z.
    const NOVEMBER_FIRST: i64 = 1_793_491_200;
    prost_types::Timestamp {
        seconds: NOVEMBER_FIRST + (day - 1) * 86_400 + hour * 3_600 + minute * 60,
        nanos: 0,
    }
}

fn key(source: &str, external_id: &str) -> pb::RecordKey {
    pb::RecordKey {
        source: source.into(),
        external_id: external_id.into(),
    }
}

/// A call handled on 2026-11-`day` from 09:00: answered after 30 s, ended
/// after talk + hold, wrap-up after that.
struct Call<'a> {
    external_id: String,
    agent_id: &'a str,
    channel: pb::Channel,
    day: i64,
    talk_seconds: i64,
    hold_seconds: i64,
    wrap_up_seconds: i64,
    first_contact_resolved: bool,
}

impl Call<'_> {
    fn into_interaction(self) -> pb::Interaction {
        let queued = at(self.day, 9, 0);
        let offset = |seconds: i64| prost_types::Timestamp {
            seconds: queued.seconds + seconds,
            nanos: 0,
        };
        let ended = 30 + self.talk_seconds + self.hold_seconds;
        pb::Interaction {
            source: "phone-platform".into(),
            external_id: self.external_id,
            agent_id: self.agent_id.into(),
            channel: self.channel as i32,
            queued_at: Some(queued),
            first_response_at: Some(offset(30)),
            ended_at: Some(offset(ended)),
            resolved_at: Some(offset(ended)),
            sla_due_at: Some(offset(60)),
            talk_seconds: self.talk_seconds,
            hold_seconds: self.hold_seconds,
            after_contact_work_seconds: self.wrap_up_seconds,
            resolved: true,
            first_contact_resolved: self.first_contact_resolved,
            ..Default::default()
        }
    }
}

/// The README's 20 calls: 240 s talk + 20 s hold + 40 s wrap-up, 17 of them
/// resolved on first contact.
pub(super) fn ana_calls() -> Vec<pb::Interaction> {
    (0..20)
        .map(|n| {
            Call {
                external_id: format!("ana-call-{n:02}"),
                agent_id: "ana",
                channel: pb::Channel::Phone,
                day: 2 + n,
                talk_seconds: 240,
                hold_seconds: 20,
                wrap_up_seconds: 40,
                first_contact_resolved: n < 17,
            }
            .into_interaction()
        })
        .collect()
}

/// The README's 20 CSAT responses, one per call, 17 scoring 4 or 5.
pub(super) fn ana_csat() -> Vec<pb::SurveyResponse> {
    (0..20)
        .map(|n: i32| {
            let score = if n < 17 { 4 + n % 2 } else { 2 };
            csat(
                &format!("csat-ana-{n:02}"),
                &format!("ana-call-{n:02}"),
                score,
            )
        })
        .collect()
}

/// 12 long calls, 6 resolved on first contact.
pub(super) fn ben_calls() -> Vec<pb::Interaction> {
    (0..12)
        .map(|n| {
            Call {
                external_id: format!("ben-call-{n:02}"),
                agent_id: "ben",
                channel: pb::Channel::Phone,
                day: 3 + n,
                talk_seconds: 400,
                hold_seconds: 60,
                wrap_up_seconds: 80,
                first_contact_resolved: n % 2 == 0,
            }
            .into_interaction()
        })
        .collect()
}

/// 10 CSAT responses for Ben, 6 satisfied.
pub(super) fn ben_csat() -> Vec<pb::SurveyResponse> {
    (0..10)
        .map(|n| {
            csat(
                &format!("csat-ben-{n:02}"),
                &format!("ben-call-{n:02}"),
                if n < 6 { 5 } else { 3 },
            )
        })
        .collect()
}

/// 15 quick chats, 14 resolved on first contact.
pub(super) fn chloe_chats() -> Vec<pb::Interaction> {
    (0..15)
        .map(|n| {
            Call {
                external_id: format!("chloe-chat-{n:02}"),
                agent_id: "chloe",
                channel: pb::Channel::Chat,
                day: 2 + n,
                talk_seconds: 180,
                hold_seconds: 0,
                wrap_up_seconds: 30,
                first_contact_resolved: n != 7,
            }
            .into_interaction()
        })
        .collect()
}

/// 8 NPS answers for Chloe: 6 promoters, 1 passive, 1 detractor.
pub(super) fn chloe_nps() -> Vec<pb::SurveyResponse> {
    [10, 9, 10, 9, 10, 9, 8, 5]
        .into_iter()
        .enumerate()
        .map(|(n, score)| pb::SurveyResponse {
            source: "survey-tool".into(),
            external_id: format!("nps-chloe-{n:02}"),
            interaction: Some(key("phone-platform", &format!("chloe-chat-{n:02}"))),
            kind: pb::SurveyKind::Nps as i32,
            score,
            responded_at: Some(at(3 + n as i64, 18, 0)),
            ..Default::default()
        })
        .collect()
}

fn csat(external_id: &str, call: &str, score: i32) -> pb::SurveyResponse {
    pb::SurveyResponse {
        source: "survey-tool".into(),
        external_id: external_id.into(),
        interaction: Some(key("phone-platform", call)),
        kind: pb::SurveyKind::Csat as i32,
        score,
        responded_at: Some(at(22, 10, 0)),
        ..Default::default()
    }
}

pub(super) fn qa_evaluation(
    external_id: &str,
    agent_id: &str,
    call: &str,
    score: f64,
) -> pb::QaEvaluation {
    pb::QaEvaluation {
        source: "qa-tool".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        interaction: Some(key("phone-platform", call)),
        evaluated_at: Some(at(16, 14, 0)),
        score,
        max_score: 50.0,
        criterion_ratings: vec![
            pb::CriterionRating {
                criterion: "greeting".into(),
                rating: 5,
            },
            pb::CriterionRating {
                criterion: "resolution".into(),
                rating: 4,
            },
        ],
        ..Default::default()
    }
}

pub(super) fn compliance(
    external_id: &str,
    agent_id: &str,
    kind: pb::ComplianceKind,
    passed: bool,
    day: i64,
) -> pb::ComplianceCheck {
    pb::ComplianceCheck {
        source: "compliance-audit".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        kind: kind as i32,
        passed,
        checked_at: Some(at(day, 16, 0)),
        ..Default::default()
    }
}

pub(super) fn agent_day(
    external_id: &str,
    agent_id: &str,
    day: &str,
    logged_in_seconds: i64,
    handling_seconds: i64,
) -> pb::AgentTime {
    pb::AgentTime {
        source: "workforce".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        day: day.into(),
        scheduled_seconds: 28_800,
        logged_in_seconds,
        handling_seconds,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_in_november_2026() {
        let first = at(1, 0, 0);
        let expected = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap();
        assert_eq!(first.seconds, expected.timestamp());
        assert_eq!(
            at(2, 9, 30).seconds - first.seconds,
            86_400 + 9 * 3_600 + 30 * 60
        );
    }

    #[test]
    fn ana_matches_the_readme() {
        let calls = ana_calls();
        assert_eq!(calls.len(), 20);
        let handle: i64 = calls
            .iter()
            .map(|call| call.talk_seconds + call.hold_seconds + call.after_contact_work_seconds)
            .sum();
        assert_eq!(handle, 6000);
        assert_eq!(
            calls
                .iter()
                .filter(|call| call.first_contact_resolved)
                .count(),
            17
        );
        let satisfied = ana_csat().iter().filter(|survey| survey.score >= 4).count();
        assert_eq!(satisfied, 17);
    }
}
