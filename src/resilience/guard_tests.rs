//! Unit tests of `guard`.

use std::convert::Infallible;

use tonic_types::StatusExt;

use super::*;
use crate::configuration::Settings;

async fn guard<S>(inner: S, limits: GuardLimits) -> CallGuard<S> {
    let mut settings = Settings::defaults().unwrap().database;
    settings.url = "sqlite::memory:".into();
    let database = Database::connect(&settings).await.unwrap();
    let readiness = Readiness::new();
    readiness.set_prepared();
    CallGuardLayer::new(limits, database, readiness).layer(inner)
}

fn limits(request_timeout: Duration) -> GuardLimits {
    GuardLimits {
        max_concurrent_requests: 4,
        max_concurrent_heavy_requests: 1,
        request_timeout,
        max_decode_message_bytes: 1024,
    }
}

fn request(path: &str) -> http::Request<Body> {
    http::Request::builder()
        .uri(format!("http://localhost{path}"))
        .body(Body::default())
        .unwrap()
}

async fn answer<S>(guard: &mut CallGuard<S>, path: &str) -> Status
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let response = guard.call(request(path)).await.unwrap();
    Status::from_header_map(response.headers()).expect("a gRPC status in the headers")
}

/// A handler that must not be reached.
fn unreachable_handler() -> impl Service<
    http::Request<Body>,
    Response = http::Response<Body>,
    Error = Infallible,
    Future: Send + 'static,
> + Clone
       + Send
       + 'static {
    tower::service_fn(|_: http::Request<Body>| async {
        if true {
            panic!("the guard let the call through");
        }
        Ok::<_, Infallible>(http::Response::new(Body::default()))
    })
}

#[tokio::test]
async fn a_call_before_the_database_is_prepared_is_unavailable_without_reaching_the_handler() {
    let mut settings = Settings::defaults().unwrap().database;
    settings.url = "sqlite::memory:".into();
    let database = Database::connect(&settings).await.unwrap();
    let readiness = Readiness::new();
    let mut guard =
        CallGuardLayer::new(limits(Duration::from_secs(5)), database, readiness.clone())
            .layer(unreachable_handler());
    let status = answer(&mut guard, "/kpi.v1.DirectoryService/GetAgent").await;
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "DATABASE_UNAVAILABLE"
    );
}

#[tokio::test]
async fn a_call_during_a_known_outage_fails_fast_without_reaching_the_handler() {
    let mut settings = Settings::defaults().unwrap().database;
    settings.url = "sqlite::memory:".into();
    let database = Database::connect(&settings).await.unwrap();
    // What the health check records when its probe cannot reach the
    // database.
    database.close().await;
    assert!(!database.probe(Duration::from_secs(1)).await);
    let readiness = Readiness::new();
    readiness.set_prepared();
    let mut guard = CallGuardLayer::new(limits(Duration::from_secs(5)), database, readiness)
        .layer(unreachable_handler());
    let status = answer(&mut guard, "/kpi.v1.IngestService/IngestInteractions").await;
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.get_details_retry_info().is_some());
}

#[tokio::test]
async fn a_handler_panic_becomes_internal_with_error_info() {
    let panicking = tower::service_fn(|_: http::Request<Body>| async {
        if true {
            panic!("NaiveDate + TimeDelta overflowed");
        }
        Ok::<_, Infallible>(http::Response::new(Body::default()))
    });
    let mut guard = guard(panicking, limits(Duration::from_secs(5))).await;
    let status = answer(&mut guard, "/kpi.v1.ScorecardService/GetAgentScorecard").await;
    assert_eq!(status.code(), Code::Internal);
    assert_eq!(status.get_details_error_info().unwrap().reason, "INTERNAL");
    assert!(!status.message().contains("NaiveDate"), "{status:?}");
    // The permit was given back: the guard still admits calls.
    let status = answer(&mut guard, "/kpi.v1.ScorecardService/GetAgentScorecard").await;
    assert_eq!(status.code(), Code::Internal);
}

#[tokio::test]
async fn a_call_past_the_time_limit_is_deadline_exceeded() {
    let slow = tower::service_fn(|_: http::Request<Body>| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok::<_, Infallible>(http::Response::new(Body::default()))
    });
    let mut guard = guard(slow, limits(Duration::from_millis(50))).await;
    let status = answer(&mut guard, "/kpi.v1.IngestService/IngestInteractions").await;
    assert_eq!(status.code(), Code::DeadlineExceeded);
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "REQUEST_TIMEOUT"
    );
}

#[tokio::test]
async fn a_request_the_codec_found_too_large_is_resource_exhausted() {
    let codec_refusal = tower::service_fn(|_: http::Request<Body>| async {
        Ok::<_, Infallible>(
            Status::out_of_range("Error, decoded message length too large").into_http(),
        )
    });
    let mut guard = guard(codec_refusal, limits(Duration::from_secs(5))).await;
    let status = answer(&mut guard, "/kpi.v1.IngestService/IngestInteractions").await;
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "MESSAGE_TOO_LARGE"
    );
    assert!(status.message().contains("1024 bytes"), "{status:?}");
}

#[test]
fn health_and_reflection_are_unguarded_and_org_wide_lists_are_heavy() {
    assert_eq!(
        classify("/grpc.health.v1.Health/Check"),
        CallClass::Unguarded
    );
    assert_eq!(
        classify("/grpc.health.v1.Health/Watch"),
        CallClass::Unguarded
    );
    assert_eq!(
        classify("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
        CallClass::Unguarded
    );
    assert_eq!(
        classify("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"),
        CallClass::Unguarded
    );
    assert_eq!(
        classify("/kpi.v1.ScorecardService/ListAgentScorecards"),
        CallClass::Heavy
    );
    assert_eq!(
        classify("/kpi.v1.ScorecardService/GetAgentScorecard"),
        CallClass::Ordinary
    );
    assert_eq!(
        classify("/kpi.v1.IngestService/IngestInteractions"),
        CallClass::Ordinary
    );
}

#[test]
fn a_panic_payload_is_read_as_text() {
    let payload: Box<dyn Any + Send> = Box::new(String::from("overflowed"));
    assert_eq!(panic_message(payload.as_ref()), "overflowed");
    let payload: Box<dyn Any + Send> = Box::new("static text");
    assert_eq!(panic_message(payload.as_ref()), "static text");
    let payload: Box<dyn Any + Send> = Box::new(42);
    assert_eq!(panic_message(payload.as_ref()), "(not a string)");
}
