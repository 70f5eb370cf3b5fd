//! Feedback on agents' work: customer survey responses and internal QA
//! evaluations. Both may name an interaction that has not arrived yet, so the
//! link is kept as the interaction's natural key, not as a foreign key.

use sea_orm_migration::{prelude::*, schema::*};

use crate::record_columns::{lookup_index, natural_key_index, record_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SurveyResponses {
    Table,
    InteractionSource,
    InteractionExternalId,
    AgentId,
    Kind,
    Score,
    RespondedAtUs,
}

#[derive(DeriveIden)]
enum QaEvaluations {
    Table,
    AgentId,
    InteractionSource,
    InteractionExternalId,
    EvaluatedAtUs,
    Score,
    MaxScore,
    CriterionRatings,
    RatingTotal,
    RatingCount,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                record_table(SurveyResponses::Table)
                    .col(string_len_null(SurveyResponses::InteractionSource, 64))
                    .col(string_len_null(SurveyResponses::InteractionExternalId, 128))
                    .col(string_len_null(SurveyResponses::AgentId, 128))
                    .col(string_len(SurveyResponses::Kind, 8))
                    .col(integer(SurveyResponses::Score))
                    .col(big_integer(SurveyResponses::RespondedAtUs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(natural_key_index(
                "ux_survey_responses_natural_key",
                SurveyResponses::Table,
            ))
            .await?;
        manager
            .create_index(lookup_index(
                "ix_survey_responses_interaction",
                SurveyResponses::Table,
                [
                    SurveyResponses::InteractionSource,
                    SurveyResponses::InteractionExternalId,
                ],
            ))
            .await?;
        manager
            .create_index(lookup_index(
                "ix_survey_responses_agent_responded",
                SurveyResponses::Table,
                [SurveyResponses::AgentId, SurveyResponses::RespondedAtUs],
            ))
            .await?;

        manager
            .create_table(
                record_table(QaEvaluations::Table)
                    .col(string_len(QaEvaluations::AgentId, 128))
                    .col(string_len_null(QaEvaluations::InteractionSource, 64))
                    .col(string_len_null(QaEvaluations::InteractionExternalId, 128))
                    .col(big_integer(QaEvaluations::EvaluatedAtUs))
                    .col(double(QaEvaluations::Score))
                    .col(double(QaEvaluations::MaxScore))
                    .col(text(QaEvaluations::CriterionRatings))
                    .col(big_integer(QaEvaluations::RatingTotal))
                    .col(big_integer(QaEvaluations::RatingCount))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(natural_key_index(
                "ux_qa_evaluations_natural_key",
                QaEvaluations::Table,
            ))
            .await?;
        manager
            .create_index(lookup_index(
                "ix_qa_evaluations_agent_evaluated",
                QaEvaluations::Table,
                [QaEvaluations::AgentId, QaEvaluations::EvaluatedAtUs],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(QaEvaluations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SurveyResponses::Table).to_owned())
            .await
    }
}
