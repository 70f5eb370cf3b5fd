//! The transport under gRPC: plain TCP (no Nagle delay) or TLS with
//! certificates reloaded on change, HTTP/2 keepalives, and a maximum
//! connection age.

use std::{future::Future, pin::Pin, time::Duration};

use tokio::net::TcpListener;
use tonic::transport::{server::TcpIncoming, Server};

use crate::configuration::ServerSettings;

/// The server as it runs: a future that ends when it stops serving.
pub(super) type Serving = Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>>;

/// A server builder with keepalives and connection lifetimes. HTTP/2
/// keepalive pings find dead peers; a maximum connection age makes clients
/// reconnect now and then, so that behind a Kubernetes Service they spread
/// over new replicas instead of sticking to the first one.
pub(super) fn server(settings: &ServerSettings) -> Server {
    let seconds = |value: u64| (value > 0).then(|| Duration::from_secs(value));
    let builder = Server::builder()
        // Browsers may send gRPC-Web over HTTP/1.1.
        .accept_http1(settings.grpc_web)
        .http2_keepalive_interval(seconds(settings.keepalive_interval_seconds))
        .http2_keepalive_timeout(seconds(settings.keepalive_timeout_seconds));
    match seconds(settings.max_connection_age_seconds) {
        Some(age) => builder
            .max_connection_age(age)
            .max_connection_age_grace(settings.request_timeout()),
        None => builder,
    }
}

/// The plain-TCP stream of connections, without Nagle's delay.
pub(super) fn plain_incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true))
}
