#!/usr/bin/env bash
# The Dockerfile's install and start steps, run outside Docker (no engine runs in CI):
# `pip install .` into a clean venv, `llm-cost-estimator migrate` twice, then `serve`, and
# /healthz and /readyz must answer. Work happens in a temporary folder so that the source tree
# cannot be imported by accident.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
PY=${PYTHON:-python3}
PORT=${SMOKE_PORT:-18735}
WORK=$(mktemp -d)
trap 'kill "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --no-cache-dir "$SRC"
"$WORK/venv/bin/llm-cost-estimator" --help >/dev/null

cd "$WORK"
unset DATABASE_URL
"$WORK/venv/bin/llm-cost-estimator" migrate
"$WORK/venv/bin/llm-cost-estimator" migrate   # a second run must change nothing
"$WORK/venv/bin/llm-cost-estimator" serve --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
probe() {
  "$WORK/venv/bin/python" -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$PORT$1', timeout=2).status == 200 else 1)" 2>/dev/null
}
for _ in $(seq 1 60); do probe /healthz && break; sleep 1; done
probe /healthz || { cat "$WORK/server.log"; exit 1; }
probe /readyz || { cat "$WORK/server.log"; exit 1; }
probe "/v1/gpus/h100-sxm-80gb" || { cat "$WORK/server.log"; exit 1; }
echo "container smoke test: the installed package migrated, seeded and served"
