//! kpi-service: stores what customer-service systems send about agents'
//! work and answers KPI scorecards and threshold breaches over gRPC.
//!
//! Layers, one direction: `grpc` (protobuf <-> domain, error mapping) ->
//! `domain` (validated types and pure KPI rules) <- `storage` (SeaORM).

pub mod auth;
pub mod configuration;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod resilience;
pub mod service;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod tls;
