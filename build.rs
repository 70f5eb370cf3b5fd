//! Generates the gRPC code from `proto/` with the pure-Rust `protox` compiler,
//! so a machine with only cargo builds the service (no system `protoc`).

use std::{env, path::PathBuf};

const PROTO_ROOT: &str = "proto";
const PROTO_FILES: &[&str] = &[
    "proto/kpi/v1/records.proto",
    "proto/kpi/v1/ingest_service.proto",
    "proto/kpi/v1/directory_service.proto",
    "proto/kpi/v1/graded_plans.proto",
    "proto/kpi/v1/kpis.proto",
    "proto/kpi/v1/scorecard_service.proto",
    "proto/kpi/v1/policy_service.proto",
    "proto/kpi/v1/audit_service.proto",
    "proto/kpi/v1/period_service.proto",
    "proto/kpi/v1/change_service.proto",
];

/// The `google.rpc` error details, shipped for clients and served by
/// reflection so that tools can decode them; no Rust code is generated.
const GOOGLE_RPC_FILES: &[&str] = &[
    "proto/google/rpc/status.proto",
    "proto/google/rpc/error_details.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    write_google_rpc_descriptors()?;
    let file_descriptors = protox::compile(PROTO_FILES, [PROTO_ROOT])?;

    // The encoded descriptor set feeds server reflection.
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let descriptor_path = out_dir.join("kpi_descriptor.bin");
    std::fs::write(
        &descriptor_path,
        prost::Message::encode_to_vec(&file_descriptors),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(file_descriptors)?;

    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    Ok(())
}

/// Encodes the `google.rpc` descriptors (with their imports) for reflection.
fn write_google_rpc_descriptors() -> Result<(), Box<dyn std::error::Error>> {
    let descriptors = protox::compile(GOOGLE_RPC_FILES, [PROTO_ROOT])?;
    let path = PathBuf::from(env::var("OUT_DIR")?).join("google_rpc_descriptor.bin");
    std::fs::write(path, prost::Message::encode_to_vec(&descriptors))?;
    Ok(())
}
