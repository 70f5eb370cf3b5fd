//! The call guard: admission, time limit and panic catching for every
//! `kpi.v1` call. Refusals are built by the one error mapping
//! (`crate::error`), so they carry ErrorInfo and, when a retry can succeed,
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
        // The codec's refusal carries no details; every refusal of this
        // service's handlers does (a change cursor after the latest one is
        // OUT_OF_RANGE with an ErrorInfo, and stays so).
        let from_codec = !response.headers().contains_key("grpc-status-details-bin");
        match code {
            Some(Code::OutOfRange) if from_codec => reply(ServiceError::MessageTooLarge {
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
#[path = "guard_tests.rs"]
mod tests;
