//! The rollup deltas of a written batch: each written row moves from where
//! it counted to where it counts now, and so do the rows that follow an
//! interaction whose place changed. Each row is converted once: a written
//! row's contributions come with the batch, a linked row's are read once.

use std::collections::BTreeSet;

use chrono_tz::Tz;
use sea_orm::ConnectionTrait;

use super::{RowChange, WrittenBatch};
use crate::{
    domain::{
        attribution::{Contribution, InteractionPlaces, Record},
        records::RecordKey,
    },
    storage::{
        entities::{interaction, qa_evaluation, survey_response},
        records::{interaction_place, load_linked, load_rows},
        rollups::maintain::RollupDeltas,
        StorageError,
    },
};

/// The rollup deltas of `batch`, a batch of `R` records, days cut in
/// `zone`. Runs in the batch's transaction, under its key locks.
pub async fn rollup_deltas<R: Record>(
    connection: &impl ConnectionTrait,
    batch: &WrittenBatch,
    zone: Tz,
) -> Result<RollupDeltas, StorageError> {
    if R::IS_INTERACTION {
        interaction_deltas(connection, &batch.changes, zone).await
    } else {
        linked_record_deltas(connection, &batch.changes, zone).await
    }
}

/// Interactions: each written one moves from where it counted to where it
/// counts now, and so do the survey responses and QA evaluations linked to
/// it when its agent, team, day or void flag changed (or it just arrived).
async fn interaction_deltas(
    connection: &impl ConnectionTrait,
    changes: &[RowChange],
    zone: Tz,
) -> Result<RollupDeltas, StorageError> {
    let no_links = InteractionPlaces::new();
    let mut deltas = RollupDeltas::default();
    let mut places_before = InteractionPlaces::new();
    let mut places_after = InteractionPlaces::new();
    for change in changes {
        deltas.replace(
            change.before.as_ref().map(|c| (c, &no_links)),
            change.after.as_ref().map(|c| (c, &no_links)),
            zone,
        );
        let old_place = change.before.as_ref().and_then(Contribution::own_place);
        let new_place = change.after.as_ref().and_then(Contribution::own_place);
        if old_place != new_place {
            if let Some(place) = old_place {
                places_before.insert(change.key.clone(), place);
            }
            if let Some(place) = new_place {
                places_after.insert(change.key.clone(), place);
            }
        }
    }
    let moved: BTreeSet<&RecordKey> = places_before.keys().chain(places_after.keys()).collect();
    if moved.is_empty() {
        return Ok(deltas);
    }
    let moved: Vec<&RecordKey> = moved.into_iter().collect();
    let mut dependents = load_linked::<survey_response::Entity>(connection, &moved).await?;
    dependents.extend(load_linked::<qa_evaluation::Entity>(connection, &moved).await?);
    for dependent in &dependents {
        deltas.replace(
            Some((dependent, &places_before)),
            Some((dependent, &places_after)),
            zone,
        );
    }
    Ok(deltas)
}

/// Any other kind: each written row moves from where it counted to where
/// it counts now; the interactions it is (or was) linked to are read as
/// they stand, locked by this batch.
async fn linked_record_deltas(
    connection: &impl ConnectionTrait,
    changes: &[RowChange],
    zone: Tz,
) -> Result<RollupDeltas, StorageError> {
    let linked: BTreeSet<&RecordKey> = changes
        .iter()
        .flat_map(|change| [&change.before, &change.after])
        .filter_map(|contribution| contribution.as_ref()?.linked_interaction())
        .collect();
    let linked: Vec<&RecordKey> = linked.into_iter().collect();
    let mut places = InteractionPlaces::with_capacity(linked.len());
    for (key, row) in load_rows::<interaction::Entity>(connection, &linked).await? {
        places.insert(key, interaction_place(&row)?);
    }
    let mut deltas = RollupDeltas::default();
    for change in changes {
        deltas.replace(
            change.before.as_ref().map(|c| (c, &places)),
            change.after.as_ref().map(|c| (c, &places)),
            zone,
        );
    }
    Ok(deltas)
}
