//! Several replicas over one PostgreSQL database, as production runs them:
//! real `kpi-service` processes (each with its own pools, caches and
//! clock), started from the binary cargo built for these tests, sharing
//! nothing but the database. The tests here are what a single server
//! cannot show: a close on one replica while another writes, caches that
//! must follow a change made elsewhere.

mod changes;
mod closes;
mod peers;
mod policy_cache;
mod registrations;
mod team_moves;

use std::{net::TcpListener, process::Stdio, time::Duration};

use kpi_service::grpc::pb::{
    self, ingest_service_client::IngestServiceClient, period_service_client::PeriodServiceClient,
    policy_service_client::PolicyServiceClient, scorecard_service_client::ScorecardServiceClient,
};
use tokio::process::{Child, Command};
use tonic::transport::Channel;
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use crate::{
    helpers::Backend,
    kpi_fixtures::month,
    support::databases::{fresh_database, Cleanup},
};

/// How long a replica may take to report SERVING (a cold start migrates).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// One `kpi-service` process.
pub struct Replica {
    pub channel: Channel,
    child: Child,
}

impl Replica {
    pub fn ingest(&self) -> IngestServiceClient<Channel> {
        IngestServiceClient::new(self.channel.clone())
    }

    pub fn scorecards(&self) -> ScorecardServiceClient<Channel> {
        ScorecardServiceClient::new(self.channel.clone())
    }

    pub fn policies(&self) -> PolicyServiceClient<Channel> {
        PolicyServiceClient::new(self.channel.clone())
    }

    pub fn periods(&self) -> PeriodServiceClient<Channel> {
        PeriodServiceClient::new(self.channel.clone())
    }

    /// Ingests `interactions` in one batch.
    pub async fn ingest_interactions(
        &self,
        interactions: Vec<pb::Interaction>,
    ) -> Result<(), tonic::Status> {
        self.ingest()
            .ingest_interactions(pb::IngestInteractionsRequest { interactions })
            .await
            .map(|_| ())
    }

    /// Closes `month_key` (`YYYY-MM`); panics if the call fails.
    pub async fn close(&self, month_key: &str) -> pb::Period {
        self.periods()
            .close_period(pb::ClosePeriodRequest {
                month: month_key.into(),
                request_id: String::new(),
                ..Default::default()
            })
            .await
            .expect("closing the month failed")
            .into_inner()
            .period
            .expect("no period returned")
    }

    /// The agent's scorecard of `month_key` as a read answers it (from the
    /// snapshot once the month is closed).
    pub async fn agent_scorecard(&self, agent_id: &str, month_key: &str) -> pb::Scorecard {
        self.scorecards()
            .get_agent_scorecard(pb::GetAgentScorecardRequest {
                agent_id: agent_id.into(),
                period: Some(month(month_key)),
                ..Default::default()
            })
            .await
            .expect("reading the scorecard failed")
            .into_inner()
            .scorecard
            .expect("no scorecard returned")
    }
}

/// Replicas over one fresh PostgreSQL database; dropping it stops them and
/// drops the database.
pub struct Replicas {
    pub replicas: Vec<Replica>,
    // Removed once the processes were told to stop (see `Drop`).
    _cleanup: Cleanup,
}

impl std::ops::Index<usize> for Replicas {
    type Output = Replica;

    fn index(&self, index: usize) -> &Replica {
        &self.replicas[index]
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        for replica in &mut self.replicas {
            let _ = replica.child.start_kill();
        }
        self._cleanup.remove();
    }
}

impl Replicas {
    /// Starts `count` replicas over one new database: the first migrates
    /// it, then the others start side by side.
    pub async fn start(count: usize) -> Replicas {
        let (url, cleanup) = fresh_database(Backend::Postgres).await;
        let mut replicas = vec![start_replica(&url).await];
        let others: Vec<_> = (1..count).map(|_| start_replica(&url)).collect();
        for replica in futures_util::future::join_all(others).await {
            replicas.push(replica);
        }
        Replicas {
            replicas,
            _cleanup: cleanup,
        }
    }
}

/// Starts one process on a free port and waits until it reports SERVING.
async fn start_replica(url: &str) -> Replica {
    for _ in 0..5 {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kpi-service"))
            .env("KPI__SERVER__LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("KPI__DATABASE__URL", url)
            .env("KPI__CHANGES__RECORD_INGEST", "true")
            .env("KPI__DATABASE__MAX_CONNECTIONS", "8")
            .env("KPI__DATABASE__HEALTH_CHECK_INTERVAL_SECONDS", "1")
            .env("KPI__TELEMETRY__LOG_FILTER", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("cannot start the kpi-service binary");
        let address = format!("http://127.0.0.1:{port}");
        match wait_until_serving(&address, &mut child).await {
            Some(channel) => return Replica { channel, child },
            // Most likely the port was taken in between: try another.
            None => {
                let _ = child.kill().await;
            }
        }
    }
    panic!("no replica of kpi-service would start (see its log above)");
}

/// A channel to `address` once its health check says SERVING, or `None`
/// when the process exited first.
async fn wait_until_serving(address: &str, child: &mut Child) -> Option<Channel> {
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    while tokio::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return None;
        }
        let channel = Channel::from_shared(address.to_owned())
            .expect("bad address")
            .connect()
            .await;
        if let Ok(channel) = channel {
            let status = HealthClient::new(channel.clone())
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|response| response.into_inner().status);
            if matches!(status, Ok(serving) if serving == ServingStatus::Serving as i32) {
                return Some(channel);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("a replica did not report SERVING within {START_TIMEOUT:?}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("no free port")
}
