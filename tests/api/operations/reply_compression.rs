//! Replies to clients that accept gzip: small ones travel uncompressed
//! (gzip would cost more CPU than the whole call), large ones compressed.
//! The calls are sent by hand over HTTP/2, so that the test reads each
//! message's compressed flag, which a client library hides.

use http_body_util::BodyExt;
use kpi_service::grpc::{pb, reply::COMPRESS_FROM_BYTES};
use prost::Message;
use tonic::codec::CompressionEncoding;
use tower::{Service, ServiceExt};

use crate::{
    fixtures::{interaction, interactions},
    helpers::{spawn_app, Backend, TestApp},
    on_both_backends,
    support::periods::month,
};

on_both_backends!(
    a_small_reply_travels_uncompressed_to_a_gzip_client,
    a_large_reply_is_compressed_for_a_gzip_client,
);

/// The first message of a unary call's reply: (compressed flag, payload),
/// with the `grpc-encoding` header.
async fn first_message(
    app: &TestApp,
    path: &str,
    request: &impl Message,
) -> (u8, Vec<u8>, Option<String>) {
    let bytes = request.encode_to_vec();
    let mut body = vec![0];
    body.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    body.extend_from_slice(&bytes);
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{}{path}", app.address))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-accept-encoding", "gzip")
        .body(tonic::body::Body::new(http_body_util::Full::new(
            bytes::Bytes::from(body),
        )))
        .unwrap();
    let mut channel = app.channel.clone();
    let response = channel.ready().await.unwrap().call(request).await.unwrap();
    let encoding = response
        .headers()
        .get("grpc-encoding")
        .map(|value| value.to_str().unwrap().to_owned());
    let raw = response.into_body().collect().await.unwrap().to_bytes();
    assert!(raw.len() >= 5, "a reply message: {raw:?}");
    let length = u32::from_be_bytes([raw[1], raw[2], raw[3], raw[4]]) as usize;
    (raw[0], raw[5..5 + length].to_vec(), encoding)
}

async fn a_small_reply_travels_uncompressed_to_a_gzip_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let (flag, payload, encoding) = first_message(
        &app,
        "/kpi.v1.ScorecardService/ListKpis",
        &pb::ListKpisRequest {},
    )
    .await;
    assert_eq!(encoding.as_deref(), Some("gzip"), "gzip stays negotiated");
    assert_eq!(flag, 0, "a small reply is not compressed");
    let kpis = pb::ListKpisResponse::decode(payload.as_slice()).unwrap();
    assert!(payload.len() < COMPRESS_FROM_BYTES, "{}", payload.len());
    assert!(kpis.kpis.iter().any(|kpi| kpi.kpi_id == "csat"));
}

async fn a_large_reply_is_compressed_for_a_gzip_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let batch: Vec<pb::Interaction> = (0..60)
        .map(|n| interaction(&format!("call-{n}"), &format!("agent-{n:02}")))
        .collect();
    app.ingest()
        .ingest_interactions(interactions(batch))
        .await
        .unwrap();
    let request = pb::ListAgentScorecardsRequest {
        period: Some(month("2026-11")),
        page_size: 60,
        ..Default::default()
    };

    let (flag, payload, encoding) = first_message(
        &app,
        "/kpi.v1.ScorecardService/ListAgentScorecards",
        &request,
    )
    .await;

    // The same page through a client that decompresses it.
    let page = app
        .scorecards()
        .accept_compressed(CompressionEncoding::Gzip)
        .list_agent_scorecards(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.scorecards.len(), 60);
    assert!(
        page.encoded_len() >= COMPRESS_FROM_BYTES,
        "the page is large: {} bytes",
        page.encoded_len()
    );
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(flag, 1, "a large reply is compressed");
    assert_eq!(&payload[..2], &[0x1f, 0x8b], "a gzip member");
    assert!(
        payload.len() < page.encoded_len() / 2,
        "{} compressed bytes of {}",
        payload.len(),
        page.encoded_len()
    );
}
