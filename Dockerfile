# LLM Cost Estimator: REST service image.
#
# Build:  docker build -t llm-cost-estimator .
# Run:    docker run -p 8000:8000 -e DATABASE_URL=postgresql+psycopg://... llm-cost-estimator
# Without DATABASE_URL the service keeps an SQLite file in /app/data (mount a volume there).

# Python 3.11.11 on Debian 12 (bookworm). The digest pins the exact image: a tag can be re-pushed,
# a digest cannot. Override with --build-arg PYTHON_IMAGE=... to move to a newer patch release.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm@sha256:081075da77b2b55c23c088251026fb69a7b2bf92471e491ff5fd75c192fd38e5

# --- builder: install the package and its dependencies into a self-contained venv -------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# The README glob matches nothing until a README exists; pyproject.toml keeps the COPY valid.
COPY pyproject.toml README.m[d] ./
COPY app ./app
COPY migrations ./migrations
# Every dependency ships manylinux wheels for CPython 3.11, so no compiler is needed.
RUN pip install --no-cache-dir . \
    && llm-cost-estimator --help > /dev/null

# --- runtime: the venv and nothing else --------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

# The default SQLite database lives in ./data (Settings.data_dir), owned by the service user.
WORKDIR /app
RUN mkdir /app/data && chown app:app /app/data

# Numeric ids let Kubernetes' runAsNonRoot verify the user without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000

# The slim image has no curl; the standard library is enough to probe the liveness route.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# One worker per CPU (set WORKERS when the container's CPU quota is smaller than the host's),
# under the supervisor (app/supervisor.py), which replaces a worker that dies. Migrates first unless
# AUTO_MIGRATE=false (then run `llm-cost-estimator migrate` once, e.g. as a Kubernetes Job).
CMD ["llm-cost-estimator", "serve", "--host", "0.0.0.0", "--port", "8000"]
