//! Hostile ingest input: a NUL in an id, a message above the size limit,
//! a revision nothing could follow, an empty batch.

use tonic::Code::{InvalidArgument, ResourceExhausted};

use crate::{
    on_both_backends,
    support::{
        app::Backend,
        hostile::{assert_refused_without_trace, Call, Case},
        records::interaction,
    },
};

on_both_backends!(hostile_ingest_input_gets_a_documented_code_and_leaves_no_trace);

fn cases() -> Vec<Case> {
    let mut nul_id = interaction("c-nul", "ana");
    nul_id.external_id = "c\0nul".into();
    let mut frozen = interaction("c-frozen", "ana");
    frozen.revision = Some(i64::MAX);
    let mut seventeen_mib = interaction("c-big", "ana");
    seventeen_mib.external_id = "x".repeat(17 * 1024 * 1024);
    vec![
        // Once INTERNAL on PostgreSQL.
        (
            "NUL in an external id",
            Call::Ingest(vec![nul_id]),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Once unreadable: echoed whole into the trailers.
        (
            "17 MiB message",
            Call::Ingest(vec![seventeen_mib]),
            ResourceExhausted,
            "MESSAGE_TOO_LARGE",
        ),
        // Once accepted.
        (
            "revision i64::MAX",
            Call::Ingest(vec![frozen]),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Already refused; it stays so.
        (
            "empty batch",
            Call::Ingest(vec![]),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
    ]
}

async fn hostile_ingest_input_gets_a_documented_code_and_leaves_no_trace(backend: Backend) {
    assert_refused_without_trace(backend, cases()).await;
}
