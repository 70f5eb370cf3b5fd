//! The services the listener serves: the seven `kpi.v1` services, each with
//! the message-size limits and gzip, and server reflection when enabled;
//! and the change feed's background prune.

use std::sync::Arc;

use anyhow::Context;
use tonic::{codec::CompressionEncoding, service::Routes};

use crate::{
    configuration::Settings,
    grpc::{
        audit::AuditApi,
        changes::ChangeApi,
        directory::DirectoryApi,
        ingest::{IngestApi, IngestLimits},
        pb::{
            self, audit_service_server::AuditServiceServer,
            change_service_server::ChangeServiceServer,
            directory_service_server::DirectoryServiceServer,
            ingest_service_server::IngestServiceServer, period_service_server::PeriodServiceServer,
            policy_service_server::PolicyServiceServer,
            scorecard_service_server::ScorecardServiceServer,
        },
        periods::{PeriodApi, ProtobufResponses},
        policy::PolicyApi,
        scorecard::ScorecardApi,
        snapshot_encoding::ProtobufSnapshots,
    },
    service::{
        audit::AuditTrail,
        changes::ChangeFeed,
        directory::Directory,
        ingest::{Ingest, IngestSettings},
        periods::Periods,
        policies::Policies,
        scorecards::Scorecards,
        snapshots::SnapshotEncoding,
    },
    storage::Database,
    telemetry::calls::KnownMethods,
};

/// Gives a generated server the listener's message limits and gzip both
/// ways (every generated server has these methods, but no common trait).
macro_rules! with_limits {
    ($server:expr, $settings:expr) => {
        $server
            .max_decoding_message_size($settings.server.max_decode_message_bytes)
            .max_encoding_message_size($settings.server.max_encode_message_bytes)
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip)
    };
}

/// Adds the seven `kpi.v1` services, and reflection when it is on, to
/// `routes`, and starts the change feed's prune (it ends when `draining`
/// turns true, which also ends the change streams).
pub(super) fn add_kpi_services(
    routes: Routes,
    database: &Database,
    settings: &Settings,
    draining: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Routes> {
    let zone = settings.reporting.time_zone();
    let limits = IngestLimits {
        max_batch_size: settings.ingest.max_batch_size,
        future_tolerance: chrono::Duration::seconds(settings.ingest.future_tolerance_seconds),
        time_zone: zone,
    };
    let ingest = Ingest::new(
        database.clone(),
        IngestSettings {
            zone,
            max_new_agents_per_batch: settings.ingest.max_new_agents_per_batch,
            record_changes: settings.changes.record_ingest,
        },
    );
    let snapshots: Arc<dyn SnapshotEncoding> = Arc::new(ProtobufSnapshots::new(zone));
    let calendar = settings.payroll.pay_calendar();
    let scorecards =
        Scorecards::new(database.clone(), zone, snapshots.clone()).with_pay_calendar(calendar);
    let periods = Periods::new(
        database.clone(),
        zone,
        snapshots,
        Arc::new(ProtobufResponses::new(zone)),
    )
    .with_pay_calendar(calendar);
    let feed = ChangeFeed::new(database.clone(), settings.changes.clone(), draining);
    tokio::spawn(feed.clone().prune_until_draining());
    let mut routes = routes
        .add_service(with_limits!(
            ChangeServiceServer::new(ChangeApi::new(feed, zone)),
            settings
        ))
        .add_service(with_limits!(
            IngestServiceServer::new(IngestApi::new(ingest, limits)),
            settings
        ))
        .add_service(with_limits!(
            DirectoryServiceServer::new(DirectoryApi::new(Directory::new(database.clone(), zone))),
            settings
        ))
        .add_service(with_limits!(
            ScorecardServiceServer::new(ScorecardApi::new(scorecards)),
            settings
        ))
        .add_service(with_limits!(
            PolicyServiceServer::new(PolicyApi::new(Policies::new(database.clone(), zone))),
            settings
        ))
        .add_service(with_limits!(
            PeriodServiceServer::new(PeriodApi::new(periods)),
            settings
        ))
        .add_service(with_limits!(
            AuditServiceServer::new(AuditApi::new(AuditTrail::new(database.clone()))),
            settings
        ));
    if settings.server.reflection {
        let descriptors = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(pb::GOOGLE_RPC_FILE_DESCRIPTOR_SET)
        };
        // gzip too: a client that compresses every call must reach it.
        routes = routes
            .add_service(
                descriptors()
                    .build_v1()?
                    .accept_compressed(CompressionEncoding::Gzip),
            )
            .add_service(
                descriptors()
                    .build_v1alpha()?
                    .accept_compressed(CompressionEncoding::Gzip),
            );
    }
    Ok(routes)
}

/// Every method served, for bounded metric labels.
pub(super) fn known_methods() -> anyhow::Result<KnownMethods> {
    KnownMethods::from_descriptor_sets(&[
        pb::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ])
    .context("could not read the service descriptors")
}
