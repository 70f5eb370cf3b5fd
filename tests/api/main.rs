//! Integration tests: the real server on a free port, a real tonic client,
//! and every test against both SQLite and PostgreSQL (a fresh database each).

// Tests may unwrap: a panic is how they fail.
#![allow(clippy::unwrap_used)]

mod fixtures;
mod helpers;
mod kpi_fixtures;
mod trust;
/// The certificates and tokens of the trust tests, as `crate::trust_support`.
use trust::support as trust_support;

mod bad_queries;
mod breaches;
mod catalogue;
mod closed_month_teams;
mod directory;
mod hostile_input;
mod ingest;
mod ingest_concurrency;
mod ingest_registrations;
mod ingest_validation;
mod memberships;
mod payroll_pages;
mod periods;
mod policies;
mod policy_closed_months;
mod policy_dates;
mod policy_reads;
mod replicas;
mod request_properties;
mod rollups;
mod scorecard_attribution;
mod scorecards;
mod trends;

mod audit_trail;
mod operations;
