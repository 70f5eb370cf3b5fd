# Multi-stage build of kpi-service: a release binary in a small runtime image
# running as a non-root user. No protoc is needed (build.rs uses protox).
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY migrations ./migrations
COPY proto ./proto
COPY src ./src
RUN cargo build --release --locked --bin kpi-service

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/kpi-service --create-home kpi
COPY --from=build /src/target/release/kpi-service /usr/local/bin/kpi-service
USER kpi
WORKDIR /var/lib/kpi-service
# Listen on every interface inside the container; keep the SQLite default in
# the working directory (mount a volume there, or set KPI__DATABASE__URL to a
# PostgreSQL URL).
ENV KPI__SERVER__LISTEN_ADDR=0.0.0.0:50051 \
    KPI__DATABASE__URL=sqlite:///var/lib/kpi-service/kpi-service.db?mode=rwc \
    KPI__TELEMETRY__LOG_FORMAT=json
EXPOSE 50051
VOLUME ["/var/lib/kpi-service"]
ENTRYPOINT ["/usr/local/bin/kpi-service"]
CMD ["serve"]
