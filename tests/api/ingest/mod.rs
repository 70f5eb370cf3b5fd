//! IngestService: records stored as sent; replays, corrections, stale
//! revisions and voids; records linked before their interaction arrives;
//! agents registered on first sight; the team an interaction counts for;
//! batch limits, invalid and hostile input; racing deliveries.

mod batches;
mod broken_rules;
mod concurrency;
mod hostile_input;
mod linked_records;
pub(crate) mod racing_registrations;
mod registration;
mod replays;
mod stored_as_sent;
mod team_attribution;
mod validation;
