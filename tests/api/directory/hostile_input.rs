//! Hostile directory input: control characters in names, ids and page
//! tokens of 10 KB, a negative page size.

use kpi_service::grpc::pb;
use tonic::Code::InvalidArgument;

use crate::{
    on_both_backends,
    support::{
        app::Backend,
        hostile::{agent, assert_refused_without_trace, team, Call, Case},
    },
};

on_both_backends!(hostile_directory_input_gets_a_documented_code_and_leaves_no_trace);

fn cases() -> Vec<Case> {
    let huge = "9".repeat(10_240);
    vec![
        // Once INTERNAL on PostgreSQL.
        (
            "NUL in a team name",
            Call::Team(team("Blue\0team")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "NUL in an agent name",
            Call::Agent(agent("Zoe\0")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "line break in a name",
            Call::Agent(agent("Zoe\nZ")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Once unreadable: echoed whole into 23 KB of trailers.
        (
            "10 KB page token",
            Call::ListAgents(pb::ListAgentsRequest {
                page_token: huge.clone(),
                ..Default::default()
            }),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "10 KB agent id",
            Call::GetAgent(huge),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Already refused; it stays so.
        (
            "negative page size",
            Call::ListAgents(pb::ListAgentsRequest {
                page_size: -1,
                ..Default::default()
            }),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
    ]
}

async fn hostile_directory_input_gets_a_documented_code_and_leaves_no_trace(backend: Backend) {
    assert_refused_without_trace(backend, cases()).await;
}
