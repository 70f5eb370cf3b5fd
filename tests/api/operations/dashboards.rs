//! The shipped Grafana dashboard and the README's PromQL stay true to what
//! `/metrics` exports: every metric they name exists (before any call, as
//! every series starts at zero), with every label they group or filter by.

use prometheus_parse::Scrape;

use super::support::{scrape, spawn_observed_app};
use crate::{
    fixtures::{interaction, interactions},
    helpers::Backend,
    on_both_backends,
};

on_both_backends!(the_dashboard_and_the_readme_query_only_exported_metrics_and_labels);

const DASHBOARD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/grafana/kpi-service.json"
);
const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");

/// Every `expr` of the dashboard's panels and variables.
fn dashboard_queries() -> Vec<String> {
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DASHBOARD).unwrap()).unwrap();
    let mut queries: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().unwrap().iter())
        .map(|target| target["expr"].as_str().unwrap().to_owned())
        .collect();
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        if let Some(query) = variable["query"]["query"].as_str() {
            queries.push(query.to_owned());
        }
    }
    queries
}

/// The lines of the README's ```promql blocks.
fn readme_queries() -> Vec<String> {
    let readme = std::fs::read_to_string(README).unwrap();
    let mut queries = Vec::new();
    let mut inside = false;
    for line in readme.lines() {
        match (inside, line.trim()) {
            (false, "```promql") => inside = true,
            (true, "```") => inside = false,
            (true, query) if !query.is_empty() && !query.starts_with('#') => {
                queries.push(query.to_owned())
            }
            _ => {}
        }
    }
    queries
}

/// Names in `query` that look like the service's metrics.
fn metric_names(query: &str) -> Vec<String> {
    query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| {
            ["grpc_server_", "kpi_", "process_"]
                .iter()
                .any(|prefix| word.starts_with(prefix))
        })
        .map(str::to_owned)
        .collect()
}

/// The labels `query` groups by or matches on.
fn label_names(query: &str) -> Vec<String> {
    let mut labels = Vec::new();
    for (open, close) in [("by (", ')'), ("{", '}')] {
        for part in query.split(open).skip(1) {
            let inside = part.split(close).next().unwrap_or_default();
            for item in inside.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    labels.push(name);
                }
            }
        }
    }
    labels
}

fn exported(scrape: &Scrape, name: &str) -> bool {
    scrape.samples.iter().any(|sample| sample.metric == name)
        || name.strip_suffix("_bucket").is_some_and(|histogram| {
            scrape
                .samples
                .iter()
                .any(|sample| sample.metric == histogram)
        })
}

fn labelled(scrape: &Scrape, label: &str) -> bool {
    matches!(label, "le" | "job" | "instance")
        || scrape
            .samples
            .iter()
            .any(|sample| sample.labels.get(label).is_some())
}

async fn the_dashboard_and_the_readme_query_only_exported_metrics_and_labels(backend: Backend) {
    let app = spawn_observed_app(backend, |_| {}).await;
    // The ingest metrics are labelled by record kind: one batch makes them.
    app.ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .unwrap();
    let metrics = scrape(&app).await;
    let readme = readme_queries();
    assert!(readme.len() >= 5, "the README's PromQL blocks: {readme:?}");
    let mut checked = 0;
    for query in dashboard_queries().iter().chain(&readme) {
        let names = metric_names(query);
        assert!(!names.is_empty(), "no metric in {query}");
        for name in names {
            assert!(
                exported(&metrics, &name),
                "{name} is not exported ({query})"
            );
            checked += 1;
        }
        for label in label_names(query) {
            assert!(
                labelled(&metrics, &label),
                "no series has {label} ({query})"
            );
        }
    }
    assert!(checked >= 20, "only {checked} metric names checked");
}
