//! The call guard: admission, time limit and panic catching for every
//! `kpi.v1` call. Refusals are built by the one error mapping
//! (`grpc::error`), so they carry ErrorInfo and, when a retry can succeed,
//! RetryInfo plus `grpc-retry-pushback-ms`.

use std::{
    any::Any,
    future::Future,
    panic::AssertUnwindSafe,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use futures_util::FutureExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{body::Body, codegen::http, Code, Status};
use tower::{Layer, Service};

use super::readiness::Readiness;
use crate::{error::ServiceError, storage::Database};

/// Calls whose cost grows with the number of agents of a team or of the
/// whole organisation (closing or restating a month snapshots every agent). They share a smaller limit, so a month-end payroll
/// run cannot take every slot from single-agent calls.
pub const HEAVY_METHODS: &[&str] = &[
    "/kpi.v1.ScorecardService/ListAgentScorecards",
    "/kpi.v1.ScorecardService/ListThresholdBreaches",
    "/kpi.v1.ScorecardService/GetTeamScorecard",
    "/kpi.v1.PeriodService/ClosePeriod",
    "/kpi.v1.PeriodService/RestatePeriod",
];

/// Calls outside every limit and check: a load balancer must always get an
/// answer from health, and tools from reflection.
const UNGUARDED_PREFIXES: &[&str] = &["/grpc.health.", "/grpc.reflection."];

/// The limits the guard enforces.
#[derive(Debug, Clone, Copy)]
pub struct GuardLimits {
    /// Calls admitted at once; past it a call is refused at once.
    pub max_concurrent_requests: usize,
    /// Heavy calls admitted at once (each also counts against the total).
    pub max_concurrent_heavy_requests: usize,
    /// How long an admitted call may run.
    pub request_timeout: Duration,
    /// The decode limit, quoted when a request is too large.
    pub max_decode_message_bytes: usize,
}

/// Builds [`CallGuard`]s sharing one set of permits.
#[derive(Clone)]
pub struct CallGuardLayer {
    shared: Arc<Shared>,
}

struct Shared {
    all: Arc<Semaphore>,
    heavy: Arc<Semaphore>,
    limits: GuardLimits,
    database: Database,
    readiness: Readiness,
}

impl CallGuardLayer {
    /// Calls are refused UNAVAILABLE until `readiness` says the database is
    /// prepared, and while the health check finds it unreachable.
    pub fn new(limits: GuardLimits, database: Database, readiness: Readiness) -> Self {
        Self {
            shared: Arc::new(Shared {
                all: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
                heavy: Arc::new(Semaphore::new(limits.max_concurrent_heavy_requests)),
                limits,
                database,
                readiness,
            }),
        }
    }
}

impl<S> Layer<S> for CallGuardLayer {
    type Service = CallGuard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallGuard {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// See the module documentation.
#[derive(Clone)]
pub struct CallGuard<S> {
    inner: S,
    shared: Arc<Shared>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallClass {
    Unguarded,
    Ordinary,
    Heavy,
}

fn classify(path: &str) -> CallClass {
    if UNGUARDED_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
    {
        CallClass::Unguarded
    } else if HEAVY_METHODS.contains(&path) {
        CallClass::Heavy
    } else {
        CallClass::Ordinary
    }
}

/// The slots an admitted call holds until it has answered.
struct Admission {
    _all: OwnedSemaphorePermit,
    _heavy: Option<OwnedSemaphorePermit>,
}

impl Shared {
    /// Takes the call's slots without waiting, or refuses.
    fn admit(&self, class: CallClass) -> Result<Admission, ServiceError> {
        let heavy = match class {
            CallClass::Heavy => Some(
                self.heavy
                    .clone()
                    .try_acquire_owned()
                    .map_err(|_| ServiceError::Overloaded { heavy: true })?,
            ),
            _ => None,
        };
        let all = self
            .all
            .clone()
            .try_acquire_owned()
            .map_err(|_| ServiceError::Overloaded { heavy: false })?;
        Ok(Admission {
            _all: all,
            _heavy: heavy,
        })
    }

    /// Looks at an admitted call's answer: a request the codec refused as
    /// too large is RESOURCE_EXHAUSTED (tonic says OUT_OF_RANGE, which no
    /// handler of this service returns), and an answer that suggests the
    /// database failed asks the health check to probe now.
    fn review(&self, response: http::Response<Body>) -> http::Response<Body> {
        let code = response
            .headers()
            .get(Status::GRPC_STATUS)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<i32>().ok())
            .map(Code::from_i32);
        match code {
            Some(Code::OutOfRange) => reply(ServiceError::MessageTooLarge {
                limit_bytes: self.limits.max_decode_message_bytes,
            }),
            Some(Code::Unavailable | Code::ResourceExhausted) => {
                self.database.request_probe();
                response
            }
            _ => response,
        }
    }
}

fn reply(error: ServiceError) -> http::Response<Body> {
    Status::from(error).into_http()
}

/// The text of a panic payload (what `panic!` was given), if it is text.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(not a string)"
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<http::Request<Body>> for CallGuard<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The service that was polled ready serves this call; a fresh clone
        // stays behind for the next one.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let class = classify(request.uri().path());
        if class == CallClass::Unguarded {
            return Box::pin(inner.call(request));
        }
        let shared = self.shared.clone();
        if !shared.readiness.is_prepared() || !shared.database.is_reachable() {
            return Box::pin(std::future::ready(Ok(reply(ServiceError::Unavailable))));
        }
        let admission = match shared.admit(class) {
            Ok(admission) => admission,
            Err(refusal) => {
                tracing::debug!(rpc = %request.uri().path(), "shed: concurrency limit reached");
                return Box::pin(std::future::ready(Ok(reply(refusal))));
            }
        };
        let rpc = request.uri().path().to_owned();
        Box::pin(async move {
            let _admission = admission;
            let limit = shared.limits.request_timeout;
            let call = AssertUnwindSafe(async move { inner.call(request).await }).catch_unwind();
            match tokio::time::timeout(limit, call).await {
                Ok(Ok(Ok(response))) => Ok(shared.review(response)),
                Ok(Ok(Err(error))) => Err(error),
                Ok(Err(payload)) => {
                    tracing::error!(
                        rpc,
                        panic = panic_message(payload.as_ref()),
                        "handler panicked; answered INTERNAL"
                    );
                    Ok(reply(ServiceError::Internal))
                }
                Err(_elapsed) => {
                    tracing::warn!(
                        rpc,
                        limit_seconds = limit.as_secs(),
                        "call exceeded the server's time limit; answered DEADLINE_EXCEEDED"
                    );
                    Ok(reply(ServiceError::Timeout { limit }))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
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
}
