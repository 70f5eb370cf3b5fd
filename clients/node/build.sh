#!/usr/bin/env bash
# Builds the npm client package from proto/ into a tarball:
#   bash clients/node/build.sh DIST_DIR
# into DIST_DIR/kpi-service-client-VERSION.tgz, holding
#   index.js, index.d.ts  grpc-js definitions loaded from the shipped protos,
#                         the retry policy, google.rpc error details;
#   types/                TypeScript types of every message and service
#                         (proto-loader-gen-types, same options as index.js);
#   web/                  protobuf-es code (JavaScript + .d.ts) for browsers,
#                         used with a gRPC-Web transport (@connectrpc/connect-web);
#   proto/, service_config.json.
# The generators come from npm (package-lock.json), nothing else is needed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repository="$(cd "$here/../.." && pwd)"
dist="$(mkdir -p "$1" && cd "$1" && pwd)"
cd "$here"
npm ci --no-audit --no-fund --loglevel=error

staging="$repository/target/node-client-staging"
rm -rf "$staging"
mkdir -p "$staging"
cp package.json index.js index.d.ts "$staging/"
cp "$repository/service_config.json" "$staging/"
mkdir -p "$staging/proto"
cp -r "$repository/proto/kpi" "$repository/proto/google" "$repository/proto/grpc" "$staging/proto/"

# TypeScript types: run from the proto root, so that imports resolve (-I .),
# into a directory beside node_modules (the generated files import
# @grpc/grpc-js), then compiled to JavaScript and declarations (the enums
# are values as well as types).
generated="$here/.generated"
rm -rf "$generated"
mkdir -p "$generated"
(cd "$staging/proto" && "$here/node_modules/.bin/proto-loader-gen-types" \
  --keepCase --longs=String --enums=String --defaults --oneofs \
  --grpcLib=@grpc/grpc-js -I . -O "$generated" \
  kpi/v1/*.proto grpc/health/v1/health.proto)
cat > "$generated/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "declaration": true, "outDir": "$staging/types", "rootDir": ".",
    "module": "commonjs", "target": "es2020", "skipLibCheck": true
  },
  "include": ["**/*.ts"]
}
JSON
"$here/node_modules/.bin/tsc" -p "$generated/tsconfig.json"
rm -rf "$generated"

# Browser code: protobuf-es, driven by buf (from npm) with the local plugin.
sed "s|STAGING|$staging|" buf.gen.yaml > "$staging/buf.gen.yaml"
"$here/node_modules/.bin/buf" generate "$repository/proto" \
  --template "$staging/buf.gen.yaml" --path "$repository/proto/kpi"
rm "$staging/buf.gen.yaml"
# protobuf-es writes ES modules; say so, for Node and for bundlers.
echo '{ "type": "module" }' > "$staging/web/package.json"

rm -f "$dist"/kpi-service-client-*.tgz
(cd "$staging" && npm pack --pack-destination "$dist" --loglevel=error >/dev/null)
ls "$dist"/kpi-service-client-*.tgz
