#!/usr/bin/env bash
# The browser test: Debian's Chromium (installed here when missing), the
# page bundled with esbuild from page/ with the npm client package's
# protobuf-es code and Connect-ES's gRPC-Web transport (packages from
# package-lock.json and the tarball clients/node/build.sh makes), the real
# server with server.grpc_web on and one of the page's two origins listed,
# the README's worked example loaded by `kpi-service demo-data`.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "-- installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

if ! ls target/node-dist/kpi-service-client-*.tgz >/dev/null 2>&1; then
  bash clients/node/build.sh target/node-dist
fi
rm -rf tests/browser/node_modules
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
npm install --prefix tests/browser --no-save --no-audit --no-fund --loglevel=error \
  "$(ls "$PWD"/target/node-dist/kpi-service-client-*.tgz)"

page=target/browser-page
rm -rf "$page"
mkdir -p "$page"
cp tests/browser/page/index.html "$page/"
(cd tests/browser && node_modules/.bin/esbuild page/main.js --bundle --format=esm \
  --target=es2022 --log-level=warning --outfile="../../$page/bundle.js")

cargo build --quiet --bin kpi-service

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
grpc_port=$(free_port)
listed_port=$(free_port)
unlisted_port=$(free_port)
database=target/browser-test.db
rm -f "$database" "$database-wal" "$database-shm"

KPI__SERVER__LISTEN_ADDR="127.0.0.1:$grpc_port" \
KPI__SERVER__GRPC_WEB=true \
KPI__SERVER__CORS_ALLOWED_ORIGINS="http://127.0.0.1:$listed_port" \
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

loaded=""
for _ in $(seq 1 100); do
  if KPI__TELEMETRY__LOG_FILTER=warn target/debug/kpi-service demo-data \
      --address "http://127.0.0.1:$grpc_port" >/dev/null 2>&1; then
    loaded=yes
    break
  fi
  sleep 0.2
done
if [ -z "$loaded" ]; then
  echo "FAIL the demo data could not be loaded"
  exit 1
fi

node tests/browser/browser_test.js "$grpc_port" "$listed_port" "$unlisted_port" "$page"
