//! Browsers: gRPC-Web over HTTP/1.1 (with `server.grpc_web`), CORS for the
//! configured origins only, the same authentication, limits and metrics as
//! gRPC; and what is not gRPC (a preflight from another origin, a JSON
//! POST, a GET of /) gets a plain HTTP answer, never INTERNAL. The requests
//! are written by hand, byte for byte, as a browser sends them.

use std::net::SocketAddr;

use http_body_util::BodyExt;
use kpi_service::{configuration::Settings, grpc::pb};
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::{Service, ServiceExt};

use super::support::{handled, scrape, spawn_observed_app, value};
use crate::{
    helpers::{Backend, TestApp},
    on_both_backends,
    trust_support::{use_jwt, ScratchDir, TokenIssuer},
};

on_both_backends!(
    a_grpc_web_call_over_http1_is_served_with_cors_for_a_listed_origin,
    a_grpc_web_call_is_authenticated_like_any_call,
    a_preflight_is_answered_for_a_listed_origin_and_refused_for_another,
    what_is_not_grpc_gets_an_http_answer_and_is_never_an_internal_error,
    with_grpc_web_off_a_json_post_over_http2_is_unsupported_media_type,
);

const CRM: &str = "http://crm.kpi.test";
const LIST_KPIS: &str = "/kpi.v1.ScorecardService/ListKpis";

fn web_on(settings: &mut Settings) {
    settings.server.grpc_web = true;
    settings.server.cors_allowed_origins = vec![CRM.into()];
}

/// An HTTP/1.1 reply: status, headers (lower-case names), body (de-chunked).
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends one HTTP/1.1 request and reads the reply to the end.
async fn http1(address: SocketAddr, head: &str, body: &[u8]) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "{head}\r\nHost: kpi.test\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("no end of headers");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .expect("no status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = chunked
            .windows(2)
            .position(|window| window == b"\r\n")
            .expect("a chunk size line");
        let size_text = String::from_utf8_lossy(&chunked[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        chunked = &chunked[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunked[..size]);
        chunked = &chunked[size + 2..];
    }
}

/// A gRPC-Web request body: one uncompressed message frame.
fn frame(message: &impl Message) -> Vec<u8> {
    let bytes = message.encode_to_vec();
    let mut framed = vec![0];
    framed.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    framed.extend_from_slice(&bytes);
    framed
}

/// The message frames and the trailers of a gRPC-Web reply body.
fn unframe(mut body: &[u8]) -> (Vec<Vec<u8>>, String) {
    let mut messages = Vec::new();
    let mut trailers = String::new();
    while body.len() >= 5 {
        let flags = body[0];
        let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        let payload = &body[5..5 + length];
        if flags & 0x80 != 0 {
            trailers.push_str(&String::from_utf8_lossy(payload));
        } else {
            messages.push(payload.to_vec());
        }
        body = &body[5 + length..];
    }
    (messages, trailers)
}

fn web_call_head(path: &str, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nContent-Type: application/grpc-web+proto\r\n\
         X-Grpc-Web: 1\r\nOrigin: {CRM}{extra}"
    )
}

async fn a_grpc_web_call_over_http1_is_served_with_cors_for_a_listed_origin(backend: Backend) {
    let app = spawn_observed_app(backend, web_on).await;
    let reply = http1(
        app.address,
        &web_call_head(LIST_KPIS, "\r\nX-Request-Id: browser-1"),
        &frame(&pb::ListKpisRequest {}),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/grpc-web")),
        "{:?}",
        reply.headers
    );
    assert_eq!(reply.header("access-control-allow-origin"), Some(CRM));
    assert!(reply
        .header("access-control-expose-headers")
        .is_some_and(|exposed| exposed.contains("grpc-status")));
    assert_eq!(reply.header("x-request-id"), Some("browser-1"));
    let (messages, trailers) = unframe(&reply.body);
    assert!(trailers.contains("grpc-status:0"), "{trailers:?}");
    let kpis = pb::ListKpisResponse::decode(messages[0].as_slice()).unwrap();
    assert!(kpis.kpis.iter().any(|kpi| kpi.kpi_id == "aht"));

    let metrics = scrape(&app).await;
    assert_eq!(
        value(
            &metrics,
            "grpc_server_handled_total",
            &handled("unary", LIST_KPIS, "OK")
        ),
        Some(1.0),
        "a gRPC-Web call is counted like any call"
    );
}

async fn a_grpc_web_call_is_authenticated_like_any_call(backend: Backend) {
    let scratch = ScratchDir::new("grpc-web-auth");
    let issuer = TokenIssuer::new(&scratch);
    let app = spawn_observed_app(backend, |settings| {
        web_on(settings);
        use_jwt(settings, &issuer);
    })
    .await;
    let anonymous = http1(
        app.address,
        &web_call_head(LIST_KPIS, ""),
        &frame(&pb::ListKpisRequest {}),
    )
    .await;
    assert_eq!(anonymous.status, 200, "gRPC errors travel in a 200");
    let status = anonymous
        .header("grpc-status")
        .map(str::to_owned)
        .or_else(|| {
            let (_, trailers) = unframe(&anonymous.body);
            trailers.lines().find_map(|line| {
                line.strip_prefix("grpc-status:")
                    .map(|code| code.trim().to_owned())
            })
        });
    assert_eq!(status.as_deref(), Some("16"), "UNAUTHENTICATED");

    let token = issuer.token("crm-frontend", &["kpi.read"]);
    let authorised = http1(
        app.address,
        &web_call_head(LIST_KPIS, &format!("\r\nAuthorization: Bearer {token}")),
        &frame(&pb::ListKpisRequest {}),
    )
    .await;
    let (_, trailers) = unframe(&authorised.body);
    assert!(
        trailers.contains("grpc-status:0"),
        "{trailers:?} {:?}",
        authorised.headers
    );
}

async fn a_preflight_is_answered_for_a_listed_origin_and_refused_for_another(backend: Backend) {
    let app = spawn_observed_app(backend, web_on).await;
    let preflight = |origin: &str| {
        format!(
            "OPTIONS {LIST_KPIS} HTTP/1.1\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: content-type,x-grpc-web,authorization"
        )
    };
    let listed = http1(app.address, &preflight(CRM), b"").await;
    assert_eq!(listed.status, 204);
    assert_eq!(listed.header("access-control-allow-origin"), Some(CRM));
    let allowed = listed.header("access-control-allow-headers").unwrap();
    for header in ["content-type", "x-grpc-web", "authorization"] {
        assert!(allowed.contains(header), "{allowed}");
    }
    let stranger = http1(app.address, &preflight("http://elsewhere.test"), b"").await;
    assert_eq!(stranger.status, 403);
    assert_eq!(stranger.header("access-control-allow-origin"), None);
}

async fn what_is_not_grpc_gets_an_http_answer_and_is_never_an_internal_error(backend: Backend) {
    let app = spawn_observed_app(backend, web_on).await;
    let json = http1(
        app.address,
        &format!("POST {LIST_KPIS} HTTP/1.1\r\nContent-Type: application/json"),
        b"{}",
    )
    .await;
    assert_eq!(json.status, 415);
    let root = http1(app.address, "GET / HTTP/1.1", b"").await;
    assert_eq!(root.status, 404);
    let stranger = http1(
        app.address,
        "OPTIONS / HTTP/1.1\r\nOrigin: http://elsewhere.test\r\nAccess-Control-Request-Method: POST",
        b"",
    )
    .await;
    assert_eq!(stranger.status, 403);

    let metrics = scrape(&app).await;
    let internal: f64 = metrics
        .samples
        .iter()
        .filter(|sample| {
            sample.metric == "grpc_server_handled_total"
                && sample.labels.get("grpc_code") == Some("INTERNAL")
        })
        .map(|sample| match sample.value {
            prometheus_parse::Value::Counter(count) => count,
            _ => 0.0,
        })
        .sum();
    assert_eq!(internal, 0.0, "nothing was counted as an internal error");
    for (status, count) in [("415", 1.0), ("404", 1.0), ("403", 1.0)] {
        assert_eq!(
            value(
                &metrics,
                "kpi_non_grpc_requests_total",
                &[("status", status)]
            ),
            Some(count),
            "{status}"
        );
    }
}

async fn with_grpc_web_off_a_json_post_over_http2_is_unsupported_media_type(backend: Backend) {
    let app: TestApp = spawn_observed_app(backend, |_| {}).await;
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{}{LIST_KPIS}", app.address))
        .header("content-type", "application/json")
        .body(tonic::body::Body::new("{}".to_owned()))
        .unwrap();
    let mut channel = app.channel.clone();
    let response = channel.ready().await.unwrap().call(request).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let text = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&text).contains("gRPC"));
}
