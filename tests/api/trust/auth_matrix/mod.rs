//! Every RPC against every kind of credential in mode `jwt`: no credentials,
//! expired, wrong issuer, wrong audience, bad signature, a missing scope,
//! another source (ingest), another team (team-scoped reads), and the right
//! scope. Each cell expects its documented code; the number of cells is
//! asserted so the count in the changelog stays true.

use kpi_service::grpc::pb;
use tonic::{transport::Channel, Code, Status};

use crate::{
    helpers::{spawn_app_with, Backend, TestApp},
    kpi_fixtures::{at_least, month},
    on_both_backends,
    trust::support::{error_info, request, use_jwt, Alg, ScratchDir, TokenIssuer, ALL_SCOPES},
};

mod calls;

use calls::{invoke, Needs, Subject, RPCS};

/// Two teams with an agent each, a policy each, and records of "genesys":
/// the world every cell runs in. Returns (own, other) subjects.
async fn seed(app: &TestApp, issuer: &TokenIssuer) -> (Subject, Subject) {
    let admin = issuer.token("admin", ALL_SCOPES);
    let mut ids = Vec::new();
    for (team, agent) in [("north", "ann"), ("south", "bob")] {
        let subject = Subject {
            source: "genesys",
            team,
            agent,
            policy_version_id: 0,
        };
        for path in [
            "/kpi.v1.DirectoryService/UpsertTeam",
            "/kpi.v1.DirectoryService/UpsertAgent",
            "/kpi.v1.IngestService/IngestInteractions",
        ] {
            invoke(&app.channel, path, &subject, Some(&admin))
                .await
                .unwrap_or_else(|status| panic!("seeding {path}: {status:?}"));
        }
        let created = app
            .policies()
            .create_policy_version(request(
                pb::CreatePolicyVersionRequest {
                    request_id: String::new(),
                    policy: Some(pb::PolicyVersion {
                        team_id: team.into(),
                        effective_from: "2026-10-01".into(),
                        rules: vec![at_least("aht", 0.0)],
                        bonus_threshold: 50.0,
                        ..Default::default()
                    }),
                },
                Some(&admin),
                None,
            ))
            .await
            .unwrap()
            .into_inner();
        ids.push(created.policy.unwrap().policy_version_id);
    }
    (
        Subject {
            source: "genesys",
            team: "north",
            agent: "ann",
            policy_version_id: ids[0],
        },
        Subject {
            source: "zendesk",
            team: "south",
            agent: "bob",
            policy_version_id: ids[1],
        },
    )
}

/// Scopes that make the call with the own subject legitimate.
fn right_scopes(needs: Needs) -> Vec<&'static str> {
    match needs {
        Needs::Ingest => vec!["kpi.ingest:genesys"],
        Needs::Read | Needs::ReadAny => vec!["kpi.read:team:north"],
        Needs::ReadOrganisationWide => vec!["kpi.read"],
        Needs::Scope(scope) => vec![scope],
    }
}

/// Every scope except those that would allow the call.
fn all_but_needed(needs: Needs) -> Vec<&'static str> {
    let excluded: &[&str] = match needs {
        Needs::Ingest => &["kpi.ingest:*"],
        Needs::Read | Needs::ReadAny | Needs::ReadOrganisationWide => &["kpi.read"],
        Needs::Scope(scope) => &[scope],
    };
    ALL_SCOPES
        .iter()
        .copied()
        .filter(|scope| !excluded.contains(scope))
        .collect()
}

#[track_caller]
fn expect_unauthenticated(cell: &str, outcome: Result<(), Status>, reason: &str, token: &str) {
    let status = outcome.expect_err(cell);
    assert_eq!(status.code(), Code::Unauthenticated, "{cell}: {status:?}");
    assert_eq!(error_info(&status).0, reason, "{cell}");
    assert!(
        token.is_empty() || !status.message().contains(token),
        "{cell}: the token is echoed"
    );
}

#[track_caller]
fn expect_denied(cell: &str, outcome: Result<(), Status>, scope: Option<&str>) {
    let status = outcome.expect_err(cell);
    assert_eq!(status.code(), Code::PermissionDenied, "{cell}: {status:?}");
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "SCOPE_MISSING", "{cell}");
    let named = metadata.get("scope").expect("the missing scope is named");
    if let Some(scope) = scope {
        assert_eq!(named, scope, "{cell}");
    }
}

async fn every_rpc_answers_each_credential_with_its_documented_code(backend: Backend) {
    let scratch = ScratchDir::new("matrix");
    let issuer = TokenIssuer::new(&scratch);
    let app = spawn_app_with(backend, |settings| use_jwt(settings, &issuer)).await;
    let (own, other) = seed(&app, &issuer).await;
    let channel = &app.channel;
    let mut cells = 0;

    for (index, &(path, needs)) in RPCS.iter().enumerate() {
        let right = right_scopes(needs);
        let cell = |name: &str| format!("{path} / {name}");

        // No credentials at all.
        let outcome = invoke(channel, path, &own, None).await;
        expect_unauthenticated(&cell("no credentials"), outcome, "CREDENTIALS_MISSING", "");
        cells += 1;

        // Expired well beyond the leeway.
        let token = issuer.token_with(Alg::Es256, "caller", &right, |claims| {
            claims["exp"] = (crate::trust::support::now() - 3600).into();
            claims["nbf"] = (crate::trust::support::now() - 7200).into();
        });
        let outcome = invoke(channel, path, &own, Some(&token)).await;
        expect_unauthenticated(&cell("expired"), outcome, "TOKEN_EXPIRED", &token);
        cells += 1;

        let token = issuer.token_with(Alg::Rs256, "caller", &right, |claims| {
            claims["iss"] = "https://someone-else.example".into();
        });
        let outcome = invoke(channel, path, &own, Some(&token)).await;
        expect_unauthenticated(&cell("wrong issuer"), outcome, "TOKEN_WRONG_ISSUER", &token);
        cells += 1;

        let token = issuer.token_with(Alg::Es256, "caller", &right, |claims| {
            claims["aud"] = "another-service".into();
        });
        let outcome = invoke(channel, path, &own, Some(&token)).await;
        expect_unauthenticated(
            &cell("wrong audience"),
            outcome,
            "TOKEN_WRONG_AUDIENCE",
            &token,
        );
        cells += 1;

        // Signed by a key that is not in the JWK Set, under its key id.
        let forger = TokenIssuer::new(&ScratchDir::new("forger"));
        let token = forger.token("caller", &right);
        let outcome = invoke(channel, path, &own, Some(&token)).await;
        expect_unauthenticated(
            &cell("bad signature"),
            outcome,
            "TOKEN_BAD_SIGNATURE",
            &token,
        );
        cells += 1;

        let token = issuer.token("caller", &all_but_needed(needs));
        let outcome = invoke(channel, path, &own, Some(&token)).await;
        expect_denied(&cell("missing scope"), outcome, None);
        cells += 1;

        match needs {
            Needs::Ingest => {
                let token = issuer.token("genesys-connector", &right);
                let outcome = invoke(channel, path, &other, Some(&token)).await;
                expect_denied(&cell("another source"), outcome, Some("kpi.ingest:zendesk"));
                cells += 1;
            }
            Needs::Read | Needs::ReadOrganisationWide => {
                let token = issuer.token("north-lead", &["kpi.read:team:north"]);
                let outcome = invoke(channel, path, &other, Some(&token)).await;
                expect_denied(&cell("another team"), outcome, None);
                cells += 1;
                // kpi.read reads every team.
                let token = issuer.token("payroll", &["kpi.read"]);
                let outcome = invoke(channel, path, &other, Some(&token)).await;
                assert!(
                    outcome.is_ok(),
                    "{}: {outcome:?}",
                    cell("kpi.read, another team")
                );
                cells += 1;
            }
            Needs::ReadAny | Needs::Scope(_) => {}
        }

        // The right scope, signed alternately with ES256 and RS256.
        let alg = if index % 2 == 0 {
            Alg::Es256
        } else {
            Alg::Rs256
        };
        let token = issuer.sign(alg, &TokenIssuer::claims("caller", &right));
        let outcome = invoke(channel, path, &own, Some(&token)).await;
        assert!(outcome.is_ok(), "{}: {outcome:?}", cell("right scope"));
        cells += 1;
    }

    // Health is open to all, whatever the credential.
    for token in [None, Some("not-a-token")] {
        let reply = tonic_health::pb::health_client::HealthClient::new(channel.clone())
            .check(request(
                tonic_health::pb::HealthCheckRequest::default(),
                token,
                None,
            ))
            .await;
        assert!(reply.is_ok(), "health with {token:?}: {reply:?}");
        cells += 1;
    }

    // 35 RPCs x 7 (no credentials, expired, wrong issuer, wrong audience,
    // bad signature, missing scope, right scope) + 7 other-source cells +
    // 18 x 2 other-team cells (denied to a team reader, allowed to kpi.read)
    // + 2 health cells.
    assert_eq!(cells, 35 * 7 + 7 + 18 * 2 + 2);
}

async fn a_team_reader_may_not_read_an_organisation_wide_list(backend: Backend) {
    let scratch = ScratchDir::new("orgwide");
    let issuer = TokenIssuer::new(&scratch);
    let app = spawn_app_with(backend, |settings| use_jwt(settings, &issuer)).await;
    seed(&app, &issuer).await;
    let token = issuer.token("north-lead", &["kpi.read:team:north"]);
    let status = app
        .scorecards()
        .list_agent_scorecards(request(
            pb::ListAgentScorecardsRequest {
                period: Some(month("2026-11")),
                ..Default::default()
            },
            Some(&token),
            None,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(error_info(&status).1["scope"], "kpi.read");
    // Nor the organisation's trend.
    let trend = app
        .scorecards()
        .get_kpi_trend(request(
            pb::GetKpiTrendRequest {
                subject: Some(pb::get_kpi_trend_request::Subject::Organisation(true)),
                kpi_ids: vec!["aht".into()],
                period: Some(month("2026-11")),
                granularity: pb::TrendGranularity::Hour as i32,
                ..Default::default()
            },
            Some(&token),
            None,
        ))
        .await
        .unwrap_err();
    assert_eq!(trend.code(), Code::PermissionDenied);
    assert_eq!(error_info(&trend).1["scope"], "kpi.read");
    // Its own team's list is fine, and holds only its team.
    let page = app
        .scorecards()
        .list_agent_scorecards(request(
            pb::ListAgentScorecardsRequest {
                team_id: "north".into(),
                period: Some(month("2026-11")),
                ..Default::default()
            },
            Some(&token),
            None,
        ))
        .await
        .unwrap()
        .into_inner();
    let agents: Vec<_> = page
        .scorecards
        .iter()
        .map(|card| card.agent_id.as_str())
        .collect();
    assert_eq!(agents, ["ann"]);
}

async fn the_jwk_set_is_re_read_when_it_changes(backend: Backend) {
    let scratch = ScratchDir::new("rotation");
    let mut issuer = TokenIssuer::new(&scratch);
    let app = spawn_app_with(backend, |settings| use_jwt(settings, &issuer)).await;
    let list = |token: String| {
        let mut client = app.scorecards();
        async move {
            client
                .list_kpis(request(pb::ListKpisRequest {}, Some(&token), None))
                .await
        }
    };
    let old_token = issuer.token("reader", &["kpi.read"]);
    assert!(list(old_token.clone()).await.is_ok());
    issuer.rotate();
    let new_token = issuer.token("reader", &["kpi.read"]);
    // The file is looked at at most once a second.
    let mut accepted = false;
    for _ in 0..40 {
        if list(new_token.clone()).await.is_ok() {
            accepted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(accepted, "a token of the new key was never accepted");
    let status = list(old_token).await.unwrap_err();
    assert_eq!(error_info(&status).0, "TOKEN_BAD_SIGNATURE");
}

/// Lists services by reflection v1 with `token`.
async fn reflect(channel: &Channel, token: Option<&str>) -> Result<(), Status> {
    use tonic_reflection::pb::v1;
    let message = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let mut replies = client
        .server_reflection_info(request(tokio_stream::iter(vec![message]), token, None))
        .await?
        .into_inner();
    use tokio_stream::StreamExt;
    replies.next().await.expect("no reply")?;
    Ok(())
}

async fn reflection_needs_a_credential_unless_opened(backend: Backend) {
    let scratch = ScratchDir::new("reflection");
    let issuer = TokenIssuer::new(&scratch);
    let app = spawn_app_with(backend, |settings| use_jwt(settings, &issuer)).await;
    let status = reflect(&app.channel, None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(error_info(&status).0, "CREDENTIALS_MISSING");
    // Any valid credential will do, even one without scopes.
    let token = issuer.token("developer", &[]);
    assert!(reflect(&app.channel, Some(&token)).await.is_ok());

    let opened = spawn_app_with(backend, |settings| {
        use_jwt(settings, &issuer);
        settings.auth.open_reflection = true;
    })
    .await;
    assert!(reflect(&opened.channel, None).await.is_ok());
}

on_both_backends!(
    every_rpc_answers_each_credential_with_its_documented_code,
    reflection_needs_a_credential_unless_opened,
    a_team_reader_may_not_read_an_organisation_wide_list,
    the_jwk_set_is_re_read_when_it_changes,
);
