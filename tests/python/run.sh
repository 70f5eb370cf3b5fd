#!/usr/bin/env bash
# Builds and starts the real server on a free port with a fresh SQLite file,
# runs the Python client smoke test against it, and stops the server.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt

cargo build --quiet --bin kpi-service

database=target/python-smoke.db
rm -f "$database" "$database-wal" "$database-shm"
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

KPI__SERVER__LISTEN_ADDR="127.0.0.1:$port" \
KPI__DATABASE__URL="sqlite://$database?mode=rwc" \
KPI__TELEMETRY__LOG_FILTER=warn \
  target/debug/kpi-service serve &
server=$!
stop_server() {
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
}
trap stop_server EXIT

"$venv/bin/python" tests/python/smoke_test.py "127.0.0.1:$port"
