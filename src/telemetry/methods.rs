//! The gRPC methods the server serves, read from the compiled-in
//! descriptors: the labels a call is counted and logged under, whether it
//! streams, and the set of paths that exist at all (anything else is
//! UNIMPLEMENTED, counted under bounded `unknown` labels).

use std::{
    collections::{HashMap, HashSet},
    sync::{Mutex, OnceLock, PoisonError},
};

use prost::Message;

/// How a method exchanges messages; the `grpc_type` label, named as
/// go-grpc-prometheus names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Unary,
    ClientStream,
    ServerStream,
    BidiStream,
}

impl CallKind {
    /// The `grpc_type` label value.
    pub fn label(self) -> &'static str {
        match self {
            CallKind::Unary => "unary",
            CallKind::ClientStream => "client_stream",
            CallKind::ServerStream => "server_stream",
            CallKind::BidiStream => "bidi_stream",
        }
    }

    fn of(client_streaming: bool, server_streaming: bool) -> Self {
        match (client_streaming, server_streaming) {
            (false, false) => CallKind::Unary,
            (true, false) => CallKind::ClientStream,
            (false, true) => CallKind::ServerStream,
            (true, true) => CallKind::BidiStream,
        }
    }
}

/// What a call is counted and logged under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodLabels {
    /// `package.Service`, or `unknown`.
    pub service: &'static str,
    /// `Method`, or `unknown`.
    pub method: &'static str,
    pub kind: CallKind,
}

impl MethodLabels {
    /// The labels of every path the server does not serve.
    pub const UNKNOWN: MethodLabels = MethodLabels {
        service: "unknown",
        method: "unknown",
        kind: CallKind::Unary,
    };
}

/// Every method the server serves, by path (`/package.Service/Method`).
#[derive(Debug, Default, Clone)]
pub struct KnownMethods {
    paths: HashMap<String, MethodLabels>,
}

impl KnownMethods {
    /// Every method of every service in the given encoded descriptor sets.
    pub fn from_descriptor_sets(sets: &[&[u8]]) -> Result<Self, prost::DecodeError> {
        let mut paths = HashMap::new();
        for set in sets {
            let set = prost_types::FileDescriptorSet::decode(*set)?;
            for file in set.file {
                let package = file.package.unwrap_or_default();
                for service in file.service {
                    let service_name = match package.is_empty() {
                        true => service.name().to_owned(),
                        false => format!("{package}.{}", service.name()),
                    };
                    let service_name = intern(service_name);
                    for method in service.method {
                        let labels = MethodLabels {
                            service: service_name,
                            method: intern(method.name().to_owned()),
                            kind: CallKind::of(
                                method.client_streaming(),
                                method.server_streaming(),
                            ),
                        };
                        paths.insert(format!("/{service_name}/{}", labels.method), labels);
                    }
                }
            }
        }
        Ok(Self { paths })
    }

    /// The same methods less those whose path starts with `prefix` (a
    /// service that is switched off, such as reflection).
    pub fn without(mut self, prefix: &str) -> Self {
        self.paths.retain(|path, _| !path.starts_with(prefix));
        self
    }

    /// The labels of a request path, [`MethodLabels::UNKNOWN`] for a path
    /// the server does not serve.
    pub fn labels(&self, path: &str) -> MethodLabels {
        self.paths
            .get(path)
            .copied()
            .unwrap_or(MethodLabels::UNKNOWN)
    }

    /// Every served path.
    pub fn paths(&self) -> HashSet<String> {
        self.paths.keys().cloned().collect()
    }

    /// The labels of every served method.
    pub fn all(&self) -> impl Iterator<Item = MethodLabels> + '_ {
        self.paths.values().copied()
    }
}

/// A `'static` copy of `name`, made once per process, so that metric labels
/// need no allocation per call. The names come from the compiled-in
/// descriptors, so the set is bounded.
fn intern(name: String) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(name.as_str()) {
        return known;
    }
    let name: &'static str = Box::leak(name.into_boxed_str());
    names.insert(name);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_labelled_and_typed_from_the_descriptors() {
        let methods = KnownMethods::from_descriptor_sets(&[
            crate::grpc::pb::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
        ])
        .unwrap();
        assert_eq!(
            methods.labels("/kpi.v1.DirectoryService/GetAgent"),
            MethodLabels {
                service: "kpi.v1.DirectoryService",
                method: "GetAgent",
                kind: CallKind::Unary,
            }
        );
        assert_eq!(
            methods.labels("/grpc.health.v1.Health/Watch").kind,
            CallKind::ServerStream
        );
        assert_eq!(
            methods.labels("/kpi.v1.DirectoryService/Nope"),
            MethodLabels::UNKNOWN
        );
        assert!(methods
            .paths()
            .contains("/kpi.v1.ScorecardService/GetAgentScorecard"));
        let without_health = methods.without("/grpc.health.");
        assert_eq!(
            without_health.labels("/grpc.health.v1.Health/Check"),
            MethodLabels::UNKNOWN
        );
    }
}
