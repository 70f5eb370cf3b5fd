//! OTLP trace export (`telemetry.otlp_endpoint`): every gRPC call becomes
//! one server span, sent in batches to an OpenTelemetry collector over
//! OTLP/gRPC. The span continues the client's W3C `traceparent` (same trace
//! id, the client's span as parent), or starts a trace of its own whose id
//! the logs carry as `trace_id`. It is named `package.Service/Method`, with
//! OpenTelemetry's RPC attributes (`rpc.system`, `rpc.service`,
//! `rpc.method`, `rpc.grpc.status_code`) and status ERROR for the codes
//! that mean the server failed.
//!
//! Only the messages and the client of the OTLP protocol are used (the
//! `opentelemetry-proto` crate): the call's `tracing` span already holds
//! everything the exported span needs, so no SDK, sampler or propagator is
//! built. Spans wait in a bounded queue; when the collector cannot keep up
//! they are dropped (and counted in the log), never held in memory without
//! bound, and export failures never fail a call.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{trace_service_client::TraceServiceClient, ExportTraceServiceRequest},
    common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue},
    resource::v1::Resource,
    trace::v1::{span::SpanKind, status::StatusCode, ResourceSpans, ScopeSpans, Span, Status},
};
use tokio::sync::{mpsc, oneshot};
use tracing::{
    field::{Field, Visit},
    span, Subscriber,
};
use tracing_subscriber::{layer::Context, registry::LookupSpan, Layer};

use super::codes::{canonical_name, is_server_error};

/// Spans waiting for export; past it new spans are dropped.
const QUEUE: usize = 4096;
/// Spans per export request.
const BATCH: usize = 512;
/// How long a span waits at most before it is sent.
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

enum Message {
    Span(Box<Span>),
    /// Send what is queued, then answer.
    Flush(oneshot::Sender<()>),
}

/// Sends the call spans to a collector; see the module documentation.
pub struct OtlpExport {
    sender: mpsc::Sender<Message>,
}

impl OtlpExport {
    /// Starts the exporter task (on the current tokio runtime) for a
    /// collector at `endpoint` (`http://host:4317`), and the layer that
    /// feeds it.
    pub fn start(endpoint: &str) -> Result<(Self, OtlpLayer), tonic::transport::Error> {
        let channel = tonic::transport::Endpoint::from_shared(endpoint.to_owned())?
            .connect_timeout(Duration::from_secs(5))
            .connect_lazy();
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(export(TraceServiceClient::new(channel), receiver));
        let layer = OtlpLayer {
            sender: sender.clone(),
            dropped: AtomicU64::new(0),
        };
        Ok((Self { sender }, layer))
    }

    /// Sends every span queued so far (at shutdown), waiting at most `limit`.
    pub async fn flush(&self, limit: Duration) {
        let (done, sent) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = tokio::time::timeout(limit, sent).await;
        }
    }
}

async fn export(
    mut client: TraceServiceClient<tonic::transport::Channel>,
    mut receiver: mpsc::Receiver<Message>,
) {
    let mut batch = Vec::new();
    let mut ticker = tokio::time::interval(FLUSH_INTERVAL);
    loop {
        tokio::select! {
            message = receiver.recv() => match message {
                Some(Message::Span(span)) => {
                    batch.push(*span);
                    if batch.len() >= BATCH {
                        send(&mut client, &mut batch).await;
                    }
                }
                Some(Message::Flush(done)) => {
                    send(&mut client, &mut batch).await;
                    let _ = done.send(());
                }
                None => {
                    send(&mut client, &mut batch).await;
                    return;
                }
            },
            _ = ticker.tick() => send(&mut client, &mut batch).await,
        }
    }
}

async fn send(client: &mut TraceServiceClient<tonic::transport::Channel>, batch: &mut Vec<Span>) {
    if batch.is_empty() {
        return;
    }
    let spans = std::mem::take(batch);
    let count = spans.len();
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    text("service.name", "kpi-service"),
                    text("service.version", env!("CARGO_PKG_VERSION")),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "kpi-service".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..Default::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    };
    match tokio::time::timeout(EXPORT_TIMEOUT, client.export(request)).await {
        Ok(Ok(_)) => {}
        Ok(Err(status)) => {
            tracing::warn!(spans = count, code = ?status.code(), "the trace collector refused spans")
        }
        Err(_) => tracing::warn!(spans = count, "the trace collector did not answer in time"),
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

fn number(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
        ..Default::default()
    }
}

/// Turns the `call` spans of `super::calls` into OTLP spans.
pub struct OtlpLayer {
    sender: mpsc::Sender<Message>,
    dropped: AtomicU64,
}

/// What a call span has told so far.
#[derive(Default)]
struct CallSpan {
    started: Option<SystemTime>,
    span_id: [u8; 8],
    trace_id: Option<Vec<u8>>,
    parent_span_id: Option<Vec<u8>>,
    service: String,
    method: String,
    request_id: String,
    status_code: Option<i64>,
}

impl Visit for CallSpan {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "trace_id" => self.trace_id = hex(value),
            "otel.parent_span_id" => self.parent_span_id = hex(value),
            "grpc_service" => self.service = value.to_owned(),
            "grpc_method" => self.method = value.to_owned(),
            "request_id" => self.request_id = value.to_owned(),
            _ => {}
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "rpc.grpc.status_code" {
            self.status_code = Some(value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.record_i64(field, value as i64);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

/// The bytes of lower-case hex text.
fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

fn nanos(instant: SystemTime) -> u64 {
    instant
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or_default()
}

impl CallSpan {
    fn into_otlp(self, ended: SystemTime) -> Option<Span> {
        let trace_id = self.trace_id?;
        let code = self.status_code.unwrap_or(2);
        let failed = is_server_error(canonical_name(code as i32));
        Some(Span {
            trace_id,
            span_id: self.span_id.to_vec(),
            parent_span_id: self.parent_span_id.unwrap_or_default(),
            name: format!("{}/{}", self.service, self.method),
            kind: SpanKind::Server as i32,
            start_time_unix_nano: nanos(self.started.unwrap_or(ended)),
            end_time_unix_nano: nanos(ended),
            attributes: vec![
                text("rpc.system", "grpc"),
                text("rpc.service", &self.service),
                text("rpc.method", &self.method),
                number("rpc.grpc.status_code", code),
                text("kpi.request_id", &self.request_id),
            ],
            status: Some(Status {
                message: String::new(),
                code: if failed {
                    StatusCode::Error as i32
                } else {
                    StatusCode::Unset as i32
                },
            }),
            ..Default::default()
        })
    }
}

impl<S> Layer<S> for OtlpLayer
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn on_new_span(
        &self,
        attributes: &span::Attributes<'_>,
        id: &span::Id,
        context: Context<'_, S>,
    ) {
        if attributes.metadata().name() != "call" {
            return;
        }
        let Some(span) = context.span(id) else {
            return;
        };
        let mut call = CallSpan {
            started: Some(SystemTime::now()),
            ..Default::default()
        };
        let random = uuid::Uuid::new_v4();
        call.span_id.copy_from_slice(&random.as_bytes()[..8]);
        attributes.record(&mut call);
        span.extensions_mut().insert(call);
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, context: Context<'_, S>) {
        if let Some(span) = context.span(id) {
            if let Some(call) = span.extensions_mut().get_mut::<CallSpan>() {
                values.record(call);
            }
        }
    }

    fn on_close(&self, id: span::Id, context: Context<'_, S>) {
        let Some(span) = context.span(&id) else {
            return;
        };
        let Some(call) = span.extensions_mut().remove::<CallSpan>() else {
            return;
        };
        let Some(otlp) = call.into_otlp(SystemTime::now()) else {
            return;
        };
        if self.sender.try_send(Message::Span(Box::new(otlp))).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "trace export queue full: spans dropped");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_are_read_as_bytes() {
        assert_eq!(
            hex("00f067aa0ba902b7"),
            Some(vec![0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7])
        );
        assert_eq!(hex("0g"), None);
        assert_eq!(hex("abc"), None);
    }

    #[test]
    fn a_call_becomes_a_server_span_with_the_rpc_attributes() {
        let call = CallSpan {
            started: Some(UNIX_EPOCH + Duration::from_secs(10)),
            span_id: [1; 8],
            trace_id: hex("4bf92f3577b34da6a3ce929d0e0e4736"),
            parent_span_id: hex("00f067aa0ba902b7"),
            service: "kpi.v1.DirectoryService".into(),
            method: "GetAgent".into(),
            request_id: "req-1".into(),
            status_code: Some(13),
        };
        let span = call
            .into_otlp(UNIX_EPOCH + Duration::from_secs(11))
            .unwrap();
        assert_eq!(span.name, "kpi.v1.DirectoryService/GetAgent");
        assert_eq!(span.kind, SpanKind::Server as i32);
        assert_eq!(
            span.end_time_unix_nano - span.start_time_unix_nano,
            1_000_000_000
        );
        assert_eq!(
            span.status.unwrap().code,
            StatusCode::Error as i32,
            "INTERNAL"
        );
        assert!(span
            .attributes
            .contains(&number("rpc.grpc.status_code", 13)));
        assert!(
            CallSpan::default().into_otlp(SystemTime::now()).is_none(),
            "no trace id, no span"
        );
    }
}
