//! Unary replies, compressed only when compressing pays.
//!
//! The servers answer gzip to every client that accepts it (grpcio, Go and
//! Java clients with gzip on, the project's own client packages). For a
//! reply of a few kilobytes, such as one agent's scorecard (1.7 kB),
//! gzip costs more than the whole use case: each message gets a fresh
//! deflate state of about 200 kB, zeroed, and the compression took half of the
//! service's CPU per single-agent scorecard (measured with callgrind: 1.5M
//! instructions per call, 0.72M of them gzip). On the networks these
//! callers use, the bytes saved are worth less than that. So a reply
//! smaller than [`COMPRESS_FROM_BYTES`] goes uncompressed (its message's
//! compressed flag is 0, which every gRPC client reads; the
//! `grpc-encoding` header still names gzip), and a larger one, a page of
//! an organisation-wide list, is compressed as before.

use prost::Message;
use tonic::Response;

/// Encoded replies of at least this many bytes are compressed for clients
/// that accept gzip.
pub const COMPRESS_FROM_BYTES: usize = 32 * 1024;

/// `message` as a reply, with compression turned off when it is small.
pub(crate) fn reply<T: Message>(message: T) -> Response<T> {
    let compress = message.encoded_len() >= COMPRESS_FROM_BYTES;
    let mut response = Response::new(message);
    if !compress {
        response.disable_compression();
    }
    response
}
