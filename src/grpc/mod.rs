//! gRPC adapters: they turn protobuf messages into domain values (every
//! failure a field violation), call one use case (`service`), turn its
//! answer into protobuf and its error into a `tonic::Status` (the one
//! mapping is `crate::error`). They never see the database. Generated
//! protobuf types never leave this module.

mod adjustments;
pub mod audit;
pub mod changes;
pub mod demo_data;
pub mod directory;
mod fields;
mod graded_plans;
pub mod ingest;
mod kpi_results;
mod pace;
use crate::service::pagination;
mod period;
pub mod periods;
pub mod policy;
mod record_listing;
pub mod reply;
pub mod scorecard;
pub mod snapshot_encoding;

#[cfg(test)]
mod parsing_properties;

/// Code generated from `proto/kpi/v1` by `build.rs`.
pub mod pb {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("kpi.v1");

    /// The encoded descriptors of the API, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/kpi_descriptor.bin"));

    /// The encoded `google.rpc` error-detail descriptors (`proto/google/rpc`),
    /// served by reflection so that tools can decode error details.
    pub const GOOGLE_RPC_FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/google_rpc_descriptor.bin"));
}

/// Logs a handler's outcome code at debug level and converts errors.
fn log_outcome<T>(
    rpc: &'static str,
    result: Result<T, crate::error::ServiceError>,
) -> Result<T, tonic::Status> {
    match result {
        // The call's `call finished` line (code, latency, request id) comes
        // from the observing layer in `telemetry::calls`, for every call.
        Ok(value) => {
            tracing::debug!(rpc, code = "OK", "handler finished");
            Ok(value)
        }
        Err(error) => {
            let status = tonic::Status::from(error);
            let code = crate::telemetry::codes::canonical_name(status.code() as i32);
            tracing::debug!(rpc, code, "handler finished");
            Err(status)
        }
    }
}
