#!/usr/bin/env bash
# Builds the server and runs the Python client smoke test against it twice,
# each time on a free port with a fresh SQLite file:
#   1. plain text, auth mode none (the loopback development default);
#   2. TLS with a development CA and auth mode jwt, with a token signed by a
#      key published in a JWK Set (all made by trust_material.py).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt

cargo build --quiet --bin kpi-service

free_port() {
  "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

server=""
stop_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
  server=""
}
trap stop_server EXIT

fresh_database() {
  rm -f "$1" "$1-wal" "$1-shm"
}

echo "-- plain text, auth mode none"
database=target/python-smoke.db
fresh_database "$database"
port=$(free_port)
KPI__SERVER__LISTEN_ADDR="127.0.0.1:$port" \
KPI__DATABASE__URL="sqlite://$database?mode=rwc" \
KPI__TELEMETRY__LOG_FILTER=warn \
  target/debug/kpi-service serve &
server=$!
"$venv/bin/python" tests/python/smoke_test.py "127.0.0.1:$port"
stop_server

echo "-- TLS, auth mode jwt"
trust=target/python-trust
rm -rf "$trust"
issuer="https://id.smoke.test"
audience="kpi-service"
"$venv/bin/python" tests/python/trust_material.py "$trust" "$issuer" "$audience"
database=target/python-smoke-tls.db
fresh_database "$database"
port=$(free_port)
KPI__SERVER__LISTEN_ADDR="127.0.0.1:$port" \
KPI__DATABASE__URL="sqlite://$database?mode=rwc" \
KPI__TELEMETRY__LOG_FILTER=warn \
KPI__TLS__CERT_FILE="$trust/server.pem" \
KPI__TLS__KEY_FILE="$trust/server.key" \
KPI__AUTH__MODE=jwt \
KPI__AUTH__JWT__JWKS_FILE="$trust/jwks.json" \
KPI__AUTH__JWT__ISSUER="$issuer" \
KPI__AUTH__JWT__AUDIENCE="$audience" \
  target/debug/kpi-service serve &
server=$!
"$venv/bin/python" tests/python/smoke_test.py "127.0.0.1:$port" "$trust/ca.pem" "$trust/token"
stop_server
