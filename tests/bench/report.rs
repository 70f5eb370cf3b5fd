//! The printed figures: one set of Markdown tables per backend, ready to
//! paste into the README.

use std::time::Duration;

use crate::{
    baseline::Baseline,
    hourly::Slots,
    ingest::{Timed, WriteErrors},
    intraday::{self, IntradayFigures},
    pace::PaceFigures,
    queries::{ProbeLatencies, QueryFigures, CONCURRENT_CALLS},
    recompute::RecomputeFigures,
    server::{Backend, Memory},
    slot_upserts::UpsertFigures,
};

/// What one checkpoint (the end of one pass) measured.
#[derive(Debug, Clone, Default)]
pub struct Checkpoint {
    /// Interactions stored at this point.
    pub interactions: u64,
    pub interactions_ingest: Timed,
    pub surveys_ingest: Timed,
    /// CPU seconds the service used while this pass was being ingested.
    pub ingest_cpu_seconds: f64,
    /// The one-agent scorecard and its SQL while this pass was being
    /// ingested.
    pub loaded: ProbeLatencies,
    pub queries: QueryFigures,
    /// Peak since start, after the pass and its queries.
    pub memory_after_queries: Memory,
    /// Peak of a freshly restarted service during the concurrent
    /// organisation-wide calls.
    pub memory_concurrent: Memory,
    pub peak_was_reset: bool,
    pub concurrent_elapsed: Duration,
    /// Intraday trends against their hand-written SQL, once per round.
    pub intraday: Vec<IntradayFigures>,
}

/// Everything one backend measured.
#[derive(Debug, Clone, Default)]
pub struct BackendReport {
    pub backend: Option<Backend>,
    pub agents: u64,
    pub teams: u64,
    pub writers: usize,
    pub interactions_baseline: Baseline,
    pub surveys_baseline: Baseline,
    pub errors: WriteErrors,
    /// Deadlocks PostgreSQL detected in the service's database.
    pub deadlocks: Option<i64>,
    /// Tables the autovacuum stand-in vacuumed or analyzed (the server's
    /// autovacuum is off).
    pub stand_in_analyzes: Option<u64>,
    /// Contacts and CSAT responses summed over the rollups.
    pub rollup_totals: (i64, i64),
    pub surveys_sent: u64,
    pub checkpoints: Vec<Checkpoint>,
    /// What recomputing each batch's keys would read (last pass).
    pub recompute: RecomputeFigures,
    /// `KPI_BENCH_MODE=intraday`: only the ingest and the intraday trends
    /// ran (no baselines, probes, other queries or memory figures).
    pub intraday_only: bool,
    /// Reads of a period in progress (after the last pass), once per
    /// round, when measured.
    pub pace: Vec<PaceFigures>,
    /// The slot rollups the benchmark built (table, time to fill, rows).
    pub slot_tables: Vec<(Slots, Duration, i64)>,
    /// What upserting slot rollups would add per batch, once per round.
    pub upserts: Vec<UpsertFigures>,
    /// Graded plans vs a binary policy (after the last pass), if measured.
    pub graded: Option<crate::graded::GradedFigures>,
}

fn ms(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1_000.0;
    if millis < 10.0 {
        format!("{millis:.2} ms")
    } else if millis < 10_000.0 {
        format!("{millis:.0} ms")
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

fn ratio(service: Duration, reference: Duration) -> String {
    format!("{:.1}×", service.as_secs_f64() / reference.as_secs_f64())
}

fn rate(timed: &Timed) -> String {
    format!(
        "{:.0} rows/s ({} rows, {:.1} s)",
        timed.rows_per_second(),
        timed.rows,
        timed.elapsed.as_secs_f64()
    )
}

fn millions(count: u64) -> String {
    if count >= 1_000_000 {
        format!("{:.1}M", count as f64 / 1e6)
    } else {
        format!("{}k", count / 1_000)
    }
}

impl BackendReport {
    /// What the run lost or miscounted: batches that never got through, and
    /// rollups whose contacts or CSAT responses differ from what was sent.
    /// Unlike the timings, these are failures: the numbers are wrong.
    pub fn integrity_failures(&self) -> Vec<String> {
        let backend = self.backend.unwrap_or(Backend::Sqlite).name();
        let interactions_sent: u64 = self
            .checkpoints
            .iter()
            .map(|checkpoint| checkpoint.interactions_ingest.rows)
            .sum();
        let mut failures = Vec::new();
        if self.errors.lost_batches > 0 {
            failures.push(format!(
                "{backend}: {} batches lost ({} failed with neither ABORTED nor UNAVAILABLE)",
                self.errors.lost_batches, self.errors.other
            ));
        }
        let (contacts, csat_responses) = self.rollup_totals;
        if u64::try_from(contacts).ok() != Some(interactions_sent) {
            failures.push(format!(
                "{backend}: the rollups count {contacts} contacts, {interactions_sent} interactions were sent"
            ));
        }
        if u64::try_from(csat_responses).ok() != Some(self.surveys_sent) {
            failures.push(format!(
                "{backend}: the rollups count {csat_responses} CSAT responses, {} were sent",
                self.surveys_sent
            ));
        }
        let mismatches: usize = self
            .checkpoints
            .iter()
            .flat_map(|checkpoint| &checkpoint.intraday)
            .map(|figures| figures.mismatches)
            .sum();
        if mismatches > 0 {
            failures.push(format!(
                "{backend}: {mismatches} intraday trends differ from the hand-written SQL's buckets"
            ));
        }
        failures
    }

    fn print_intraday(&self) {
        let rows: Vec<(String, IntradayFigures)> = self
            .checkpoints
            .iter()
            .flat_map(|checkpoint| {
                checkpoint
                    .intraday
                    .iter()
                    .enumerate()
                    .map(|(round, figures)| {
                        (
                            format!("{}, round {}", millions(checkpoint.interactions), round + 1),
                            *figures,
                        )
                    })
            })
            .collect();
        intraday::print_table(&rows);
        crate::slot_upserts::print(
            &self.slot_tables,
            &self.checkpoints,
            self.writers,
            &self.upserts,
        );
    }

    pub fn print(&self) {
        let backend = self.backend.unwrap_or(Backend::Sqlite);
        let last = self.checkpoints.last().cloned().unwrap_or_default();
        println!(
            "\n### {} — {} agents in {} teams, {} interactions + {} CSAT responses, {} writers\n",
            backend.name(),
            self.agents,
            self.teams,
            last.interactions,
            self.surveys_sent,
            self.writers
        );
        if self.intraday_only {
            self.print_intraday();
            self.print_pace();
            return;
        }
        self.print_ingest(backend);
        self.print_queries();
        self.print_intraday();
        self.print_pace();
        self.print_memory();
        if let Some(graded) = &self.graded {
            crate::graded::print(graded);
        }
    }

    fn print_pace(&self) {
        for (round, pace) in self.pace.iter().enumerate() {
            println!("Round {}:\n", round + 1);
            crate::pace::print(pace);
        }
    }

    fn print_ingest(&self, backend: Backend) {
        let mut interactions = Timed::default();
        let mut surveys = Timed::default();
        for checkpoint in &self.checkpoints {
            interactions.add(checkpoint.interactions_ingest);
            surveys.add(checkpoint.surveys_ingest);
        }
        let mut all_ingest = interactions;
        all_ingest.add(surveys);
        let bulk_name = match backend {
            Backend::Postgres => "COPY, one stream of every row",
            Backend::Sqlite => "multi-row INSERT, 1,000 rows per transaction",
        };
        println!("| ingest | interactions | CSAT responses | ratio (all rows) |");
        println!("|---|---|---|---|");
        let mut all_bulk = self.interactions_baseline.bulk;
        all_bulk.add(self.surveys_baseline.bulk);
        println!(
            "| baseline: {bulk_name} | {} | {} | |",
            rate(&self.interactions_baseline.bulk),
            rate(&self.surveys_baseline.bulk)
        );
        if let (Some(i), Some(s)) = (
            self.interactions_baseline.batched,
            self.surveys_baseline.batched,
        ) {
            println!(
                "| baseline: COPY per batch of 1,000, {} writers | {} | {} | |",
                self.writers,
                rate(&i),
                rate(&s)
            );
        }
        println!(
            "| service: Ingest* via gRPC, batches of 1,000, {} writers | {} | {} | **{:.2}×** {bulk_name}{} |",
            self.writers,
            rate(&interactions),
            rate(&surveys),
            all_ingest.rows_per_second() / all_bulk.rows_per_second(),
            self.batched_ratio(&all_ingest)
        );
        println!(
            "\nErrors: {} ABORTED, {} UNAVAILABLE, {} other, {} batches lost; deadlocks detected by \
             PostgreSQL: {}. Rollups count {} contacts and {} CSAT responses (sent: {} and {}).\n",
            self.errors.aborted,
            self.errors.unavailable,
            self.errors.other,
            self.errors.lost_batches,
            self.deadlocks
                .map_or_else(|| "n/a".to_owned(), |count| count.to_string()),
            self.rollup_totals.0,
            self.rollup_totals.1,
            interactions.rows,
            surveys.rows
        );
        let cpu: f64 = self.checkpoints.iter().map(|c| c.ingest_cpu_seconds).sum();
        let wall = all_ingest.elapsed.as_secs_f64();
        println!(
            "The service process used {cpu:.0} CPU seconds during the {wall:.0} s of ingest \
             ({:.0} ms per 1,000 rows, {:.0}% of one core).\n",
            cpu * 1_000.0 / (all_ingest.rows as f64 / 1_000.0),
            100.0 * cpu / wall
        );
        // One writer's time per interaction batch, from the last pass.
        let last = self.checkpoints.last().cloned().unwrap_or_default();
        let batches = (last.interactions_ingest.rows as f64 / 1_000.0).max(1.0);
        let per_batch =
            last.interactions_ingest.elapsed.as_secs_f64() * self.writers as f64 / batches;
        println!(
            "Deltas or recomputation: an interaction batch touches {:.0} rollup keys. \
             Recomputing them from raw rows would read {:.0} stored interactions and their \
             survey responses per batch, which took {} (median of 20 batches), on top of the \
             same upsert the deltas do; a whole batch took {:.0} ms per writer through the \
             service.\n",
            self.recompute.keys_per_batch,
            self.recompute.rows_per_batch,
            ms(self.recompute.median),
            per_batch * 1_000.0
        );
        if let Some(count) = self.stand_in_analyzes {
            println!(
                "The server runs with autovacuum off: the benchmark stood in for it (VACUUM and \
                 ANALYZE at the same naptime, thresholds and scale factors, plus one round before \
                 each set of queries) and ran {count} table passes.\n"
            );
        }
    }

    fn batched_ratio(&self, all_ingest: &Timed) -> String {
        match (
            self.interactions_baseline.batched,
            self.surveys_baseline.batched,
        ) {
            (Some(mut batched), Some(surveys)) => {
                batched.add(surveys);
                format!(
                    "; {:.2}× COPY per batch",
                    all_ingest.rows_per_second() / batched.rows_per_second()
                )
            }
            _ => String::new(),
        }
    }

    fn print_queries(&self) {
        let header: Vec<String> = self
            .checkpoints
            .iter()
            .map(|checkpoint| format!("at {}", millions(checkpoint.interactions)))
            .collect();
        println!(
            "| November query | {} | target |",
            header
                .iter()
                .map(|at| format!("service {at} | reference SQL {at} | ratio {at}"))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        println!("|---|{}---|", "---|---|---|".repeat(self.checkpoints.len()));
        type Row = (
            &'static str,
            fn(&Checkpoint) -> (String, String, String),
            &'static str,
        );
        let rows: [Row; 8] = [
            (
                "one agent's scorecard, p50 (1,000 sequential calls) vs its rollup SQL",
                |c| {
                    let u = &c.queries.unloaded;
                    (ms(u.service.p50), ms(u.sql.p50), ratio(u.service.p50, u.sql.p50))
                },
                "",
            ),
            (
                "one agent's scorecard, p99 (1,000 sequential calls) vs its rollup SQL",
                |c| {
                    let u = &c.queries.unloaded;
                    (ms(u.service.p99), ms(u.sql.p99), ratio(u.service.p99, u.sql.p99))
                },
                "≤ 2 ms",
            ),
            (
                "one agent's scorecard, p99 while that pass ingested vs its rollup SQL (alternating)",
                |c| {
                    let l = &c.loaded;
                    (
                        format!("{} ({} calls)", ms(l.service.p99), l.service.calls),
                        format!("{} ({} runs)", ms(l.sql.p99), l.sql.calls),
                        ratio(l.service.p99, l.sql.p99),
                    )
                },
                "≤ 5 ms",
            ),
            (
                "all agents' scorecards, all pages (page_size 500) vs rollup GROUP BY agent",
                |c| {
                    let q = &c.queries;
                    (
                        format!("{} ({} agents)", ms(q.all_scorecards), q.scorecards_listed),
                        ms(q.rollup_by_agent),
                        ratio(q.all_scorecards, q.rollup_by_agent),
                    )
                },
                "≤ 1.5×",
            ),
            (
                "breaches, all pages vs rollup GROUP BY agent",
                |c| {
                    let q = &c.queries;
                    (
                        format!("{} ({} breaches)", ms(q.all_breaches), q.breaches_listed),
                        ms(q.rollup_by_agent),
                        ratio(q.all_breaches, q.rollup_by_agent),
                    )
                },
                "≤ 2×",
            ),
            (
                "one team's scorecard vs rollup GROUP BY agent of the team",
                |c| {
                    let q = &c.queries;
                    (
                        ms(q.team_scorecard),
                        ms(q.rollup_team),
                        ratio(q.team_scorecard, q.rollup_team),
                    )
                },
                "",
            ),
            (
                "one team's daily trend (24 KPIs) vs rollup GROUP BY day of the team",
                |c| {
                    let q = &c.queries;
                    (
                        ms(q.team_trend),
                        ms(q.rollup_team_by_day),
                        ratio(q.team_trend, q.rollup_team_by_day),
                    )
                },
                "",
            ),
            (
                "reference: raw GROUP BY agent over November's interactions",
                |c| (String::new(), ms(c.queries.raw_group_by), String::new()),
                "",
            ),
        ];
        for (name, cells, target) in rows {
            let columns: Vec<String> = self
                .checkpoints
                .iter()
                .map(|checkpoint| {
                    let (service, reference, ratio) = cells(checkpoint);
                    format!("{service} | {reference} | {ratio}")
                })
                .collect();
            println!("| {name} | {} | {target} |", columns.join(" | "));
        }
        println!();
    }

    fn print_memory(&self) {
        println!("| service memory | {} | target |", self.checkpoint_header());
        println!("|---|{}---|", "---|".repeat(self.checkpoints.len()));
        let peak: Vec<String> = self
            .checkpoints
            .iter()
            .map(|c| format!("{:.0} MB", c.memory_after_queries.peak_mb))
            .collect();
        println!(
            "| VmHWM since start, after the ingest and the queries | {} | |",
            peak.join(" | ")
        );
        let concurrent: Vec<String> = self
            .checkpoints
            .iter()
            .map(|c| {
                format!(
                    "{:.0} MB{} (VmRSS after {:.0} MB; {} calls took {})",
                    c.memory_concurrent.peak_mb,
                    if c.peak_was_reset {
                        ""
                    } else {
                        " (peak since start: reset refused)"
                    },
                    c.memory_concurrent.rss_mb,
                    CONCURRENT_CALLS,
                    ms(c.concurrent_elapsed)
                )
            })
            .collect();
        println!(
            "| VmHWM of a restarted service during {CONCURRENT_CALLS} concurrent organisation-wide calls (all pages) | {} | ≤ 150 MB |",
            concurrent.join(" | ")
        );
    }

    fn checkpoint_header(&self) -> String {
        self.checkpoints
            .iter()
            .map(|c| format!("at {}", millions(c.interactions)))
            .collect::<Vec<_>>()
            .join(" | ")
    }
}
