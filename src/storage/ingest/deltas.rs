//! The rollup deltas of a written batch: where each row counted before and
//! where it counts now, and, for interactions, the rows linked to them.

use std::collections::{BTreeSet, HashMap};

use chrono_tz::Tz;
use sea_orm::ConnectionTrait;

use super::lookup::{load_linked, load_models};
use crate::{
    domain::records::RecordKey,
    storage::{
        entities::{interaction, qa_evaluation, survey_response},
        rollups::{
            contribution::{Contribution, InteractionPlace, StoredRecord},
            maintain::RollupDeltas,
        },
        StorageError,
    },
};

/// Rollup deltas of an interaction batch: each written interaction moves
/// from where it counted to where it counts now, and so do the survey
/// responses and QA evaluations linked to it when its agent, team, day or
/// void flag changed (or it just arrived).
pub(super) async fn interaction_deltas<M: StoredRecord>(
    connection: &impl ConnectionTrait,
    written: &[RecordKey],
    before: &HashMap<RecordKey, M>,
    after: &HashMap<RecordKey, M>,
    zone: Tz,
) -> Result<RollupDeltas, StorageError> {
    let no_links = HashMap::new();
    let mut deltas = RollupDeltas::default();
    let mut places_before = HashMap::new();
    let mut places_after = HashMap::new();
    for key in written {
        let old = before
            .get(key)
            .map(StoredRecord::contribution)
            .transpose()?
            .flatten();
        let new = after
            .get(key)
            .map(StoredRecord::contribution)
            .transpose()?
            .flatten();
        let old_place = old.as_ref().and_then(|c| c.own_place());
        let new_place = new.as_ref().and_then(|c| c.own_place());
        deltas.replace(
            old.as_ref().map(|c| (c, &no_links)),
            new.as_ref().map(|c| (c, &no_links)),
            zone,
        )?;
        if old_place != new_place {
            if let Some(place) = old_place {
                places_before.insert(key.clone(), place);
            }
            if let Some(place) = new_place {
                places_after.insert(key.clone(), place);
            }
        }
    }
    let moved: BTreeSet<&RecordKey> = places_before.keys().chain(places_after.keys()).collect();
    if moved.is_empty() {
        return Ok(deltas);
    }
    let moved: Vec<&RecordKey> = moved.into_iter().collect();
    let mut dependents: Vec<Contribution> = Vec::new();
    for model in load_linked::<survey_response::Entity>(connection, &moved).await? {
        dependents.extend(model.contribution()?);
    }
    for model in load_linked::<qa_evaluation::Entity>(connection, &moved).await? {
        dependents.extend(model.contribution()?);
    }
    for dependent in &dependents {
        deltas.replace(
            Some((dependent, &places_before)),
            Some((dependent, &places_after)),
            zone,
        )?;
    }
    Ok(deltas)
}

/// Rollup deltas of a batch of any other kind: each written row moves from
/// where it counted to where it counts now; the interactions it is (or
/// was) linked to are read as they stand, locked by this batch.
pub(super) async fn linked_record_deltas<M: StoredRecord>(
    connection: &impl ConnectionTrait,
    written: &[RecordKey],
    before: &HashMap<RecordKey, Contribution>,
    after: &HashMap<RecordKey, M>,
    zone: Tz,
) -> Result<RollupDeltas, StorageError> {
    let mut pairs = Vec::with_capacity(written.len());
    for key in written {
        let new = after
            .get(key)
            .map(StoredRecord::contribution)
            .transpose()?
            .flatten();
        pairs.push((before.get(key), new));
    }
    let linked: BTreeSet<&RecordKey> = pairs
        .iter()
        .flat_map(|(old, new)| {
            [
                old.and_then(Contribution::linked_interaction),
                new.as_ref().and_then(Contribution::linked_interaction),
            ]
        })
        .flatten()
        .collect();
    let linked: Vec<&RecordKey> = linked.into_iter().collect();
    let places: HashMap<RecordKey, InteractionPlace> =
        load_models::<interaction::Entity>(connection, &linked)
            .await?
            .into_iter()
            .map(|(key, model)| (key, InteractionPlace::of(&model)))
            .collect();
    let mut deltas = RollupDeltas::default();
    for (old, new) in &pairs {
        deltas.replace(
            old.map(|c| (c, &places)),
            new.as_ref().map(|c| (c, &places)),
            zone,
        )?;
    }
    Ok(deltas)
}
