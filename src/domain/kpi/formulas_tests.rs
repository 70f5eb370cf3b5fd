//! Unit tests of `formulas`, with expectations worked out by hand from the
//! catalogue.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::domain::{
    kpi::sums::{
        AgentTimeFacts, ComplianceFacts, ComplianceKind, QaFacts, SurveyFacts, SurveyKind,
        TrainingFacts,
    },
    records::{Channel, NewInteraction, RecordKey, RecordMeta},
};

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_793_000_000, 0).unwrap_or_default()
}

fn call(talk: i64, hold: i64, wrap_up: i64) -> NewInteraction {
    let queued_at = start();
    NewInteraction {
        meta: RecordMeta {
            key: RecordKey {
                source: "pbx".into(),
                external_id: "call".into(),
            },
            revision: None,
            voided: false,
        },
        agent_id: "ana".into(),
        team_id: None,
        channel: Channel::Phone,
        queued_at,
        first_response_at: Some(queued_at + Duration::seconds(30)),
        ended_at: queued_at + Duration::seconds(600),
        resolved_at: None,
        sla_due_at: None,
        talk_seconds: talk,
        hold_seconds: hold,
        after_contact_work_seconds: wrap_up,
        resolved: false,
        first_contact_resolved: false,
        escalated: false,
        transferred: false,
        agent_error: false,
        complaint: false,
    }
}

fn value(kpi: KpiId, sums: &KpiSums) -> Option<f64> {
    compute(kpi, sums).value
}

fn surveys(kind: SurveyKind, scores: &[i32]) -> KpiSums {
    let mut sums = KpiSums::default();
    for score in scores {
        sums.add_survey(&SurveyFacts {
            kind,
            score: *score,
        });
    }
    sums
}

#[test]
fn csat_80_of_100_satisfied_is_80_percent() {
    // Seed example: 80 responses scoring 4-5 out of 100 -> 80 %.
    let mut scores = vec![5; 50];
    scores.extend([4; 30]);
    scores.extend([3; 20]);
    let result = compute(KpiId::Csat, &surveys(SurveyKind::Csat, &scores));
    assert_eq!(
        (result.numerator, result.denominator, result.sample_size),
        (80.0, 100.0, 100)
    );
    assert_eq!(result.value, Some(80.0));
}

#[test]
fn fcr_400_of_500_is_80_percent() {
    let mut sums = KpiSums::default();
    for index in 0..500 {
        let mut interaction = call(100, 0, 0);
        interaction.resolved = index < 450;
        interaction.first_contact_resolved = index < 400;
        sums.add_interaction(&interaction);
    }
    assert_eq!(value(KpiId::FcrRate, &sums), Some(80.0));
    // 450 of 500 resolved -> 90 %.
    assert_eq!(value(KpiId::ResolutionRate, &sums), Some(90.0));
}

#[test]
fn nps_runs_from_minus_100_to_plus_100() {
    // 10 promoters, 5 passives, 5 detractors of 20: 50 % - 25 % = +25.
    let mut scores = vec![10; 6];
    scores.extend([9; 4]);
    scores.extend([7, 8, 7, 8, 7]);
    scores.extend([0, 3, 5, 6, 6]);
    let result = compute(KpiId::Nps, &surveys(SurveyKind::Nps, &scores));
    assert_eq!((result.numerator, result.denominator), (5.0, 20.0));
    assert_eq!(result.value, Some(25.0));
    assert_eq!(
        value(KpiId::Nps, &surveys(SurveyKind::Nps, &[0, 6, 3])),
        Some(-100.0)
    );
    assert_eq!(
        value(KpiId::Nps, &surveys(SurveyKind::Nps, &[9, 10])),
        Some(100.0)
    );
    assert_eq!(
        value(KpiId::Nps, &surveys(SurveyKind::Nps, &[7, 8])),
        Some(0.0)
    );
}

#[test]
fn ces_counts_5_to_7_as_easy() {
    // 5, 6, 7 easy; 4 and 1 not: 3 / 5 = 60 %.
    assert_eq!(
        value(KpiId::Ces, &surveys(SurveyKind::Ces, &[5, 6, 7, 4, 1])),
        Some(60.0)
    );
}

#[test]
fn no_data_is_no_value_but_counts_are_real_zeros() {
    let empty = KpiSums::default();
    for kpi in KpiId::ALL {
        let result = compute(kpi, &empty);
        if kpi.is_count() {
            assert_eq!(result.value, Some(0.0), "{kpi}");
        } else {
            assert_eq!(result.value, None, "{kpi} must have no value without data");
        }
    }
}

#[test]
fn aht_averages_talk_hold_and_wrap_up() {
    // (240+20+40) + (100+0+20) + (500+60+100) = 300 + 120 + 660 = 1080; / 3 = 360 s.
    let mut sums = KpiSums::default();
    sums.add_interaction(&call(240, 20, 40));
    sums.add_interaction(&call(100, 0, 20));
    sums.add_interaction(&call(500, 60, 100));
    let result = compute(KpiId::Aht, &sums);
    assert_eq!((result.numerator, result.denominator), (1080.0, 3.0));
    assert_eq!(result.value, Some(360.0));
}

#[test]
fn response_and_resolution_times_use_only_interactions_that_have_them() {
    let mut sums = KpiSums::default();
    let mut first = call(60, 0, 0);
    first.first_response_at = Some(first.queued_at + Duration::milliseconds(20_500));
    first.resolved = true;
    first.resolved_at = Some(first.queued_at + Duration::seconds(300));
    let mut second = call(60, 0, 0);
    second.first_response_at = None;
    second.resolved = true;
    second.resolved_at = None;
    let mut third = call(60, 0, 0);
    third.first_response_at = Some(third.queued_at + Duration::seconds(40));
    sums.add_interaction(&first);
    sums.add_interaction(&second);
    sums.add_interaction(&third);
    // Response: (20.5 + 40) / 2 = 30.25 s; resolution: only the first, 300 s.
    assert_eq!(value(KpiId::AvgResponseTime, &sums), Some(30.25));
    assert_eq!(value(KpiId::AvgResolutionTime, &sums), Some(300.0));
    assert_eq!(compute(KpiId::AvgResolutionTime, &sums).sample_size, 1);
}

#[test]
fn overdue_counts_late_and_missing_first_responses_among_those_with_an_sla() {
    let mut sums = KpiSums::default();
    let mut on_time = call(60, 0, 0);
    on_time.sla_due_at = Some(on_time.queued_at + Duration::seconds(30));
    let mut late = call(60, 0, 0);
    late.sla_due_at = Some(late.queued_at + Duration::seconds(29));
    let mut unanswered = call(60, 0, 0);
    unanswered.first_response_at = None;
    unanswered.sla_due_at = Some(unanswered.queued_at + Duration::seconds(60));
    let without_sla = call(60, 0, 0);
    for interaction in [&on_time, &late, &unanswered, &without_sla] {
        sums.add_interaction(interaction);
    }
    // 2 overdue of 3 with an SLA: 66.666...%.
    let result = compute(KpiId::OverdueRate, &sums);
    assert_eq!((result.numerator, result.denominator), (2.0, 3.0));
    assert_eq!(result.value, Some(200.0 / 3.0));
}

#[test]
fn solo_resolution_excludes_escalated_and_transferred() {
    let mut sums = KpiSums::default();
    for (resolved, escalated, transferred) in [
        (true, false, false),
        (true, true, false),
        (true, false, true),
        (false, false, false),
    ] {
        let mut interaction = call(60, 0, 0);
        interaction.resolved = resolved;
        interaction.escalated = escalated;
        interaction.transferred = transferred;
        sums.add_interaction(&interaction);
    }
    // 1 of 4 resolved alone; escalation 1/4, transfer 1/4.
    assert_eq!(value(KpiId::SoloResolutionRate, &sums), Some(25.0));
    assert_eq!(value(KpiId::EscalationRate, &sums), Some(25.0));
    assert_eq!(value(KpiId::TransferRate, &sums), Some(25.0));
}

#[test]
fn call_rating_is_the_mean_of_all_ratings_across_evaluations() {
    let mut sums = KpiSums::default();
    // Ratings 5, 4, 3 and 4, 4: (12 + 8) / 5 = 4.0 (not the mean of means 4.0 vs 4.0 here);
    // add a third with a single 2: (20 + 2) / 6 = 3.666...
    for (total, count) in [(12, 3), (8, 2), (2, 1)] {
        sums.add_qa(&QaFacts {
            score: 40.0,
            max_score: 50.0,
            criterion_rating_total: total,
            criterion_rating_count: count,
        });
    }
    let result = compute(KpiId::CallRating, &sums);
    assert_eq!((result.numerator, result.denominator), (22.0, 6.0));
    assert_eq!(result.value, Some(22.0 / 6.0));
    // QA: 120 of 150 points = 80 %.
    assert_eq!(value(KpiId::QaScore, &sums), Some(80.0));
    assert_eq!(compute(KpiId::QaScore, &sums).sample_size, 3);
}

#[test]
fn compliance_training_and_workforce_ratios() {
    let mut sums = KpiSums::default();
    for passed in [true, true, true, false] {
        sums.add_compliance(&ComplianceFacts {
            kind: ComplianceKind::Process,
            passed,
        });
    }
    sums.add_compliance(&ComplianceFacts {
        kind: ComplianceKind::Privacy,
        passed: true,
    });
    let due_at = start();
    for completed in [Some(due_at), Some(due_at + Duration::seconds(1)), None] {
        sums.add_training(&TrainingFacts {
            due_at,
            completed_at: completed,
        });
    }
    sums.add_agent_time(&AgentTimeFacts {
        scheduled_seconds: 28_800,
        logged_in_seconds: 27_000,
        handling_seconds: 21_600,
    });
    sums.add_agent_time(&AgentTimeFacts {
        scheduled_seconds: 28_800,
        logged_in_seconds: 28_800,
        handling_seconds: 27_000,
    });
    sums.add_violation();
    sums.add_violation();
    assert_eq!(value(KpiId::ProcessCompliance, &sums), Some(75.0));
    assert_eq!(value(KpiId::PrivacyCompliance, &sums), Some(100.0));
    // Completed exactly at due_at counts; one second late does not: 1 / 3.
    assert_eq!(value(KpiId::TrainingCompletion, &sums), Some(100.0 / 3.0));
    // Occupancy 48,600 / 55,800 = 87.096...%; utilization 55,800 / 57,600 = 96.875 %.
    assert_eq!(
        value(KpiId::Occupancy, &sums),
        Some(48_600.0 * 100.0 / 55_800.0)
    );
    assert_eq!(value(KpiId::Utilization, &sums), Some(96.875));
    // Their samples are the two shifts, not seconds.
    assert_eq!(compute(KpiId::Occupancy, &sums).sample_size, 2);
    assert_eq!(compute(KpiId::Utilization, &sums).sample_size, 2);
    assert_eq!(value(KpiId::Violations, &sums), Some(2.0));
}

#[test]
fn contacts_per_day_pools_agent_days() {
    // Agent A: 30 contacts on day 1, 50 on day 2; agent B: 40 on day 1.
    // Pooled: 120 contacts / 3 agent-days = 40 (an average of the agents'
    // averages would be (40 + 40) / 2 = 40 too, so B works 2 days: 40 + 20).
    let day = |contacts: usize| {
        let mut sums = KpiSums::default();
        for _ in 0..contacts {
            sums.add_interaction(&call(60, 0, 0));
        }
        sums.close_day();
        sums
    };
    let agent_a = day(30) + day(50);
    let agent_b = day(40) + day(20);
    assert_eq!(value(KpiId::ContactsPerDay, &agent_a), Some(40.0));
    assert_eq!(value(KpiId::ContactsPerDay, &agent_b), Some(30.0));
    let team = agent_a + agent_b;
    // 140 contacts / 4 agent-days = 35.
    assert_eq!(value(KpiId::ContactsPerDay, &team), Some(35.0));
    assert_eq!(value(KpiId::ContactsHandled, &team), Some(140.0));
    // A day without interactions is not a worked day.
    let mut idle = KpiSums::default();
    idle.add_violation();
    idle.close_day();
    assert_eq!(idle.worked_days, 0);
}

#[test]
fn values_multiply_before_dividing() {
    let mut sums = KpiSums::default();
    for score in [5; 29].into_iter().chain([1; 21]) {
        sums.add_survey(&SurveyFacts {
            kind: SurveyKind::Csat,
            score,
        });
    }
    assert_eq!(value(KpiId::Csat, &sums), Some(58.0));
}

/// A tiny deterministic generator, so the grouping test needs no
/// dependency and always checks the same cases.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (self.0 >> 33) % bound
    }
}

#[test]
fn sums_are_the_same_however_records_are_grouped() {
    let mut random = Lcg(42);
    let interactions: Vec<NewInteraction> = (0..200)
        .map(|_| {
            let mut interaction = call(random.below(900) as i64, random.below(120) as i64, 30);
            interaction.resolved = random.below(2) == 0;
            interaction.escalated = random.below(5) == 0;
            interaction.first_response_at = (random.below(4) != 0).then(|| {
                interaction.queued_at + Duration::milliseconds(random.below(600_000) as i64)
            });
            interaction.sla_due_at =
                (random.below(2) == 0).then(|| interaction.queued_at + Duration::seconds(60));
            interaction
        })
        .collect();
    let mut all_at_once = KpiSums::default();
    for interaction in &interactions {
        all_at_once.add_interaction(interaction);
    }
    for _ in 0..20 {
        // Cut the list at random points, as days or agents would, and add the groups.
        let mut groups = Vec::new();
        let mut current = KpiSums::default();
        for interaction in &interactions {
            current.add_interaction(interaction);
            if random.below(7) == 0 {
                groups.push(std::mem::take(&mut current));
            }
        }
        groups.push(current);
        let regrouped: KpiSums = groups.into_iter().sum();
        assert_eq!(regrouped, all_at_once);
        assert_eq!(compute_all(&regrouped), compute_all(&all_at_once));
    }
}

#[test]
fn a_team_is_pooled_not_averaged() {
    // A: 1 of 1 satisfied (100 %); B: 1 of 3 (33.3 %). Team: 2 / 4 = 50 %.
    let team = surveys(SurveyKind::Csat, &[5]) + surveys(SurveyKind::Csat, &[4, 2, 1]);
    assert_eq!(value(KpiId::Csat, &team), Some(50.0));
}
