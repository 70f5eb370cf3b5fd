//! What operators and client teams see of the service around the KPI
//! calls: metrics, probes and health, shutdown, limits, outages, a start
//! before the database, unknown methods, gRPC-Web for browsers, request
//! context, reflection, and the client kit and README example kept true.

pub mod support;

mod client_kit;
mod dashboards;
mod database_outages;
mod grpc_web;
mod health;
mod limits;
mod logs;
mod metrics;
mod readme_example;
mod reflection;
mod reply_compression;
mod request_context;
mod start_without_database;
mod traces;
mod unknown_methods;
