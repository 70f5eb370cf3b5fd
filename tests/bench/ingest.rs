//! Writing the records: through gRPC with concurrent writers, and the
//! database's own bulk path (the baseline) into a same-shaped table.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use kpi_service::grpc::pb::{
    self, directory_service_client::DirectoryServiceClient,
    ingest_service_client::IngestServiceClient,
};
use tonic::Code;

use crate::{
    data::{interaction_row, survey_row, Directory, Kind, Pass},
    server::Service,
};

/// Records per batch, as the issue prescribes.
pub const BATCH: u64 = 1_000;
/// Retries of a batch answered ABORTED or UNAVAILABLE (what a client does).
const RETRIES: usize = 5;

/// Registers every team and agent up front, as an HR feed would.
pub async fn register_directory(service: &Service, directory: &Directory) {
    let mut client = DirectoryServiceClient::new(service.channel().await);
    for team in 0..directory.teams {
        client
            .upsert_team(pb::UpsertTeamRequest {
                team: Some(pb::Team {
                    team_id: directory.team_id(team),
                    display_name: format!("Team {team}"),
                    ..Default::default()
                }),
            })
            .await
            .expect("UpsertTeam failed");
    }
    for agent in 0..directory.agents {
        client
            .upsert_agent(pb::UpsertAgentRequest {
                agent: Some(pb::Agent {
                    agent_id: directory.agent_id(agent),
                    display_name: format!("Agent {agent}"),
                    team_id: directory.team_id(directory.team_of(agent)),
                    ..Default::default()
                }),
                // The first team counts from the earliest day.
                team_effective_from: String::new(),
            })
            .await
            .expect("UpsertAgent failed");
    }
}

/// What went wrong while writing, by status code.
#[derive(Debug, Default, Clone, Copy)]
pub struct WriteErrors {
    /// ABORTED answers (write conflicts, deadlocks the service gave up on).
    pub aborted: u64,
    /// UNAVAILABLE answers (overload, pool exhausted).
    pub unavailable: u64,
    /// Anything else; the batch is then lost.
    pub other: u64,
    /// Batches still failing after every retry.
    pub lost_batches: u64,
}

impl WriteErrors {
    pub fn absorb(&mut self, other: WriteErrors) {
        self.aborted += other.aborted;
        self.unavailable += other.unavailable;
        self.other += other.other;
        self.lost_batches += other.lost_batches;
    }
}

/// One timed write of many rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timed {
    pub rows: u64,
    pub elapsed: Duration,
}

impl Timed {
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }

    pub fn add(&mut self, other: Timed) {
        self.rows += other.rows;
        self.elapsed += other.elapsed;
    }
}

/// The batch boundaries of `kind` in `pass`.
fn batch_range(kind: Kind, pass: &Pass, batch: u64) -> std::ops::Range<u64> {
    let count = kind.count(pass);
    let start = batch * BATCH;
    start..(start + BATCH).min(count)
}

fn batch_count(kind: Kind, pass: &Pass) -> u64 {
    kind.count(pass).div_ceil(BATCH)
}

/// Sends every `kind` record of `pass` through gRPC with `writers`
/// concurrent writers, each on its own connection, taking batches in time
/// order from a shared counter.
pub async fn ingest_pass(
    service: &Service,
    directory: &Directory,
    pass: &Pass,
    kind: Kind,
    writers: usize,
) -> (Timed, WriteErrors) {
    let next_batch = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let client = IngestServiceClient::new(service.channel().await);
        let next_batch = next_batch.clone();
        let (directory, pass) = (*directory, *pass);
        tasks.push(tokio::spawn(async move {
            write_batches(client, &directory, &pass, kind, &next_batch).await
        }));
    }
    let mut errors = WriteErrors::default();
    for task in tasks {
        errors.absorb(task.await.expect("a writer panicked"));
    }
    let timed = Timed {
        rows: kind.count(pass),
        elapsed: started.elapsed(),
    };
    (timed, errors)
}

async fn write_batches(
    mut client: IngestServiceClient<tonic::transport::Channel>,
    directory: &Directory,
    pass: &Pass,
    kind: Kind,
    next_batch: &AtomicU64,
) -> WriteErrors {
    let mut errors = WriteErrors::default();
    loop {
        let batch = next_batch.fetch_add(1, Ordering::Relaxed);
        if batch >= batch_count(kind, pass) {
            return errors;
        }
        let range = batch_range(kind, pass, batch);
        let mut delivered = false;
        for _ in 0..=RETRIES {
            let result = match kind {
                Kind::Interactions => {
                    let interactions = range
                        .clone()
                        .map(|index| {
                            interaction_row(directory, pass, pass.first + index)
                                .to_message(directory)
                        })
                        .collect();
                    client
                        .ingest_interactions(pb::IngestInteractionsRequest { interactions })
                        .await
                        .map(|_| ())
                }
                Kind::Surveys => {
                    let survey_responses = range
                        .clone()
                        .map(|nth| survey_row(directory, pass, nth).to_message())
                        .collect();
                    client
                        .ingest_survey_responses(pb::IngestSurveyResponsesRequest {
                            survey_responses,
                        })
                        .await
                        .map(|_| ())
                }
            };
            match result {
                Ok(()) => {
                    delivered = true;
                    break;
                }
                Err(status) if status.code() == Code::Aborted => errors.aborted += 1,
                Err(status) if status.code() == Code::Unavailable => {
                    errors.unavailable += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(status) => {
                    errors.other += 1;
                    eprintln!("batch {batch} of {kind:?} failed: {status:?}");
                    break;
                }
            }
        }
        if !delivered {
            errors.lost_batches += 1;
        }
    }
}
