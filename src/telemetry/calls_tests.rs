//! Unit tests of `calls`.

use super::*;

fn kpi_methods() -> KnownMethods {
    KnownMethods::from_descriptor_sets(&[crate::grpc::pb::FILE_DESCRIPTOR_SET]).unwrap()
}

#[tokio::test]
async fn handlers_see_the_request_id_and_the_call_is_counted_by_method_and_code() {
    use tower::ServiceExt;

    let methods = kpi_methods();
    let metrics = Metrics::new(&methods).unwrap();
    let handler = tower::service_fn(|request: http::Request<()>| async move {
        let seen = request
            .headers()
            .get(REQUEST_ID)
            .cloned()
            .expect("the handler must see a request id");
        let mut response = Status::not_found("no").into_http::<Body>();
        response.headers_mut().insert("seen-request-id", seen);
        Ok::<_, std::convert::Infallible>(response)
    });
    let service = ObserveCallsLayer::new(Some(metrics.clone()), methods).layer(handler);
    let response = service
        .oneshot(
            http::Request::builder()
                .uri("/kpi.v1.DirectoryService/GetAgent")
                .body(())
                .unwrap(),
        )
        .await
        .unwrap();
    let echoed = response.headers().get(REQUEST_ID).unwrap();
    assert_eq!(Some(echoed), response.headers().get("seen-request-id"));
    let text = metrics.render();
    assert!(text.contains(
        "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"kpi.v1.DirectoryService\",grpc_method=\"GetAgent\",grpc_code=\"NOT_FOUND\"} 1"
    ), "{text}");
}

#[tokio::test]
async fn a_call_refused_by_an_inner_layer_with_an_error_is_answered_and_counted() {
    use tower::ServiceExt;

    let methods = kpi_methods();
    let metrics = Metrics::new(&methods).unwrap();
    // A layer behind this one that fails the call with an error
    // instead of a response.
    let refusing = tower::service_fn(|_request: http::Request<()>| async {
        Err::<http::Response<Body>, BoxError>(Box::new(Status::resource_exhausted(
            "too many calls",
        )))
    });
    let service = ObserveCallsLayer::new(Some(metrics.clone()), methods).layer(refusing);
    let response = service
        .oneshot(
            http::Request::builder()
                .uri("/kpi.v1.IngestService/IngestInteractions")
                .body(())
                .unwrap(),
        )
        .await
        .expect("errors become gRPC responses");
    assert_eq!(grpc_status(response.headers()), Some(8));
    assert!(response.headers().contains_key(REQUEST_ID));
    let text = metrics.render();
    assert!(
        text.contains(
            "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"kpi.v1.IngestService\",grpc_method=\"IngestInteractions\",grpc_code=\"RESOURCE_EXHAUSTED\"} 1"
        ),
        "{text}"
    );
}
