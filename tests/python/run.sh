#!/usr/bin/env bash
# Builds the Python client package from proto/ (clients/python/build.sh),
# installs it into a fresh virtual environment, as a client team would, and
# runs against the real server, each time on a free port with a fresh
# SQLite file:
#   1. plain text, auth mode none: the README's example
#      (readme_example.py, which the README shows verbatim) and the smoke
#      test;
#   2. TLS with a development CA and auth mode jwt, with a token signed by a
#      key published in a JWK Set (all made by trust_material.py).
# The tests run with `python -O`: their checks raise by themselves, they do
# not rely on `assert`.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash clients/python/build.sh target/python-dist
venv=target/python-test-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  target/python-dist/kpi_service_client-*.whl -r tests/python/requirements.txt
python="$venv/bin/python -O"

cargo build --quiet --bin kpi-service

free_port() {
  $python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
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
$python tests/python/smoke_test.py "127.0.0.1:$port"
echo "-- the README's example"
example=$($python tests/python/readme_example.py "127.0.0.1:$port")
echo "$example"
expected=$(printf 'INGEST_OUTCOME_CREATED\nINVALID_ARGUMENT\n')
if [ "$(echo "$example" | head -2)" != "$expected" ]; then
  echo "FAIL the README's example printed something else than CREATED, INVALID_ARGUMENT"
  exit 1
fi
again=$($python tests/python/readme_example.py "127.0.0.1:$port")
again=$(echo "$again" | head -1)
if [ "$again" != "INGEST_OUTCOME_UNCHANGED" ]; then
  echo "FAIL the README's example, run again, printed $again instead of UNCHANGED"
  exit 1
fi
echo "ok   the README's example: CREATED, then UNCHANGED; INVALID_ARGUMENT with its violations"
echo "-- the README's change-feed example (resumes after a disconnect)"
$python tests/python/changes_example.py "127.0.0.1:$port"
echo "ok   the change-feed example: every change once, as ListScorecardChanges lists them"
stop_server

echo "-- TLS, auth mode jwt"
trust=target/python-trust
rm -rf "$trust"
issuer="https://id.smoke.test"
audience="kpi-service"
$python tests/python/trust_material.py "$trust" "$issuer" "$audience"
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
$python tests/python/smoke_test.py "127.0.0.1:$port" "$trust/ca.pem" "$trust/token"
stop_server
