#!/usr/bin/env bash
# Builds the npm client package from proto/ (clients/node/build.sh), installs
# it into this fresh Node project (the registry packages from
# package-lock.json, the client package from its tarball), type-checks the
# README's TypeScript lines against its types, then runs against the real
# server on a free port with a fresh SQLite file: the README's example
# (readme_example.js, which the README shows verbatim) and the client test.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash clients/node/build.sh target/node-dist
rm -rf tests/node/node_modules
npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
npm install --prefix tests/node --no-save --no-audit --no-fund --loglevel=error \
  "$(ls "$PWD"/target/node-dist/kpi-service-client-*.tgz)"

echo "-- TypeScript: the README's lines against the package's types"
(cd tests/node && node_modules/.bin/tsc -p tsconfig.json)
echo "ok   readme_example.ts type-checks (strict)"

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

echo "-- the README's example"
example=$(cd tests/node && node readme_example.js "127.0.0.1:$port")
echo "$example"
if [ "$(echo "$example" | head -2)" != "$(printf 'INGEST_OUTCOME_CREATED\nINVALID_ARGUMENT')" ]; then
  echo "FAIL the README's example printed something else than INGEST_OUTCOME_CREATED, INVALID_ARGUMENT"
  exit 1
fi
again=$(cd tests/node && node readme_example.js "127.0.0.1:$port")
again=$(echo "$again" | head -1)
if [ "$again" != "INGEST_OUTCOME_UNCHANGED" ]; then
  echo "FAIL the README's example, run again, printed $again"
  exit 1
fi
echo "ok   the README's example: CREATED, then UNCHANGED; INVALID_ARGUMENT with its violations"
echo "-- the README's change-feed example (resumes after a disconnect)"
(cd tests/node && node changes_example.js "127.0.0.1:$port")
echo "ok   the change-feed example: every change once, as ListScorecardChanges lists them"
