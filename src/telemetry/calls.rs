//! The tower layer that observes every gRPC call, whether or not it reaches a
//! handler (unknown methods, shed calls, decode failures, cancellations):
//!
//! - the request id: `x-request-id` from the client, or a generated UUID,
//!   INSERTED into the request's headers (handlers read it as
//!   `x-request-id` metadata), put on the call's span and echoed in the
//!   response metadata;
//! - W3C `traceparent`: a valid one puts its trace id on the span and is
//!   echoed back unchanged;
//! - one `call finished` log line per call with the canonical code name
//!   (`grpc_code`: `INVALID_ARGUMENT`), the latency and the peer, inside a
//!   `call` span carrying `grpc_service`, `grpc_method`, `request_id` and
//!   `trace_id` (the JSON log writes them as top-level fields of every line
//!   logged during the call); a server failure (`INTERNAL`, `UNKNOWN`,
//!   `DATA_LOSS`) is logged at ERROR;
//! - the metrics per method and code (see [`super::metrics`]).
//!
//! Add it first (outermost) in `startup`, so that it also sees the calls
//! that the limits behind it refuse.

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use bytes::Bytes;
use http_body::Frame;
use tonic::{
    body::Body,
    transport::server::{TcpConnectInfo, TlsConnectInfo},
    Status,
};
use tower::{Layer, Service, ServiceExt};
use tracing::Instrument;

pub use super::call_headers::{REQUEST_ID, TRACEPARENT};
pub use super::methods::KnownMethods;
use super::{
    call_headers::{grpc_status, is_valid_traceparent, request_id_of},
    codes::{canonical_name, is_server_error},
    methods::MethodLabels,
    metrics::Metrics,
};

/// Health `Check` calls are logged at debug level only: probes arrive every
/// few seconds and would drown the log (they are still counted).
const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Observes every call: request id, trace context, log line, metrics.
#[derive(Clone)]
pub struct ObserveCallsLayer {
    metrics: Option<Metrics>,
    methods: Arc<KnownMethods>,
    start_traces: bool,
}

impl ObserveCallsLayer {
    /// `metrics` is `None` when no metrics listener is configured.
    pub fn new(metrics: Option<Metrics>, methods: KnownMethods) -> Self {
        Self {
            metrics,
            methods: Arc::new(methods),
            start_traces: false,
        }
    }

    /// Gives a call that carries no `traceparent` a trace id of its own
    /// (when traces are exported, so that its span and its logs meet).
    pub fn starting_traces(mut self, start: bool) -> Self {
        self.start_traces = start;
        self
    }
}

impl<S> Layer<S> for ObserveCallsLayer {
    type Service = ObserveCalls<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ObserveCalls {
            inner,
            metrics: self.metrics.clone(),
            methods: self.methods.clone(),
            start_traces: self.start_traces,
        }
    }
}

/// The service made by [`ObserveCallsLayer`].
#[derive(Clone)]
pub struct ObserveCalls<S> {
    inner: S,
    metrics: Option<Metrics>,
    methods: Arc<KnownMethods>,
    start_traces: bool,
}

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for ObserveCalls<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    RequestBody: Send + 'static,
    ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    ResponseBody::Error: Into<BoxError>,
{
    type Response = http::Response<ObservedBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    /// Always ready: the inner services' readiness (a concurrency limit's
    /// queue) is awaited inside the call, so that a queued call is already
    /// in flight, its wait counts in its latency, and a call that times out
    /// while queued is still logged and counted.
    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<RequestBody>) -> Self::Future {
        let inner = self.inner.clone();

        let path = request.uri().path().to_owned();
        let labels = self.methods.labels(&path);
        let request_id = request_id_of(request.headers_mut());
        let traceparent = request
            .headers()
            .get(TRACEPARENT)
            .filter(|value| value.to_str().is_ok_and(is_valid_traceparent))
            .cloned();
        let trace_id = traceparent
            .as_ref()
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split('-').nth(1));
        let extensions = request.extensions();
        let peer = extensions
            .get::<TcpConnectInfo>()
            .or_else(|| {
                extensions
                    .get::<TlsConnectInfo<TcpConnectInfo>>()
                    .map(TlsConnectInfo::get_ref)
            })
            .and_then(TcpConnectInfo::remote_addr);
        let span = tracing::info_span!(
            "call",
            grpc_service = labels.service,
            grpc_method = labels.method,
            request_id = %request_id.to_str().unwrap_or_default(),
            trace_id = tracing::field::Empty,
            otel.parent_span_id = tracing::field::Empty,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        match trace_id {
            Some(trace_id) => {
                span.record("trace_id", trace_id);
                let parent = traceparent
                    .as_ref()
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.split('-').nth(2));
                if let Some(parent) = parent {
                    span.record("otel.parent_span_id", parent);
                }
            }
            // Traces are exported: a call without a trace starts one.
            None if self.start_traces => {
                span.record("trace_id", uuid::Uuid::new_v4().simple().to_string());
            }
            None => {}
        }
        if let Some(metrics) = &self.metrics {
            request.extensions_mut().insert(metrics.clone());
        }

        let record = CallRecord {
            started: Instant::now(),
            labels,
            // The path is logged only when it is not a known method (whose
            // labels say it all).
            unknown_path: (labels == MethodLabels::UNKNOWN).then_some(path),
            peer,
            metrics: self.metrics.clone(),
            span: span.clone(),
            finished: false,
        };
        if let Some(metrics) = &record.metrics {
            metrics.call_started(labels);
        }

        Box::pin(
            async move {
                let mut record = record;
                let mut response = match inner.oneshot(request).await {
                    Ok(response) => response.map(Body::new),
                    Err(error) => Status::from_error(error.into()).into_http(),
                };
                let headers = response.headers_mut();
                headers.insert(REQUEST_ID, request_id);
                if let Some(traceparent) = traceparent {
                    headers.insert(TRACEPARENT, traceparent);
                }
                // A trailers-only response (every error a handler returns)
                // carries its code in the headers; otherwise it comes in
                // the trailers at the end of the body.
                if let Some(code) = grpc_status(response.headers()) {
                    record.finish(code);
                }
                Ok(response.map(|body| ObservedBody {
                    inner: body,
                    record,
                }))
            }
            .instrument(span),
        )
    }
}

/// What is needed to log and count a call once it ends.
struct CallRecord {
    started: Instant,
    labels: MethodLabels,
    unknown_path: Option<String>,
    peer: Option<SocketAddr>,
    metrics: Option<Metrics>,
    span: tracing::Span,
    finished: bool,
}

impl CallRecord {
    fn finish(&mut self, code: i32) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.span.record("rpc.grpc.status_code", i64::from(code));
        let code = canonical_name(code);
        let latency = self.started.elapsed();
        if let Some(metrics) = &self.metrics {
            metrics.call_finished(self.labels, code, latency);
        }
        self.log(code, latency);
    }

    fn log(&self, grpc_code: &'static str, latency: Duration) {
        let latency_ms = latency.as_secs_f64() * 1000.0;
        let peer = self.peer.map(|peer| peer.to_string()).unwrap_or_default();
        let grpc_type = self.labels.kind.label();
        let path = self.unknown_path.as_deref();
        let _entered = self.span.enter();
        let quiet = self.labels.service == HEALTH_SERVICE && self.labels.method == "Check";
        if quiet {
            tracing::debug!(
                grpc_code,
                grpc_type,
                latency_ms,
                peer,
                path,
                "call finished"
            );
        } else if matches!(grpc_code, "INTERNAL" | "UNKNOWN" | "DATA_LOSS") {
            tracing::error!(
                grpc_code,
                grpc_type,
                latency_ms,
                peer,
                path,
                "call finished"
            );
        } else if is_server_error(grpc_code) {
            tracing::warn!(
                grpc_code,
                grpc_type,
                latency_ms,
                peer,
                path,
                "call finished"
            );
        } else {
            tracing::info!(
                grpc_code,
                grpc_type,
                latency_ms,
                peer,
                path,
                "call finished"
            );
        }
    }
}

impl Drop for CallRecord {
    /// A call whose response was dropped before it ended was cancelled: the
    /// client went away or gave up (a stream the client closed ends so). The
    /// server's own time limit answers DEADLINE_EXCEEDED, never this.
    fn drop(&mut self) {
        self.finish(tonic::Code::Cancelled as i32);
    }
}

pin_project_lite::pin_project! {
    /// A response body that finishes its call's record when the trailers
    /// (with the final `grpc-status`) have been sent.
    pub struct ObservedBody {
        #[pin]
        inner: Body,
        record: CallRecord,
    }
}

impl http_body::Body for ObservedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(context);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    this.record.finish(code);
                }
            }
            Poll::Ready(Some(Err(status))) => this.record.finish(status.code() as i32),
            // The body ended without trailers: nothing says how it went.
            Poll::Ready(None) => this.record.finish(tonic::Code::Unknown as i32),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
#[path = "calls_tests.rs"]
mod tests;
