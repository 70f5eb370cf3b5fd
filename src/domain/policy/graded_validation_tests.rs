use super::*;

fn linear(floors: Floors) -> ScoringInput {
    ScoringInput {
        kind: Some(Ok(ScoringKind::Linear)),
        floors,
        tiers: Vec::new(),
    }
}

fn rule(kpi_id: &str, target: Target) -> RuleInput {
    RuleInput {
        kpi_id: kpi_id.into(),
        target: Some(target),
        warning_band: None,
        weight: 1.0,
        gate: false,
        min_sample_size: 1,
    }
}

fn fields(result: Result<GradedPlan, Vec<FieldViolation>>) -> Vec<String> {
    result.unwrap_err().into_iter().map(|v| v.field).collect()
}

#[test]
fn floors_on_the_wrong_side_of_the_target_are_refused() {
    let rules = [rule("csat", Target::AtLeast(85.0))];
    let floor_above = linear(Floors {
        floor: Some(90.0),
        ..Floors::default()
    });
    assert_eq!(
        fields(validate_graded_plan("policy", &rules, &[floor_above], &[])),
        vec!["policy.rules[0].floor"]
    );
    let rules = [rule(
        "occupancy",
        Target::Between {
            low: 75.0,
            high: 90.0,
        },
    )];
    let inside = linear(Floors {
        floor: None,
        below: Some(80.0),
        above: Some(90.0),
    });
    assert_eq!(
        fields(validate_graded_plan("policy", &rules, &[inside], &[])),
        vec!["policy.rules[0].floor_below", "policy.rules[0].floor_above"]
    );
}

#[test]
fn credit_tiers_must_improve_and_credits_stay_within_0_and_1() {
    let rules = [rule("aht", Target::AtMost(300.0))];
    let tiers = ScoringInput {
        kind: Some(Ok(ScoringKind::Tiers)),
        floors: Floors::default(),
        tiers: vec![
            CreditTier {
                threshold: 400.0,
                credit: 0.5,
            },
            // <= targets improve downwards: 450 is worse than 400.
            CreditTier {
                threshold: 450.0,
                credit: 1.5,
            },
        ],
    };
    assert_eq!(
        fields(validate_graded_plan("policy", &rules, &[tiers], &[])),
        vec![
            "policy.rules[0].credit_tiers[1].credit",
            "policy.rules[0].credit_tiers[1].threshold"
        ]
    );
}

#[test]
fn bonus_tiers_are_increasing_named_and_pay_0_to_1000_percent() {
    let tier = |minimum_composite: f64, name: &str, payout_percent: f64| BonusTierInput {
        minimum_composite,
        name: name.into(),
        payout_percent,
    };
    let bad = [
        tier(80.0, "silver", 100.0),
        tier(70.0, "bronze", 1000.5),
        tier(90.0, "", -1.0),
    ];
    assert_eq!(
        fields(validate_graded_plan("policy", &[], &[], &bad)),
        vec![
            "policy.bonus_tiers[1].minimum_composite",
            "policy.bonus_tiers[1].payout_percent",
            "policy.bonus_tiers[2].name",
            "policy.bonus_tiers[2].payout_percent",
        ]
    );
    let good = [tier(70.0, "bronze", 0.0), tier(90.0, "gold", 1000.0)];
    let mut rules = PolicyRules::catalogue_defaults();
    validate_graded_plan("policy", &[], &[], &good)
        .unwrap()
        .apply(&mut rules);
    assert_eq!(rules.bonus_tiers.len(), 2);
}
