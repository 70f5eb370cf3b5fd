//! The JSON log: one object per line, every field at the top level. The
//! fields of the spans an event happens in (a call's `request_id`,
//! `trace_id`, `grpc_service`, `grpc_method`) are written beside the
//! event's own, once, with no nested `span` object or `spans` list, so that
//! a log collector can filter on `request_id` or `grpc_method` directly and
//! the same names as the metrics' labels. An event's own field wins over a
//! span's of the same name, an inner span's over an outer one's. Fields
//! named `otel.*` or `rpc.*` are for the trace exporter and left out.

use std::io::Write;

use serde_json::{Map, Value};
use tracing::{
    field::{Field, Visit},
    span, Event, Subscriber,
};
use tracing_subscriber::{fmt::MakeWriter, layer::Context, registry::LookupSpan, Layer};

/// Writes events as JSON lines to what `make_writer` makes (stdout).
pub struct JsonLog<W> {
    make_writer: W,
}

impl<W> JsonLog<W> {
    pub fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

/// A span's fields, kept in its extensions until it closes.
#[derive(Default)]
struct SpanFields(Map<String, Value>);

/// Records fields into a JSON map.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl JsonVisitor<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if name.starts_with("otel.") || name.starts_with("rpc.") {
            return;
        }
        self.0.insert(name.to_owned(), value);
    }
}

impl Visit for JsonVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

impl<S, W> Layer<S> for JsonLog<W>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    fn on_new_span(
        &self,
        attributes: &span::Attributes<'_>,
        id: &span::Id,
        context: Context<'_, S>,
    ) {
        let Some(span) = context.span(id) else {
            return;
        };
        let mut fields = SpanFields::default();
        attributes.record(&mut JsonVisitor(&mut fields.0));
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(fields) = extensions.get_mut::<SpanFields>() {
            values.record(&mut JsonVisitor(&mut fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, context: Context<'_, S>) {
        let metadata = event.metadata();
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            Value::from(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        );
        line.insert("level".into(), Value::from(metadata.level().as_str()));
        line.insert("target".into(), Value::from(metadata.target()));
        if let Some(scope) = context.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<SpanFields>() {
                    for (name, value) in &fields.0 {
                        line.insert(name.clone(), value.clone());
                    }
                }
            }
        }
        event.record(&mut JsonVisitor(&mut line));
        let Ok(mut text) = serde_json::to_string(&Value::Object(line)) else {
            return;
        };
        text.push('\n');
        // A log line that cannot be written has nowhere else to go.
        let _ = self.make_writer.make_writer().write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn span_fields_are_top_level_once_and_the_event_wins() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(JsonLog::new(captured.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let call = tracing::info_span!(
                "call",
                grpc_service = "kpi.v1.DirectoryService",
                grpc_method = "GetAgent",
                request_id = "req-1",
                trace_id = tracing::field::Empty,
                otel.name = "kpi.v1.DirectoryService/GetAgent",
            );
            call.record("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
            let _entered = call.enter();
            let inner = tracing::info_span!("read", request_id = "shadowed-by-inner");
            let _inner = inner.enter();
            tracing::error!(grpc_code = "INTERNAL", latency_ms = 1.5, "call finished");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(line["level"], "ERROR");
        assert_eq!(line["message"], "call finished");
        assert_eq!(line["grpc_service"], "kpi.v1.DirectoryService");
        assert_eq!(line["grpc_method"], "GetAgent");
        assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(line["request_id"], "shadowed-by-inner");
        assert_eq!(line["grpc_code"], "INTERNAL");
        assert_eq!(line["latency_ms"], 1.5);
        for absent in ["span", "spans", "fields", "otel.name"] {
            assert!(line.get(absent).is_none(), "{absent} in {line}");
        }
    }
}
