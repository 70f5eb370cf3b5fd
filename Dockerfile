# Multi-stage build of kpi-service: a release binary in a small runtime image
# running as a numeric non-root user. No protoc is needed (build.rs uses
# protox). Build: docker build -t kpi-service .
#
# No HEALTHCHECK: orchestrators probe gRPC health themselves (see the README,
# "Running in Kubernetes": readiness = grpc.health.v1, liveness = TCP).

FROM rust:1-slim-bookworm AS build
WORKDIR /src

# 1. Dependencies only, in their own layer: it is rebuilt when Cargo.toml,
#    Cargo.lock, build.rs or proto/ change, not on every source edit. Stub
#    sources stand in for the real ones.
COPY Cargo.toml Cargo.lock build.rs ./
COPY migrations/Cargo.toml ./migrations/Cargo.toml
COPY proto ./proto
RUN mkdir -p src migrations/src tests/bench \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs migrations/src/lib.rs \
    && echo 'fn main() {}' > tests/bench/throughput.rs \
    && cargo build --release --locked --bin kpi-service \
    && rm -rf src migrations/src

# 2. The service itself.
COPY migrations ./migrations
COPY src ./src
# Make sure cargo rebuilds the crates whose stubs were compiled above.
RUN touch src/main.rs src/lib.rs migrations/src/lib.rs \
    && cargo build --release --locked --bin kpi-service

FROM debian:bookworm-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="kpi-service" \
      org.opencontainers.image.description="gRPC service that stores customer-service records and answers KPI scorecards and breach queries" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="UNLICENSED"
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 kpi \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/kpi-service --create-home kpi
COPY --from=build /src/target/release/kpi-service /usr/local/bin/kpi-service
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /var/lib/kpi-service
# Listen on every interface inside the container; keep the SQLite default in
# the working directory (mount a volume there, or set KPI__DATABASE__URL to a
# PostgreSQL URL). Prometheus metrics on 9090 (set
# KPI__TELEMETRY__METRICS_ADDR= to switch them off).
ENV KPI__SERVER__LISTEN_ADDR=0.0.0.0:50051 \
    KPI__DATABASE__URL=sqlite:///var/lib/kpi-service/kpi-service.db?mode=rwc \
    KPI__TELEMETRY__LOG_FORMAT=json \
    KPI__TELEMETRY__METRICS_ADDR=0.0.0.0:9090
EXPOSE 50051 9090
VOLUME ["/var/lib/kpi-service"]
ENTRYPOINT ["/usr/local/bin/kpi-service"]
CMD ["serve"]
