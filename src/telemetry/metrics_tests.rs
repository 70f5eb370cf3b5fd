use super::*;

fn methods() -> KnownMethods {
    KnownMethods::from_descriptor_sets(&[
        crate::grpc::pb::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
    ])
    .unwrap()
}

#[test]
fn every_method_and_code_starts_at_zero() {
    let methods = methods();
    let text = Metrics::new(&methods).unwrap().render();
    assert!(text.contains(
        "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"kpi.v1.DirectoryService\",grpc_method=\"GetAgent\",grpc_code=\"INTERNAL\"} 0"
    ), "{text}");
    assert!(text.contains(
        "grpc_server_started_total{grpc_type=\"server_stream\",grpc_service=\"grpc.health.v1.Health\",grpc_method=\"Watch\"} 0"
    ), "{text}");
    assert!(text.contains(
        "grpc_server_handling_seconds_count{grpc_type=\"unary\",grpc_service=\"kpi.v1.DirectoryService\",grpc_method=\"GetAgent\"} 0"
    ), "{text}");
    assert!(
        !text.contains("grpc_server_handling_seconds_count{grpc_type=\"server_stream\""),
        "streams have no latency series: {text}"
    );
}

#[test]
fn registries_are_independent_and_count_by_label() {
    let methods = methods();
    let first = Metrics::new(&methods).unwrap();
    let second = Metrics::new(&methods).unwrap();
    let get_agent = methods.labels("/kpi.v1.DirectoryService/GetAgent");
    first.call_started(get_agent);
    first.call_finished(get_agent, "NOT_FOUND", Duration::from_millis(3));
    first.ingest_batch("interactions", ["created", "created", "stale"].into_iter());

    let text = first.render();
    assert!(text.contains(
        "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"kpi.v1.DirectoryService\",grpc_method=\"GetAgent\",grpc_code=\"NOT_FOUND\"} 1"
    ), "{text}");
    assert!(text.contains(
        "kpi_grpc_server_in_flight{grpc_type=\"unary\",grpc_service=\"kpi.v1.DirectoryService\",grpc_method=\"GetAgent\"} 0"
    ), "{text}");
    assert!(
        text.contains("kpi_ingest_items_total{kind=\"interactions\",outcome=\"created\"} 2"),
        "{text}"
    );
    assert!(
        !second
            .render()
            .contains("grpc_method=\"GetAgent\",grpc_code=\"NOT_FOUND\"} 1"),
        "a second registry must not see the first one's calls"
    );
}

#[test]
fn replicas_show_their_lag_and_where_reads_went() {
    let metrics = Metrics::new(&methods()).unwrap();
    let replica = ReplicaReport {
        name: "standby-a:5432/kpi".into(),
        reachable: true,
        lag: Some(Duration::from_millis(250)),
        serving: true,
        replay_lsn: 42,
        reads: [7, 2],
    };
    metrics.database_reads(&[replica], [5, 1, 3]);
    let text = metrics.render();
    for line in [
        "kpi_db_replica_lag_seconds{replica=\"standby-a:5432/kpi\"} 0.25",
        "kpi_db_replica_serving{replica=\"standby-a:5432/kpi\"} 1",
        "kpi_db_reads_total{database=\"standby-a:5432/kpi\",preference=\"replica_ok\"} 7",
        "kpi_db_reads_total{database=\"standby-a:5432/kpi\",preference=\"after_token\"} 2",
        "kpi_db_reads_total{database=\"primary\",preference=\"primary\"} 5",
        "kpi_db_reads_total{database=\"primary\",preference=\"replica_ok\"} 1",
        "kpi_db_reads_total{database=\"primary\",preference=\"after_token\"} 3",
    ] {
        assert!(text.contains(line), "{line} missing from {text}");
    }
}

#[test]
fn a_stream_is_counted_but_not_timed() {
    let methods = methods();
    let metrics = Metrics::new(&methods).unwrap();
    let watch = methods.labels("/grpc.health.v1.Health/Watch");
    metrics.call_started(watch);
    metrics.call_finished(watch, "CANCELLED", Duration::from_secs(20));
    let text = metrics.render();
    assert!(text.contains(
        "grpc_server_handled_total{grpc_type=\"server_stream\",grpc_service=\"grpc.health.v1.Health\",grpc_method=\"Watch\",grpc_code=\"CANCELLED\"} 1"
    ), "{text}");
    assert!(
        !text.contains("grpc_server_handling_seconds_count{grpc_type=\"server_stream\""),
        "{text}"
    );
}
