#!/usr/bin/env bash
# Set up and start the service on a fresh machine: a virtualenv in .venv, the package installed,
# an SQLite database in ./data migrated and seeded, and the API on http://127.0.0.1:8000.
# Environment: HOST, PORT, DATABASE_URL (default: SQLite), ADMIN_API_KEYS (catalog writes).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
exec .venv/bin/llm-cost-estimator serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
