//! Loading and validating settings.

use super::*;

#[test]
fn defaults_then_file_then_environment() {
    let file = std::env::temp_dir().join(format!("kpi-settings-{}.toml", std::process::id()));
    std::fs::write(
        &file,
        "[server]\nlisten_addr = \"0.0.0.0:6000\"\n[ingest]\nmax_batch_size = 250\n\
         [reporting]\ntime_zone = \"Europe/Berlin\"\n\
         [auth]\nallow_unauthenticated = true\n",
    )
    .unwrap();
    // The only test in this binary that touches KPI__ variables.
    std::env::set_var("KPI__INGEST__MAX_BATCH_SIZE", "500");
    let settings = Settings::load(Some(&file));
    std::env::remove_var("KPI__INGEST__MAX_BATCH_SIZE");
    let _ = std::fs::remove_file(&file);
    let settings = settings.unwrap();

    assert_eq!(
        settings.server.listen_addr, "0.0.0.0:6000",
        "the file overrides a default"
    );
    assert_eq!(
        settings.ingest.max_batch_size, 500,
        "the environment overrides the file"
    );
    assert_eq!(settings.reporting.time_zone(), chrono_tz::Europe::Berlin);
    assert_eq!(
        settings.database.url, "sqlite://kpi-service.db?mode=rwc",
        "defaults fill the rest"
    );
    assert!(settings.database.migrate_on_start);
}

#[test]
fn unknown_keys_are_refused_with_their_name() {
    let typo_in_environment = config::Map::from([(
        "KPI__SERVER__LISTEN_ADRR".to_owned(),
        "0.0.0.0:6000".to_owned(),
    )]);
    let error = Settings::load_with_environment(None, Some(typo_in_environment))
        .unwrap_err()
        .to_string();
    assert!(error.contains("listen_adrr"), "{error}");
    assert!(error.contains("server"), "{error}");

    let file = std::env::temp_dir().join(format!("kpi-typo-{}.toml", std::process::id()));
    std::fs::write(&file, "[databse]\nurl = \"postgres://db/kpi\"\n").unwrap();
    let result = Settings::load_with_environment(Some(&file), Some(config::Map::new()));
    let _ = std::fs::remove_file(&file);
    let error = result.unwrap_err().to_string();
    assert!(error.contains("databse"), "{error}");

    let typo_in_a_nested_section = config::Map::from([(
        "KPI__AUTH__JWT__ISSUR".to_owned(),
        "https://login.example.com/".to_owned(),
    )]);
    let error = Settings::load_with_environment(None, Some(typo_in_a_nested_section))
        .unwrap_err()
        .to_string();
    assert!(error.contains("issur"), "{error}");

    assert!(
        Settings::load_with_environment(None, Some(config::Map::new())).is_ok(),
        "the defaults alone are valid"
    );
}

#[test]
fn metrics_are_off_by_default_and_need_a_socket_address() {
    let mut settings = Settings::defaults().unwrap();
    assert!(settings.telemetry.metrics_addr().is_none());
    settings.telemetry.metrics_addr = "0.0.0.0:9090".into();
    assert!(settings.validate().is_ok());
    settings.telemetry.metrics_addr = "metrics".into();
    let error = settings.validate().unwrap_err().to_string();
    assert!(error.contains("telemetry.metrics_addr"), "{error}");
}

#[test]
fn invalid_settings_name_the_setting() {
    let mut settings = Settings::defaults().unwrap();
    settings.reporting.time_zone = "Mars/Olympus_Mons".into();
    let error = settings.validate().unwrap_err().to_string();
    assert!(error.contains("reporting.time_zone"), "{error}");

    let mut settings = Settings::defaults().unwrap();
    settings.database.url = "mysql://root@localhost/kpi".into();
    assert!(settings
        .validate()
        .unwrap_err()
        .to_string()
        .contains("database.url"));

    let mut settings = Settings::defaults().unwrap();
    settings.ingest.max_batch_size = 0;
    assert!(settings.validate().is_err());
}

#[test]
fn mode_none_stays_on_loopback_unless_allowed() {
    let mut settings = Settings::defaults().unwrap();
    assert_eq!(settings.auth.mode, AuthMode::None);
    assert!(settings.validate().is_ok(), "the default is loopback");
    settings.server.listen_addr = "0.0.0.0:50051".into();
    let error = settings.validate().unwrap_err().to_string();
    assert!(error.contains("auth.mode"), "{error}");
    settings.auth.allow_unauthenticated = true;
    assert!(settings.validate().is_ok());
}

#[test]
fn jwt_needs_keys_issuer_and_audience() {
    let mut settings = Settings::defaults().unwrap();
    settings.auth.mode = AuthMode::Jwt;
    let error = settings.validate().unwrap_err().to_string();
    assert!(error.contains("auth.jwt.jwks_file"), "{error}");
    settings.auth.jwt.jwks_file = Some("keys.json".into());
    settings.auth.jwt.issuer = Some("https://issuer.example".into());
    let error = settings.validate().unwrap_err().to_string();
    assert!(error.contains("auth.jwt.audience"), "{error}");
    settings.auth.jwt.audience = Some("kpi-service".into());
    assert!(settings.validate().is_ok());
}

#[test]
fn cors_origins_are_a_comma_separated_list_and_other_values_keep_their_commas() {
    let environment = config::Map::from([
        ("KPI__SERVER__GRPC_WEB".to_owned(), "true".to_owned()),
        (
            "KPI__SERVER__CORS_ALLOWED_ORIGINS".to_owned(),
            "https://crm.example.com,http://localhost:5173".to_owned(),
        ),
        (
            "KPI__TELEMETRY__LOG_FILTER".to_owned(),
            "info,kpi_service=debug".to_owned(),
        ),
    ]);
    let settings = Settings::load_with_environment(None, Some(environment)).unwrap();
    assert_eq!(
        settings.server.cors_allowed_origins,
        ["https://crm.example.com", "http://localhost:5173"]
    );
    assert_eq!(settings.telemetry.log_filter, "info,kpi_service=debug");

    let mut settings = Settings::defaults().unwrap();
    settings.server.cors_allowed_origins = vec!["https://crm.example.com/app".into()];
    settings.server.grpc_web = true;
    let error = settings.validate().unwrap_err().to_string();
    assert!(error.contains("server.cors_allowed_origins"), "{error}");
    settings.server.cors_allowed_origins = vec!["https://crm.example.com".into()];
    settings.server.grpc_web = false;
    assert!(settings.validate().is_err(), "CORS without gRPC-Web");
}

#[test]
fn the_otlp_endpoint_is_an_http_address_or_empty() {
    let mut settings = Settings::defaults().unwrap();
    assert!(settings.telemetry.otlp_endpoint().is_none());
    settings.telemetry.otlp_endpoint = "http://otel-collector:4317".into();
    assert!(settings.validate().is_ok());
    settings.telemetry.otlp_endpoint = "otel-collector:4317".into();
    let error = settings.validate().unwrap_err().to_string();
    assert!(error.contains("telemetry.otlp_endpoint"), "{error}");
}

#[test]
fn read_replicas_are_a_comma_separated_list_of_postgres_standbys() {
    let environment = config::Map::from([
        (
            "KPI__DATABASE__URL".to_owned(),
            "postgres://postgres@primary:5432/kpi".to_owned(),
        ),
        (
            "KPI__DATABASE__READ_REPLICA_URLS".to_owned(),
            "postgres://postgres@standby-a:5432/kpi,postgres://postgres@standby-b:5432/kpi"
                .to_owned(),
        ),
        (
            "KPI__DATABASE__MAX_REPLICA_LAG_MS".to_owned(),
            "500".to_owned(),
        ),
    ]);
    let settings = Settings::load_with_environment(None, Some(environment)).unwrap();
    assert_eq!(
        settings.database.read_replica_urls,
        [
            "postgres://postgres@standby-a:5432/kpi",
            "postgres://postgres@standby-b:5432/kpi"
        ]
    );
    assert_eq!(settings.database.max_replica_lag_ms, 500);

    let mut settings = Settings::defaults().unwrap();
    assert!(settings.database.read_replica_urls.is_empty());
    settings.database.read_replica_urls = vec!["postgres://postgres@standby:5432/kpi".into()];
    let error = settings.validate().unwrap_err().to_string();
    assert!(
        error.contains("database.read_replica_urls"),
        "replicas of SQLite: {error}"
    );
    settings.database.url = "postgres://postgres@primary:5432/kpi".into();
    assert!(settings.validate().is_ok());
    settings.database.max_replica_lag_ms = 0;
    let error = settings.validate().unwrap_err().to_string();
    assert!(error.contains("database.max_replica_lag_ms"), "{error}");
}
