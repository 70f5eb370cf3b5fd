//! Who is calling and what they may do.
//!
//! - `authenticate`: turns a call's credentials (a bearer JWT, a client
//!   certificate, or nothing in mode `none`) into a [`Principal`].
//! - `requirements`: the ONE table from RPC to required scope, and the
//!   shared checks that need a decoded request (an ingest batch's sources, a
//!   read's team), driven by the same table.
//! - `layer`: the tower layer that runs both for every call and puts the
//!   principal into the request's extensions.

pub mod authenticate;
mod jwt;
pub mod layer;
mod mtls;
pub mod requirements;

use std::{
    collections::BTreeSet,
    sync::atomic::{AtomicU64, Ordering},
};

pub use authenticate::Authenticator;
pub use requirements::{authorize_body, Body, ReadSubject};

/// Why a call is UNAUTHENTICATED: the ErrorInfo reason, never the credential.
pub type Reason = &'static str;

/// Every scope the service knows, as granted to the anonymous principal of
/// mode `none`.
pub const ALL_SCOPES: &[&str] = &[
    scopes::INGEST_ANY,
    scopes::READ,
    scopes::DIRECTORY_WRITE,
    scopes::POLICY_WRITE,
    scopes::AUDIT_READ,
    scopes::PERIOD_WRITE,
];

/// Scope names.
pub mod scopes {
    /// Write records of any source.
    pub const INGEST_ANY: &str = "kpi.ingest:*";
    /// Prefix of `kpi.ingest:<source>`.
    pub const INGEST_PREFIX: &str = "kpi.ingest:";
    /// Read everything.
    pub const READ: &str = "kpi.read";
    /// Prefix of `kpi.read:team:<team_id>`.
    pub const READ_TEAM_PREFIX: &str = "kpi.read:team:";
    pub const DIRECTORY_WRITE: &str = "kpi.directory.write";
    pub const POLICY_WRITE: &str = "kpi.policy.write";
    pub const AUDIT_READ: &str = "kpi.audit.read";
    /// Close and restate months.
    pub const PERIOD_WRITE: &str = "kpi.period.write";
}

/// An authenticated caller: a name for logs and the audit trail, and scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// JWT `sub`, the client certificate's SAN, or `anonymous`.
    pub name: String,
    pub scopes: BTreeSet<String>,
}

impl Principal {
    /// The caller of mode `none`: anonymous, with every scope.
    pub fn anonymous() -> Self {
        Self {
            name: "anonymous".to_owned(),
            scopes: ALL_SCOPES.iter().map(|scope| (*scope).to_owned()).collect(),
        }
    }

    pub fn new(name: impl Into<String>, scopes: impl IntoIterator<Item = String>) -> Self {
        Self {
            name: name.into(),
            scopes: scopes.into_iter().collect(),
        }
    }

    pub fn has(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// May write records whose `source` is `source`.
    pub fn may_ingest(&self, source: &str) -> bool {
        self.has(scopes::INGEST_ANY) || self.has(&format!("{}{source}", scopes::INGEST_PREFIX))
    }

    /// Holds some `kpi.ingest:...` scope.
    pub fn ingests_something(&self) -> bool {
        self.scopes
            .iter()
            .any(|scope| scope.starts_with(scopes::INGEST_PREFIX))
    }

    /// Holds `kpi.read`: reads everything.
    pub fn reads_everything(&self) -> bool {
        self.has(scopes::READ)
    }

    /// Holds `kpi.read` or some `kpi.read:team:...`.
    pub fn reads_something(&self) -> bool {
        self.reads_everything()
            || self
                .scopes
                .iter()
                .any(|scope| scope.starts_with(scopes::READ_TEAM_PREFIX))
    }

    /// The teams a team-scoped reader may read; `None` for `kpi.read`
    /// (every team).
    pub fn readable_teams(&self) -> Option<Vec<String>> {
        if self.reads_everything() {
            return None;
        }
        Some(
            self.scopes
                .iter()
                .filter_map(|scope| scope.strip_prefix(scopes::READ_TEAM_PREFIX))
                .map(str::to_owned)
                .collect(),
        )
    }

    /// May read `team_id`'s numbers (and its members').
    pub fn may_read_team(&self, team_id: &str) -> bool {
        self.reads_everything() || self.has(&format!("{}{team_id}", scopes::READ_TEAM_PREFIX))
    }
}

/// Who made a call, as the adapters see it: the principal the auth layer
/// put into the request's extensions and the call's request id.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// `x-request-id` metadata; empty when the call carried none.
    pub request_id: String,
}

impl Caller {
    /// The caller of `request`. Without a principal (the auth layer did not
    /// run), nobody: a principal without scopes, so every check fails closed.
    pub fn of<T>(request: &tonic::Request<T>) -> Self {
        let principal = request
            .extensions()
            .get::<Principal>()
            .cloned()
            .unwrap_or_else(|| Principal::new("unauthenticated", []));
        let request_id = request
            .metadata()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(128)
            .collect();
        Self {
            principal,
            request_id,
        }
    }
}

/// Calls refused so far, for operators (also logged one by one).
#[derive(Debug, Default)]
pub struct Rejections {
    pub unauthenticated: AtomicU64,
    pub permission_denied: AtomicU64,
}

static REJECTIONS: Rejections = Rejections {
    unauthenticated: AtomicU64::new(0),
    permission_denied: AtomicU64::new(0),
};

/// The process-wide rejection counters.
pub fn rejections() -> (u64, u64) {
    (
        REJECTIONS.unauthenticated.load(Ordering::Relaxed),
        REJECTIONS.permission_denied.load(Ordering::Relaxed),
    )
}

/// Counts and logs an UNAUTHENTICATED call.
pub(crate) fn record_unauthenticated(rpc: &str, reason: &str) {
    let total = REJECTIONS.unauthenticated.fetch_add(1, Ordering::Relaxed) + 1;
    tracing::warn!(rpc, reason, total, "call rejected: unauthenticated");
}

/// Counts and logs a PERMISSION_DENIED call.
pub(crate) fn record_permission_denied(rpc: &str, principal: &str, scope: &str) {
    let total = REJECTIONS.permission_denied.fetch_add(1, Ordering::Relaxed) + 1;
    tracing::warn!(
        rpc,
        principal,
        missing_scope = scope,
        total,
        "call rejected: permission denied"
    );
}

impl Caller {
    /// The caller as the audit trail records it, for a change made through
    /// `method` (the gRPC path).
    pub fn audit_actor(&self, method: &str) -> crate::domain::audit::AuditActor {
        crate::domain::audit::AuditActor {
            principal: self.principal.name.clone(),
            method: method.to_owned(),
            request_id: self.request_id.clone(),
        }
    }
}
