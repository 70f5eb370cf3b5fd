//! Parsers of the contact records: interactions, and the survey responses
//! and QA evaluations about them. Score scales are the domain's
//! (`domain::records::scales`).

use std::collections::BTreeSet;

use chrono::Duration;

use super::batch::{finish, meta, record_key, ItemContext};
use crate::{
    domain::{
        records::{
            scales::{
                check_criterion_rating, check_qa_scores, check_survey_score, MAX_CRITERION_RATINGS,
            },
            Channel, CriterionRating, NewInteraction, NewQaEvaluation, NewSurveyResponse,
            SurveyKind, SurveySubject,
        },
        violations::{indexed, nested},
    },
    grpc::{
        fields::{FieldParser, MAX_ID_LEN},
        pb,
    },
};

/// Longest duration field of an interaction (talk, hold, wrap-up): one day.
pub const MAX_DURATION_SECONDS: i64 = 86_400;
/// Longest span of one interaction from `queued_at`.
pub const MAX_SPAN_DAYS: i64 = 31;

pub fn interaction(
    item: pb::Interaction,
    parser: &mut FieldParser<'_>,
    context: &ItemContext,
) -> Option<NewInteraction> {
    let before = parser.violation_count();
    let meta = meta(
        parser,
        &item.source,
        &item.external_id,
        item.revision,
        item.voided,
    );
    let agent_id = parser.required_id("agent_id", &item.agent_id, MAX_ID_LEN);
    let team_id = parser.optional_id("team_id", &item.team_id, MAX_ID_LEN);
    let channel = match pb::Channel::try_from(item.channel) {
        Ok(pb::Channel::Phone) => Some(Channel::Phone),
        Ok(pb::Channel::Chat) => Some(Channel::Chat),
        Ok(pb::Channel::Email) => Some(Channel::Email),
        Ok(pb::Channel::Social) => Some(Channel::Social),
        Ok(pb::Channel::Messaging) => Some(Channel::Messaging),
        Ok(pb::Channel::Other) => Some(Channel::Other),
        Ok(pb::Channel::Unspecified) | Err(_) => {
            parser.violation(
                "channel",
                "channel is required (CHANNEL_PHONE, CHANNEL_CHAT, ...)",
            );
            None
        }
    };
    let queued_at = parser.required_instant("queued_at", item.queued_at.as_ref());
    let first_response_at =
        parser.optional_instant("first_response_at", item.first_response_at.as_ref());
    let ended_at = parser.required_instant("ended_at", item.ended_at.as_ref());
    let resolved_at = parser.optional_instant("resolved_at", item.resolved_at.as_ref());
    let sla_due_at = parser.optional_instant("sla_due_at", item.sla_due_at.as_ref());

    for (field, instant) in [
        ("queued_at", queued_at),
        ("first_response_at", first_response_at),
        ("ended_at", ended_at),
        ("resolved_at", resolved_at),
    ] {
        parser.not_in_future(field, instant, context.latest_accepted);
    }
    parser.ordered(
        "first_response_at",
        queued_at,
        first_response_at,
        "queued_at",
    );
    parser.ordered("ended_at", first_response_at, ended_at, "first_response_at");
    parser.ordered("ended_at", queued_at, ended_at, "queued_at");
    parser.ordered("resolved_at", queued_at, resolved_at, "queued_at");
    parser.ordered("sla_due_at", queued_at, sla_due_at, "queued_at");
    let longest = Duration::days(MAX_SPAN_DAYS);
    if let (Some(queued), Some(ended)) = (queued_at, ended_at) {
        if ended - queued > longest {
            parser.violation(
                "ended_at",
                format!("an interaction may last at most {MAX_SPAN_DAYS} days from queued_at"),
            );
        }
    }
    if let (Some(queued), Some(due)) = (queued_at, sla_due_at) {
        if due - queued > longest {
            parser.violation(
                "sla_due_at",
                format!("sla_due_at may be at most {MAX_SPAN_DAYS} days after queued_at"),
            );
        }
    }
    let talk_seconds = parser.seconds("talk_seconds", item.talk_seconds, MAX_DURATION_SECONDS);
    let hold_seconds = parser.seconds("hold_seconds", item.hold_seconds, MAX_DURATION_SECONDS);
    let after_contact_work_seconds = parser.seconds(
        "after_contact_work_seconds",
        item.after_contact_work_seconds,
        MAX_DURATION_SECONDS,
    );
    if item.first_contact_resolved && !item.resolved {
        parser.violation(
            "first_contact_resolved",
            "first_contact_resolved requires resolved = true",
        );
    }
    if resolved_at.is_some() && !item.resolved {
        parser.violation("resolved_at", "resolved_at is set but resolved is false");
    }

    finish(before, parser, || {
        Some(NewInteraction {
            meta,
            agent_id,
            team_id,
            channel: channel?,
            queued_at: queued_at?,
            first_response_at,
            ended_at: ended_at?,
            resolved_at,
            sla_due_at,
            talk_seconds,
            hold_seconds,
            after_contact_work_seconds,
            resolved: item.resolved,
            first_contact_resolved: item.first_contact_resolved,
            escalated: item.escalated,
            transferred: item.transferred,
            agent_error: item.agent_error,
            complaint: item.complaint,
        })
    })
}

pub fn survey_response(
    item: pb::SurveyResponse,
    parser: &mut FieldParser<'_>,
    context: &ItemContext,
) -> Option<NewSurveyResponse> {
    let before = parser.violation_count();
    let meta = meta(
        parser,
        &item.source,
        &item.external_id,
        item.revision,
        item.voided,
    );
    let agent_id = parser.optional_id("agent_id", &item.agent_id, MAX_ID_LEN);
    let subject = match (&item.interaction, agent_id) {
        (Some(key), agent_id) => Some(SurveySubject::Interaction {
            interaction: record_key(parser, "interaction", key),
            agent_id,
        }),
        (None, Some(agent_id)) => Some(SurveySubject::Agent(agent_id)),
        (None, None) => {
            parser.violation(
                "interaction",
                "a survey response names its interaction or, if unlinked, its agent_id",
            );
            None
        }
    };
    let kind = match pb::SurveyKind::try_from(item.kind) {
        Ok(pb::SurveyKind::Csat) => Some(SurveyKind::Csat),
        Ok(pb::SurveyKind::Nps) => Some(SurveyKind::Nps),
        Ok(pb::SurveyKind::Ces) => Some(SurveyKind::Ces),
        Ok(pb::SurveyKind::Unspecified) | Err(_) => {
            parser.violation("kind", "kind is required (SURVEY_KIND_CSAT, _NPS or _CES)");
            None
        }
    };
    if let Some(Err(error)) = kind.map(|kind| check_survey_score(kind, item.score)) {
        parser.violation(error.field, error.description);
    }
    let responded_at = parser.required_instant("responded_at", item.responded_at.as_ref());
    parser.not_in_future("responded_at", responded_at, context.latest_accepted);

    finish(before, parser, || {
        Some(NewSurveyResponse {
            meta,
            subject: subject?,
            kind: kind?,
            score: item.score,
            responded_at: responded_at?,
        })
    })
}

pub fn qa_evaluation(
    item: pb::QaEvaluation,
    parser: &mut FieldParser<'_>,
    context: &ItemContext,
) -> Option<NewQaEvaluation> {
    let before = parser.violation_count();
    let meta = meta(
        parser,
        &item.source,
        &item.external_id,
        item.revision,
        item.voided,
    );
    let agent_id = parser.required_id("agent_id", &item.agent_id, MAX_ID_LEN);
    let interaction = item
        .interaction
        .as_ref()
        .map(|key| record_key(parser, "interaction", key));
    let evaluated_at = parser.required_instant("evaluated_at", item.evaluated_at.as_ref());
    parser.not_in_future("evaluated_at", evaluated_at, context.latest_accepted);
    for error in check_qa_scores(item.score, item.max_score) {
        parser.violation(error.field, error.description);
    }
    if item.criterion_ratings.len() > MAX_CRITERION_RATINGS {
        parser.violation(
            "criterion_ratings",
            format!("at most {MAX_CRITERION_RATINGS} criterion ratings are allowed"),
        );
    }
    let mut seen = BTreeSet::new();
    let mut criterion_ratings = Vec::with_capacity(item.criterion_ratings.len());
    for (index, rating) in item.criterion_ratings.iter().enumerate() {
        let path = indexed("criterion_ratings", index);
        let criterion = parser.required_id(&nested(&path, "criterion"), &rating.criterion, 64);
        if !criterion.is_empty() && !seen.insert(criterion.clone()) {
            parser.violation(
                &nested(&path, "criterion"),
                format!("criterion {criterion:?} is rated twice"),
            );
        }
        if let Err(error) = check_criterion_rating(rating.rating) {
            parser.violation(&nested(&path, error.field), error.description);
        }
        criterion_ratings.push(CriterionRating {
            criterion,
            rating: rating.rating,
        });
    }

    finish(before, parser, || {
        Some(NewQaEvaluation {
            meta,
            agent_id,
            interaction,
            evaluated_at: evaluated_at?,
            score: item.score,
            max_score: item.max_score,
            criterion_ratings,
        })
    })
}
