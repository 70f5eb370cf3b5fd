# syntax=docker.io/docker/dockerfile:1
# Multi-stage build of kpi-service: a stripped release binary in a small
# runtime image running as a numeric non-root user. No protoc is needed
# (build.rs uses protox). Needs BuildKit (docker buildx, or podman/buildah,
# which read the cache mounts below):
#   docker build -t kpi-service .
#
# Base images are named in full (registry/namespace/name), so that podman
# and buildah, which have no default registry, find them too.
#
# Probes: Kubernetes probes the operations listener over plain HTTP
# (`/healthz`, `/readyz` on 9090; see the README, "Running in Kubernetes"),
# whatever TLS and authentication the gRPC port has. For plain docker or
# podman, the image's HEALTHCHECK runs the binary's own `probe` command
# against the same `/readyz`.
#
# The volume: the service runs as uid/gid 10001 and writes its SQLite file
# to /var/lib/kpi-service. A volume that Docker creates from the image keeps
# the image's ownership; a bind mount or a Kubernetes volume owned by root
# does not, and SQLite then fails with "unable to open database file".
# Give it to 10001 (`chown 10001:10001 DIR`), or in Kubernetes set
# `securityContext.fsGroup: 10001` on the pod.

FROM docker.io/library/rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY migrations ./migrations
COPY proto ./proto
COPY src ./src
# The bench target named in Cargo.toml is not built, but must exist.
RUN mkdir -p tests/bench benches \
    && echo 'fn main() {}' > tests/bench/throughput.rs \
    && echo 'fn main() {}' > benches/overload.rs
# Cargo's registry and the target directory live in BuildKit caches, so a
# source edit recompiles only what changed; the binary is copied out of the
# cache (a cache mount is not part of the image). Stripped: 26 MB instead
# of 33 MB, and symbols are of no use in the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin kpi-service \
        --config 'profile.release.strip = "symbols"' \
    && cp target/release/kpi-service /usr/local/bin/kpi-service

FROM docker.io/library/debian:bookworm-slim AS runtime
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
COPY --from=build /usr/local/bin/kpi-service /usr/local/bin/kpi-service
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /var/lib/kpi-service
# Listen on every interface inside the container; keep the SQLite default in
# the working directory (mount a volume there, or set KPI__DATABASE__URL to a
# PostgreSQL URL). Metrics and probes on 9090 (set
# KPI__TELEMETRY__METRICS_ADDR= to switch them off, and the HEALTHCHECK
# with them).
ENV KPI__SERVER__LISTEN_ADDR=0.0.0.0:50051 \
    KPI__DATABASE__URL=sqlite:///var/lib/kpi-service/kpi-service.db?mode=rwc \
    KPI__TELEMETRY__LOG_FORMAT=json \
    KPI__TELEMETRY__METRICS_ADDR=0.0.0.0:9090
EXPOSE 50051 9090
VOLUME ["/var/lib/kpi-service"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/kpi-service", "probe", "--url", "http://127.0.0.1:9090/readyz"]
ENTRYPOINT ["/usr/local/bin/kpi-service"]
CMD ["serve"]
