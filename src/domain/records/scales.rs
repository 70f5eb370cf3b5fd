//! The score scales a record may carry: which scores a survey kind allows,
//! what a QA evaluation's score and maximum may be, and a criterion
//! rating's range. The adapters turn each broken rule into a field
//! violation on the field it names; the rules themselves live here.

use super::SurveyKind;

/// Largest QA `max_score`.
pub const MAX_QA_SCORE: f64 = 1_000_000.0;
/// Most criterion ratings in one QA evaluation.
pub const MAX_CRITERION_RATINGS: usize = 50;
/// The inclusive range of one criterion rating.
pub const CRITERION_RATING_RANGE: std::ops::RangeInclusive<i32> = 1..=5;

/// A score outside its scale: the field it concerns and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleError {
    /// The record's field, relative to the record (`score`, `max_score`).
    pub field: &'static str,
    pub description: String,
}

impl ScaleError {
    fn new(field: &'static str, description: impl Into<String>) -> Self {
        Self {
            field,
            description: description.into(),
        }
    }
}

/// A survey score must lie on its kind's scale (CSAT 1-5, NPS 0-10, CES 1-7).
pub fn check_survey_score(kind: SurveyKind, score: i32) -> Result<(), ScaleError> {
    let (low, high) = kind.scale();
    if (low..=high).contains(&score) {
        return Ok(());
    }
    Err(ScaleError::new(
        "score",
        format!(
            "a {} score must be between {low} and {high}",
            kind.as_str().to_uppercase()
        ),
    ))
}

/// A QA evaluation's maximum is a finite number in `(0, MAX_QA_SCORE]`, and
/// its score a finite number from 0 up to that maximum. Every broken rule
/// is reported.
pub fn check_qa_scores(score: f64, max_score: f64) -> Vec<ScaleError> {
    let mut errors = Vec::new();
    if !(max_score.is_finite() && max_score > 0.0 && max_score <= MAX_QA_SCORE) {
        errors.push(ScaleError::new(
            "max_score",
            format!("max_score must be > 0 and at most {MAX_QA_SCORE}"),
        ));
    }
    if !(score.is_finite() && score >= 0.0) {
        errors.push(ScaleError::new("score", "score must be a number >= 0"));
    } else if score > max_score {
        errors.push(ScaleError::new("score", "score must not exceed max_score"));
    }
    errors
}

/// A criterion rating lies in [`CRITERION_RATING_RANGE`].
pub fn check_criterion_rating(rating: i32) -> Result<(), ScaleError> {
    if CRITERION_RATING_RANGE.contains(&rating) {
        Ok(())
    } else {
        Err(ScaleError::new(
            "rating",
            "a criterion rating must be between 1 and 5",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_survey_kind_has_its_own_scale() {
        assert!(check_survey_score(SurveyKind::Csat, 1).is_ok());
        assert!(check_survey_score(SurveyKind::Csat, 5).is_ok());
        assert!(check_survey_score(SurveyKind::Csat, 0).is_err());
        assert!(check_survey_score(SurveyKind::Csat, 6).is_err());
        assert!(check_survey_score(SurveyKind::Nps, 0).is_ok());
        assert!(check_survey_score(SurveyKind::Nps, 10).is_ok());
        assert!(check_survey_score(SurveyKind::Nps, 11).is_err());
        assert!(check_survey_score(SurveyKind::Ces, 7).is_ok());
        let error = check_survey_score(SurveyKind::Ces, 8).unwrap_err();
        assert_eq!(error.field, "score");
        assert_eq!(error.description, "a CES score must be between 1 and 7");
    }

    #[test]
    fn a_qa_score_lies_between_zero_and_its_maximum() {
        assert!(check_qa_scores(0.0, 100.0).is_empty());
        assert!(check_qa_scores(100.0, 100.0).is_empty());
        assert!(check_qa_scores(MAX_QA_SCORE, MAX_QA_SCORE).is_empty());
        let over = check_qa_scores(101.0, 100.0);
        assert_eq!(over.len(), 1);
        assert_eq!(over[0].field, "score");
        assert_eq!(check_qa_scores(-1.0, 100.0)[0].field, "score");
        assert_eq!(check_qa_scores(f64::NAN, 100.0)[0].field, "score");
    }

    #[test]
    fn a_qa_maximum_is_positive_finite_and_bounded() {
        for max_score in [0.0, -1.0, f64::INFINITY, f64::NAN, MAX_QA_SCORE * 2.0] {
            let errors = check_qa_scores(0.0, max_score);
            assert!(
                errors.iter().any(|error| error.field == "max_score"),
                "{max_score}: {errors:?}"
            );
        }
    }

    #[test]
    fn criterion_ratings_run_from_one_to_five() {
        assert!(check_criterion_rating(1).is_ok());
        assert!(check_criterion_rating(5).is_ok());
        assert!(check_criterion_rating(0).is_err());
        assert!(check_criterion_rating(6).is_err());
    }
}
