"""Command line: `llm-cost-estimator migrate | serve | refresh-catalog | openapi`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Sequence

from app.settings import get_settings


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="llm-cost-estimator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply migrations and seed an empty catalog")
    serve = commands.add_parser("serve", help="migrate, seed, then serve HTTP with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
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
    args = parser.parse_args(argv)

    settings = get_settings()
    _configure_logging(settings.log_level)

    if args.command == "migrate":
        from app.main import prepare_database

        prepare_database(settings)
        print(f"database ready: {_safe_url(settings.resolved_database_url)}")
        return 0
    if args.command == "serve":
        import uvicorn

        from app.main import prepare_database

        prepare_database(settings)
        # Prepared once here; the app (and every worker process) must not race to do it again.
        os.environ["AUTO_MIGRATE"] = "false"
        get_settings.cache_clear()
        uvicorn.run(
            "app.main:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=settings.log_level.lower(),
        )
        return 0
    if args.command == "refresh-catalog":
        from app.db.session import build_engine, build_sessionmaker, session_scope
        from app.main import prepare_database
        from app.services.catalog import refresh_catalogs

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
    if args.command == "openapi":
        from app.main import create_app

        print(json.dumps(create_app(settings).openapi(), indent=2))
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
