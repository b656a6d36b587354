"""Command line: `llm-cost-estimator migrate | serve | refresh-catalog | openapi`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.access import Scope
from app.logs import configure_logging
from app.settings import Settings, get_settings

#: Seconds an idle keep-alive connection stays open. Longer than the idle timeout of the
#: proxies usually in front (nginx upstream keepalive and cloud load balancers: 60 s), so the
#: proxy, not the service, closes an idle connection and never sends a request on one that the
#: service is closing at that moment.
KEEP_ALIVE_S = 65
#: Seconds a worker gets to finish its requests after SIGTERM.
GRACEFUL_SHUTDOWN_S = 20

#: Thread-pool sizes of OpenBLAS (numpy), OpenMP and MKL, set to 1 for the workers.
NUMERIC_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _default_workers() -> int:
    """WORKERS from the environment, else one per CPU this process may use."""
    configured = os.environ.get("WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, len(os.sched_getaffinity(0)))


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    # One worker per core uses every core already: numeric libraries' own thread pools (two
    # OpenBLAS threads per worker on two cores) would spin against the other workers'. Set
    # before numpy loads here, and inherited by the spawned workers (an operator's own values
    # are kept).
    for name in NUMERIC_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    import tempfile

    import uvicorn

    from app.main import prepare_database
    from app.server_protocol import HeaderTimeoutProtocol
    from app.supervisor import serve_with_workers

    if settings.auto_migrate:
        prepare_database(settings)
    # Prepared once here, before any worker starts: the workers must not do it again.
    os.environ["AUTO_MIGRATE"] = "false"
    get_settings.cache_clear()
    # Each worker writes its metrics here and /metrics merges them (prometheus_client's
    # multiprocess mode). Emptied at start, so a previous run's counts do not linger.
    metrics_dir = Path(
        os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        or tempfile.mkdtemp(prefix="llm-cost-estimator-metrics-")
    )
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    config = uvicorn.Config(
        "app.main:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_S,
        # httptools with a header-read timeout (uvicorn has none of its own).
        http=HeaderTimeoutProtocol,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        # Largest request head (request line and headers) h11 buffers before refusing it.
        h11_max_incomplete_event_size=64 * 1024,
        server_header=False,
    )
    return serve_with_workers(config)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llm-cost-estimator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply migrations and seed an empty catalog")
    serve = commands.add_parser("serve", help="migrate, seed, then serve HTTP with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=_default_workers(),
        help="worker processes, restarted by a supervisor if one dies (default: WORKERS, "
        "else one per CPU)",
    )
    refresh = commands.add_parser(
        "refresh-catalog", help="re-read genai-prices (and bundled data) into a new version"
    )
    refresh.add_argument(
        "--catalog",
        action="append",
        choices=["api-models", "gpus", "gpu-offerings", "open-models"],
        help="catalog to refresh (repeatable; default api-models)",
    )
    commands.add_parser("openapi", help="print the OpenAPI schema as JSON")
    _add_key_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)

    if args.command == "migrate":
        from app.main import prepare_database

        prepare_database(settings)
        print(f"database ready: {_safe_url(settings.resolved_database_url)}")
        return 0
    if args.command == "serve":
        return _serve(args, settings)
    if args.command == "refresh-catalog":
        return _refresh_catalog(args, settings)
    if args.command == "keys":
        return _run_key_command(args, settings)
    if args.command == "openapi":
        from app.main import create_app

        print(json.dumps(create_app(settings).openapi(), indent=2))
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


def _refresh_catalog(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.session import build_engine, build_sessionmaker, session_scope
    from app.main import prepare_database
    from app.services.catalog_sync import refresh_catalogs

    prepare_database(settings)
    engine = build_engine(settings.resolved_database_url)
    for session in session_scope(build_sessionmaker(engine)):
        counts, version, changed, note = refresh_catalogs(
            session,
            collections=args.catalog or ["api-models"],
            today=dt.datetime.now(dt.UTC).date(),
        )
    engine.dispose()
    print(
        json.dumps(
            {
                "changed": changed,
                "catalog_version": version,
                "added": counts.added,
                "updated": counts.updated,
                "removed": counts.removed,
                "source": note,
            }
        )
    )
    return 0


def _add_key_commands(commands: Any) -> None:
    keys = commands.add_parser("keys", help="issue, list and revoke scoped API keys")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="issue a key; prints its secret once")
    create.add_argument("--name", required=True, help="what the key is for")
    create.add_argument("--principal", required=True, help="who the key acts for")
    create.add_argument("--team", default=None, help="team whose members share analyses")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=[scope.value for scope in Scope],
        help="repeatable",
    )
    actions.add_parser("list", help="list keys (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id", type=uuid.UUID)


def _run_key_command(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.session import build_engine, build_sessionmaker, session_scope
    from app.main import prepare_database
    from app.schemas.api_keys import ApiKeyCreate, ApiKeyRead
    from app.services import api_keys

    prepare_database(settings)
    engine = build_engine(settings.resolved_database_url)
    try:
        for session in session_scope(build_sessionmaker(engine), write=args.action != "list"):
            if args.action == "create":
                body = ApiKeyCreate(
                    name=args.name, principal=args.principal, team=args.team, scopes=args.scope
                )
                row, secret = api_keys.create_api_key(
                    session,
                    name=body.name,
                    principal=body.principal,
                    team=body.team,
                    scopes=body.scopes,
                )
                out: Any = ApiKeyRead.model_validate(row).model_dump(mode="json")
                out["secret"] = secret
            elif args.action == "list":
                out = [
                    ApiKeyRead.model_validate(row).model_dump(mode="json")
                    for row in api_keys.list_api_keys(session)
                ]
            else:
                row = api_keys.revoke_api_key(session, args.key_id)
                out = ApiKeyRead.model_validate(row).model_dump(mode="json")
    finally:
        engine.dispose()
    print(json.dumps(out, indent=2))
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
