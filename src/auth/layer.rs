//! The tower layer that authenticates and authorizes every call before its
//! handler runs, and hands the handler the principal in the request's
//! extensions. Refusals are answered here, through the one error mapping.
//!
//! A path the server does not serve (an unknown service, or a method that
//! a newer client knows and this server does not) is UNIMPLEMENTED before
//! any credential is looked at: nothing is behind it to protect, and a
//! client must not be told to ask for a scope that cannot help it.

use std::{
    collections::HashSet,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use tonic::{body::Body, codegen::http};
use tower::{Layer, Service};

use super::{
    record_permission_denied, record_unauthenticated,
    requirements::{missing_scope, requirement, Requirement},
    Authenticator, Principal,
};
use crate::error::ServiceError;

/// Wraps the services with authentication and the scope table.
#[derive(Clone)]
pub struct AuthLayer {
    authenticator: Arc<Authenticator>,
    served: Arc<HashSet<String>>,
}

impl AuthLayer {
    /// `served` holds every path the router serves (`/package.Service/Method`);
    /// any other path is answered UNIMPLEMENTED here.
    pub fn new(authenticator: Arc<Authenticator>, served: HashSet<String>) -> Self {
        Self {
            authenticator,
            served: Arc::new(served),
        }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            authenticator: self.authenticator.clone(),
            served: self.served.clone(),
        }
    }
}

/// See [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    authenticator: Arc<Authenticator>,
    served: Arc<HashSet<String>>,
}

fn refuse(error: ServiceError) -> http::Response<Body> {
    tonic::Status::from(error).into_http()
}

impl<S> AuthService<S> {
    /// The principal, or the refusal to answer with.
    fn admit<B>(&self, request: &http::Request<B>) -> Result<Option<Principal>, ServiceError> {
        let path = request.uri().path();
        if !self.served.contains(path) {
            return Err(ServiceError::Unimplemented {
                path: path.to_owned(),
            });
        }
        let requirement = requirement(path, self.authenticator.open_reflection);
        if requirement == Requirement::Open {
            // Open calls are still told who the caller is, if anyone.
            return Ok(self.authenticator.authenticate(request).ok());
        }
        let principal = self.authenticator.authenticate(request).map_err(|reason| {
            record_unauthenticated(path, reason);
            ServiceError::Unauthenticated { reason }
        })?;
        if let Some(scope) = missing_scope(&principal, requirement) {
            record_permission_denied(path, &principal.name, &scope);
            return Err(ServiceError::PermissionDenied { scope });
        }
        Ok(Some(principal))
    }
}

impl<S, B> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        match self.admit(&request) {
            Ok(principal) => {
                if let Some(principal) = principal {
                    request.extensions_mut().insert(principal);
                }
                // The clone that was made ready serves this call.
                let clone = self.inner.clone();
                let mut ready = std::mem::replace(&mut self.inner, clone);
                Box::pin(ready.call(request))
            }
            Err(error) => {
                let response = refuse(error);
                Box::pin(async move { Ok(response) })
            }
        }
    }
}
