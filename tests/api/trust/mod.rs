//! Transport security and who may call what: TLS and mutual TLS against the
//! real server, and every RPC against every kind of credential.

pub mod support;

mod auth_matrix;
mod transport;
