#!/usr/bin/env bash
# Generate a Python client from the live OpenAPI schema with openapi-python-client, then use it
# (scripts/client_smoke.py) to create, list, fetch, re-run and delete an analysis on a running
# server with a throwaway SQLite database. The generated code lives in a temporary folder only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
PORT=${CLIENT_CHECK_PORT:-18735}
WORK=$(mktemp -d)
trap 'stop_server; rm -rf "$WORK"' EXIT
start_server "$PORT" "$WORK"
curl -fsS "http://127.0.0.1:$PORT/openapi.json" -o "$WORK/openapi.json"

# Charts, exports and the report are files, not JSON: the client hands back their bytes.
cat >"$WORK/config.yml" <<'EOF'
project_name_override: llm-cost-estimator-client
package_name_override: llm_cost_estimator_client
content_type_overrides:
  image/svg+xml: application/octet-stream
  image/png: application/octet-stream
  text/csv: text/plain
  text/html: text/plain
EOF

openapi-python-client generate \
  --path "$WORK/openapi.json" \
  --config "$WORK/config.yml" \
  --meta none \
  --fail-on-warning \
  --output-path "$WORK/client/llm_cost_estimator_client"

status=0
PYTHONPATH="$WORK/client" python "$ROOT/scripts/client_smoke.py" "http://127.0.0.1:$PORT" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (tail) ---"
  tail -50 "$WORK/server.log"
fi
exit "$status"
