#!/usr/bin/env bash
# Install everything and run every check and test: lint, types, architecture, tests on SQLite
# and PostgreSQL, migrations, schemathesis against a live server, container files, and the
# container's own install-and-start steps run outside Docker. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
export PG_ADMIN_URL
ART="$ROOT/.artifacts"
rm -rf "$ART" && mkdir -p "$ART"

step() { printf '\n==> %s\n' "$*"; }

step "Python environment (.venv)"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q -e ".[dev]"

step "System tools for the container checks"
if ! command -v docker-compose >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null) \
    || echo "warning: could not install docker-compose" >&2
fi

step "Headless Chromium for the report's browser test"
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
chromium --version
# The browser test must run here: a missing browser fails it instead of skipping it.
export REQUIRE_CHROMIUM=1

step "nginx for the two-replica test (tests/ops/test_replicas.py)"
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
# The two-replica test must run here: a missing nginx fails it instead of skipping it.
export REQUIRE_NGINX=1

step "PostgreSQL on 127.0.0.1:5432"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

step "ruff (lint and format)"
ruff check .
ruff format --check .

step "mypy --strict app/"
mypy

step "import-linter: the estimation core stays pure"
lint-imports

step "pytest on SQLite"
python -m pytest -q -p no:cacheprovider --db sqlite

step "pytest on PostgreSQL (the operational tests in tests/ops ran once, above)"
python -m pytest -q -p no:cacheprovider --db postgres

step "schemathesis against the live OpenAPI schema"
bash scripts/schemathesis.sh

step "Python client generated from the live OpenAPI schema"
bash scripts/client-check.sh

step "Kubernetes manifests against the API schema (offline)"
bash scripts/k8s-validate.sh

step "Dockerfile (hadolint) and docker-compose.yml"
hadolint Dockerfile
docker-compose -f docker-compose.yml config -q

step "The image's install and start steps, outside Docker"
bash scripts/container-smoke.sh

printf '\nall checks passed\n'
