#!/usr/bin/env bash
# Builds the Python client package from proto/ into a wheel:
#   bash clients/python/build.sh DIST_DIR
# The kpi.v1 messages and stubs (with .pyi type stubs) are generated with
# grpcio-tools into a staging copy of clients/python/, the retry policy is
# copied beside the helpers, and `pip wheel` packs it. The tools come from
# PyPI into a virtual environment of their own under target/.
set -euo pipefail
repository="$(cd "$(dirname "$0")/../.." && pwd)"
dist="$(mkdir -p "$1" && cd "$1" && pwd)"
cd "$repository"

tools=target/python-build-venv
if [ ! -x "$tools/bin/python" ]; then
  python3 -m venv "$tools"
fi
"$tools/bin/python" -m pip install --quiet --disable-pip-version-check \
  grpcio-tools==1.85.1 setuptools==80.9.0 wheel==0.45.1

staging=target/python-client-staging
rm -rf "$staging"
mkdir -p "$staging"
cp -r clients/python/pyproject.toml clients/python/src "$staging/"
"$tools/bin/python" -m grpc_tools.protoc -I proto \
  --python_out="$staging/src" --pyi_out="$staging/src" --grpc_python_out="$staging/src" \
  proto/kpi/v1/*.proto
touch "$staging/src/kpi/__init__.py" "$staging/src/kpi/v1/__init__.py" "$staging/src/kpi/py.typed"
cp service_config.json "$staging/src/kpi_client/service_config.json"

rm -f "$dist"/kpi_service_client-*.whl
"$tools/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
  --no-build-isolation --wheel-dir "$dist" "$staging"
ls "$dist"/kpi_service_client-*.whl
