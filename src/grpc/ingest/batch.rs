//! Parsing a batch of ingest requests ("parse, don't validate"): every item
//! through its kind's parser (`contacts`, `workforce`), then the uniqueness
//! of keys. Every rule a source system can break becomes a field violation
//! with its full path; the batch is rejected whole if any exists.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::{
    domain::{
        records::{RecordKey, RecordMeta},
        violations::{indexed, nested, FieldViolation, Violations},
    },
    error::ServiceError,
    grpc::{
        fields::{FieldParser, MAX_ID_LEN, MAX_SOURCE_LEN},
        pb,
    },
};

/// What the parsers need besides the request.
#[derive(Debug, Clone)]
pub struct IngestLimits {
    pub max_batch_size: usize,
    /// How far past now a record's instants may lie (clock skew).
    pub future_tolerance: Duration,
    /// The reporting zone, in which an agent-time `day` is read.
    pub time_zone: Tz,
}

/// Parses a whole batch: every item, then the uniqueness of keys. Returns
/// the records, or INVALID_ARGUMENT listing every violation.
pub fn parse_batch<P, R>(
    items: Vec<P>,
    field: &str,
    limits: &IngestLimits,
    parse_item: impl Fn(P, &mut FieldParser<'_>, &ItemContext) -> Option<R>,
    key_of: impl Fn(&R) -> &RecordKey,
) -> Result<Vec<R>, ServiceError> {
    if items.len() > limits.max_batch_size {
        return Err(ServiceError::InvalidArgument {
            reason: "BATCH_TOO_LARGE",
            violations: vec![FieldViolation {
                field: field.to_owned(),
                description: format!(
                    "the batch has {} items; at most {} are allowed per call, split it",
                    items.len(),
                    limits.max_batch_size
                ),
            }],
        });
    }
    if items.is_empty() {
        return Err(ServiceError::invalid_field(field, "the batch is empty"));
    }
    let context = ItemContext {
        latest_accepted: Utc::now() + limits.future_tolerance,
        time_zone: limits.time_zone,
    };
    let mut violations = Violations::new();
    let mut records = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let mut parser = FieldParser::new(indexed(field, index), &mut violations);
        records.push(parse_item(item, &mut parser, &context));
    }
    let mut first_index_of_key: HashMap<&RecordKey, usize> = HashMap::new();
    for (index, record) in records.iter().enumerate() {
        let Some(record) = record else { continue };
        if let Some(first) = first_index_of_key.insert(key_of(record), index) {
            violations.add(
                nested(&indexed(field, index), "external_id"),
                format!(
                    "the key (source, external_id) repeats {}; send each record once per batch",
                    indexed(field, first)
                ),
            );
        }
    }
    if !violations.is_empty() {
        return Err(ServiceError::invalid_fields(violations.into_vec()));
    }
    Ok(records.into_iter().flatten().collect())
}

/// Facts shared by every item of a batch.
pub struct ItemContext {
    /// Now plus the clock-skew tolerance: no record may describe a later event.
    pub latest_accepted: DateTime<Utc>,
    pub time_zone: Tz,
}

pub(super) fn meta(
    parser: &mut FieldParser<'_>,
    source: &str,
    external_id: &str,
    revision: Option<i64>,
    voided: bool,
) -> RecordMeta {
    RecordMeta {
        key: RecordKey {
            source: parser.required_id("source", source, MAX_SOURCE_LEN),
            external_id: parser.required_id("external_id", external_id, MAX_ID_LEN),
        },
        revision: parser.revision(revision),
        voided,
    }
}

pub(super) fn record_key(
    parser: &mut FieldParser<'_>,
    field: &str,
    key: &pb::RecordKey,
) -> RecordKey {
    RecordKey {
        source: parser.required_id(&nested(field, "source"), &key.source, MAX_SOURCE_LEN),
        external_id: parser.required_id(
            &nested(field, "external_id"),
            &key.external_id,
            MAX_ID_LEN,
        ),
    }
}

/// Returns `Some(value)` only if parsing this item recorded no violation.
pub(super) fn finish<R>(
    before: usize,
    parser: &FieldParser<'_>,
    build: impl FnOnce() -> Option<R>,
) -> Option<R> {
    if parser.violation_count() > before {
        None
    } else {
        build()
    }
}
