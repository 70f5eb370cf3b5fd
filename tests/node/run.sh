#!/usr/bin/env bash
# Installs the Node client's packages from npm (package-lock.json), builds and
# starts the real server on a free port with a fresh SQLite file, runs the
# Node client test against it, and stops the server.
set -euo pipefail
cd "$(dirname "$0")/../.."

npm ci --prefix tests/node --no-audit --no-fund --loglevel=error

cargo build --quiet --bin kpi-service

database=target/node-client.db
rm -f "$database" "$database-wal" "$database-shm"
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')

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

node tests/node/client_test.js "127.0.0.1:$port"
