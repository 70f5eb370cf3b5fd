//! gRPC adapters: they turn protobuf messages into domain values (every
//! failure a field violation), call the domain and storage, and map errors
//! to `tonic::Status` in exactly one place (`error.rs`). Generated protobuf
//! types never leave this module.

mod access;
pub mod audit;
pub mod directory;
pub mod error;
mod fields;
pub mod ingest;
mod kpi_results;
mod pagination;
mod period;
pub mod periods;
pub mod policy;
pub mod scorecard;

/// Code generated from `proto/kpi/v1` by `build.rs`.
pub mod pb {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("kpi.v1");

    /// The encoded descriptors of the API, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/kpi_descriptor.bin"));
}

/// Logs a call's outcome code (inside the call's span) and converts errors.
fn log_outcome<T>(
    rpc: &'static str,
    result: Result<T, error::ApiError>,
) -> Result<T, tonic::Status> {
    match result {
        Ok(value) => {
            tracing::info!(rpc, code = "OK", "call finished");
            Ok(value)
        }
        Err(error) => {
            let status = tonic::Status::from(error);
            tracing::info!(rpc, code = ?status.code(), "call finished");
            Err(status)
        }
    }
}
