//! The edge of the gRPC port, outside every other layer: what is not gRPC
//! gets a plain HTTP answer here, and browsers' gRPC-Web calls (when
//! `server.grpc_web` is on) get CORS for the configured origins and are
//! translated into gRPC, so that from the next layer on they are calls
//! like any other: observed, guarded, authenticated.
//!
//! | request | answer |
//! |---|---|
//! | `application/grpc` (HTTP/2) | passed on |
//! | `application/grpc-web*`, `server.grpc_web` on | passed on as gRPC, the reply translated back; a listed `Origin` gets CORS headers |
//! | `application/grpc-web*`, `server.grpc_web` off | 415 Unsupported Media Type |
//! | CORS preflight from a listed origin | 204 with the CORS headers |
//! | anything from an unlisted `Origin` | 403 Forbidden |
//! | a POST of another content type (JSON, a form) | 415 Unsupported Media Type (the gRPC protocol's answer) |
//! | any other method (`GET /`) | 404 Not Found |
//!
//! None of these is a gRPC call: they are counted in
//! `kpi_non_grpc_requests_total` by status, never as an internal error.

use std::{
    collections::HashSet,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use tonic::body::Body;
use tonic_web::{GrpcWebLayer, GrpcWebService};
use tower::{Layer, Service};

use crate::telemetry::metrics::Metrics;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Headers a browser's gRPC-Web client may send (gRPC-Web's own, the
/// credentials, and the request id and trace context).
const ALLOWED_HEADERS: &str = "authorization, content-type, grpc-timeout, traceparent, \
     x-grpc-web, x-request-id, x-user-agent";
/// Response headers a page may read: the status (sent as headers when the
/// reply has no message), the error details, and the ids.
const EXPOSED_HEADERS: &str = "grpc-status, grpc-message, grpc-status-details-bin, \
     grpc-retry-pushback-ms, x-request-id, traceparent";
/// How long a browser may cache a preflight's answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// What the edge lets through.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// Serve gRPC-Web (and HTTP/1.1, which browsers may use for it).
    pub grpc_web: bool,
    /// Origins (`https://crm.example.com`) whose pages may call the service.
    pub allowed_origins: HashSet<String>,
}

/// See the module documentation.
#[derive(Clone)]
pub struct WebEdgeLayer {
    settings: Arc<WebSettings>,
    metrics: Option<Metrics>,
}

impl WebEdgeLayer {
    pub fn new(settings: WebSettings, metrics: Option<Metrics>) -> Self {
        Self {
            settings: Arc::new(settings),
            metrics,
        }
    }
}

impl<S> Layer<S> for WebEdgeLayer {
    type Service = WebEdge<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WebEdge {
            inner: GrpcWebLayer::new().layer(inner),
            settings: self.settings.clone(),
            metrics: self.metrics.clone(),
        }
    }
}

/// The service made by [`WebEdgeLayer`].
#[derive(Clone)]
pub struct WebEdge<S> {
    inner: GrpcWebService<S>,
    settings: Arc<WebSettings>,
    metrics: Option<Metrics>,
}

/// What the edge does with a request.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// gRPC (or gRPC-Web when on): the layers behind answer it; a listed
    /// origin's reply gets CORS headers.
    PassOn { cors_origin: Option<HeaderValue> },
    /// A listed origin's preflight.
    Preflight { origin: HeaderValue },
    /// Not for this port: the HTTP status to answer.
    Refuse(StatusCode),
}

impl WebSettings {
    fn judge(&self, method: &Method, headers: &HeaderMap) -> Verdict {
        let origin = headers.get(header::ORIGIN);
        let listed_origin = origin
            .filter(|origin| {
                self.grpc_web
                    && origin
                        .to_str()
                        .is_ok_and(|origin| self.allowed_origins.contains(origin))
            })
            .cloned();
        if origin.is_some() && listed_origin.is_none() {
            return Verdict::Refuse(StatusCode::FORBIDDEN);
        }
        if method == Method::OPTIONS {
            return match listed_origin {
                Some(origin) if headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) => {
                    Verdict::Preflight { origin }
                }
                _ => Verdict::Refuse(StatusCode::NOT_FOUND),
            };
        }
        if method != Method::POST {
            return Verdict::Refuse(StatusCode::NOT_FOUND);
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let grpc_web = content_type.starts_with("application/grpc-web");
        let grpc = content_type.starts_with("application/grpc") && !grpc_web;
        if grpc || (grpc_web && self.grpc_web) {
            Verdict::PassOn {
                cors_origin: listed_origin,
            }
        } else {
            Verdict::Refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        }
    }
}

fn refusal(status: StatusCode) -> http::Response<Body> {
    let text = match status {
        StatusCode::FORBIDDEN => "this origin may not call kpi-service\n",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "kpi-service speaks gRPC: send application/grpc (or application/grpc-web where it is on)\n"
        }
        _ => "kpi-service serves gRPC only; nothing is served over plain HTTP here\n",
    };
    let mut response = http::Response::new(Body::new(text.to_owned()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn preflight(origin: HeaderValue) -> http::Response<Body> {
    let mut response = http::Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static(
            "origin, access-control-request-method, access-control-request-headers",
        ),
    );
    response
}

impl<S, ResBody> Service<http::Request<Body>> for WebEdge<S>
where
    S: Service<http::Request<Body>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError> + Send + 'static,
    ResBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError> + std::fmt::Display,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<http::Request<Body>>::poll_ready(&mut self.inner, context)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let verdict = self.settings.judge(request.method(), request.headers());
        let answered = |response: http::Response<Body>, metrics: &Option<Metrics>| {
            if let Some(metrics) = metrics {
                metrics.non_grpc_request(response.status().as_u16());
            }
            Box::pin(std::future::ready(Ok(response))) as Self::Future
        };
        match verdict {
            Verdict::PassOn { cors_origin } => {
                // The clone that was made ready serves this call.
                let clone = self.inner.clone();
                let mut ready = std::mem::replace(&mut self.inner, clone);
                Box::pin(async move {
                    let mut response = ready.call(request).await?;
                    if let Some(origin) = cors_origin {
                        let headers = response.headers_mut();
                        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                        headers.insert(
                            header::ACCESS_CONTROL_EXPOSE_HEADERS,
                            HeaderValue::from_static(EXPOSED_HEADERS),
                        );
                        headers.append(header::VARY, HeaderValue::from_static("origin"));
                    }
                    Ok(response)
                })
            }
            Verdict::Preflight { origin } => answered(preflight(origin), &self.metrics),
            Verdict::Refuse(status) => {
                tracing::debug!(
                    method = %request.method(),
                    status = status.as_u16(),
                    "a request that is not gRPC was refused"
                );
                answered(refusal(status), &self.metrics)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRM: &str = "https://crm.example.com";

    fn settings(grpc_web: bool) -> WebSettings {
        WebSettings {
            grpc_web,
            allowed_origins: HashSet::from([CRM.to_owned()]),
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    http::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn grpc_passes_and_what_is_not_grpc_is_refused_with_an_http_status() {
        let on = settings(true);
        let grpc = headers(&[("content-type", "application/grpc")]);
        assert_eq!(
            on.judge(&Method::POST, &grpc),
            Verdict::PassOn { cors_origin: None }
        );
        let json = headers(&[("content-type", "application/json")]);
        assert_eq!(
            on.judge(&Method::POST, &json),
            Verdict::Refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
        assert_eq!(
            on.judge(&Method::GET, &HeaderMap::new()),
            Verdict::Refuse(StatusCode::NOT_FOUND)
        );
    }

    #[test]
    fn grpc_web_passes_only_when_on_and_only_from_listed_origins() {
        let web = headers(&[
            ("content-type", "application/grpc-web+proto"),
            ("origin", "https://crm.example.com"),
        ]);
        assert_eq!(
            settings(true).judge(&Method::POST, &web),
            Verdict::PassOn {
                cors_origin: Some(HeaderValue::from_static(CRM))
            }
        );
        assert_eq!(
            settings(false).judge(&Method::POST, &web),
            Verdict::Refuse(StatusCode::FORBIDDEN)
        );
        let without_origin = headers(&[("content-type", "application/grpc-web-text")]);
        assert_eq!(
            settings(false).judge(&Method::POST, &without_origin),
            Verdict::Refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
        let stranger = headers(&[
            ("content-type", "application/grpc-web+proto"),
            ("origin", "https://evil.example"),
        ]);
        assert_eq!(
            settings(true).judge(&Method::POST, &stranger),
            Verdict::Refuse(StatusCode::FORBIDDEN)
        );
    }

    #[test]
    fn a_preflight_is_answered_for_listed_origins_only() {
        let listed = headers(&[
            ("origin", "https://crm.example.com"),
            ("access-control-request-method", "POST"),
        ]);
        assert_eq!(
            settings(true).judge(&Method::OPTIONS, &listed),
            Verdict::Preflight {
                origin: HeaderValue::from_static(CRM)
            }
        );
        let unlisted = headers(&[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "POST"),
        ]);
        assert_eq!(
            settings(true).judge(&Method::OPTIONS, &unlisted),
            Verdict::Refuse(StatusCode::FORBIDDEN)
        );
    }
}
