//! The client kit stays true to the contract: `service_config.json` retries
//! every idempotent RPC and never a write that is not idempotent.

use std::collections::BTreeSet;

use kpi_service::grpc::pb;
use prost::Message;

/// RPCs that must not be retried automatically: each call stores a new
/// version unless it carries the same optional `request_id`, which a
/// generic retry policy cannot know was set.
const NOT_IDEMPOTENT: &[&str] = &[
    "kpi.v1.PolicyService/CreatePolicyVersion",
    "kpi.v1.PolicyService/CreateAgentGoal",
    "kpi.v1.PeriodService/RestatePeriod",
];

/// Every `package.Service/Method` of the kpi.v1 contract.
fn contract_methods() -> BTreeSet<(String, String)> {
    let set = prost_types::FileDescriptorSet::decode(pb::FILE_DESCRIPTOR_SET).unwrap();
    set.file
        .iter()
        .filter(|file| file.package() == "kpi.v1")
        .flat_map(|file| {
            file.service.iter().flat_map(move |service| {
                service.method.iter().map(move |method| {
                    (
                        format!("{}.{}", file.package(), service.name()),
                        method.name().to_owned(),
                    )
                })
            })
        })
        .collect()
}

#[test]
fn the_service_config_retries_every_idempotent_rpc_and_no_create() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/service_config.json"))
        .unwrap();
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    let method_configs = config["methodConfig"].as_array().unwrap();

    // (service, method or "" for the whole service) -> retry codes.
    let mut retried = Vec::new();
    let mut listed_without_retry = Vec::new();
    for method_config in method_configs {
        let codes: Vec<&str> = method_config["retryPolicy"]["retryableStatusCodes"]
            .as_array()
            .map(|codes| codes.iter().filter_map(|code| code.as_str()).collect())
            .unwrap_or_default();
        for name in method_config["name"].as_array().unwrap() {
            let service = name["service"].as_str().unwrap().to_owned();
            let method = name["method"].as_str().unwrap_or_default().to_owned();
            if codes.is_empty() {
                listed_without_retry.push((service, method));
            } else {
                assert!(
                    codes.contains(&"UNAVAILABLE") && codes.contains(&"RESOURCE_EXHAUSTED"),
                    "{service}/{method} must retry UNAVAILABLE and RESOURCE_EXHAUSTED"
                );
                retried.push((service, method));
            }
        }
    }
    let covers = |names: &[(String, String)], service: &str, method: &str| {
        names
            .iter()
            .any(|(s, m)| s == service && (m.is_empty() || m == method))
    };

    for (service, method) in contract_methods() {
        let full = format!("{service}/{method}");
        if NOT_IDEMPOTENT.contains(&full.as_str()) {
            assert!(
                !covers(&retried, &service, &method),
                "{full} is not idempotent and must not be retried"
            );
            assert!(
                covers(&listed_without_retry, &service, &method),
                "{full} should be listed without a retry policy"
            );
        } else {
            assert!(
                covers(&retried, &service, &method),
                "{full} is missing from service_config.json: add it to the retried \
                 methods if it is idempotent, else to NOT_IDEMPOTENT here and to the \
                 config without a retry policy"
            );
        }
    }
    let ingest_methods = contract_methods()
        .into_iter()
        .filter(|(service, _)| service == "kpi.v1.IngestService")
        .count();
    assert_eq!(ingest_methods, 7, "every ingest RPC is covered above");
}

/// The README shows the Python, Node and TypeScript examples that CI runs
/// (tests/python/run.sh, tests/node/run.sh) verbatim, so they cannot rot.
#[test]
fn the_readme_shows_the_client_examples_that_ci_runs_verbatim() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    for (language, file) in [
        ("python", "tests/python/readme_example.py"),
        ("js", "tests/node/readme_example.js"),
        ("ts", "tests/node/readme_example.ts"),
        ("python", "tests/python/changes_example.py"),
        ("js", "tests/node/changes_example.js"),
    ] {
        let example = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        assert!(
            readme.contains(&format!("```{language}\n{example}```")),
            "the README's {language} block is not {file} verbatim"
        );
    }
}
