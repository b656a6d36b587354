"""Test fixtures: one migrated, seeded database per run; each test rolls back its changes.

Choose the database with `--db sqlite` (default, a temporary file) or `--db postgres` (a fresh
database created on the server named by `--pg-admin-url`, dropped afterwards).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrations
from app.db.session import build_engine, session_scope
from app.main import create_app
from app.services.catalog_sync import seed_catalogs
from app.settings import Settings

ADMIN_KEY = "test-admin-key"
DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.addoption(
        "--pg-admin-url",
        default=os.environ.get("PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL),
        help="URL of a PostgreSQL database from which test databases are created",
    )


def _create_pg_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A new, empty database of the kind under test, apart from the shared one (for tests
    that migrate, seed or commit for real)."""
    if request.config.getoption("--db") == "postgres":
        admin_url = request.config.getoption("--pg-admin-url")
        name = f"estimator_fresh_{uuid.uuid4().hex[:12]}"
        yield _create_pg_database(admin_url, name)
        _drop_pg_database(admin_url, name)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('fresh') / 'fresh.db'}"


@pytest.fixture(scope="session")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh, empty database for this test run."""
    if request.config.getoption("--db") == "postgres":
        admin_url = request.config.getoption("--pg-admin-url")
        name = f"estimator_test_{uuid.uuid4().hex[:12]}"
        url = _create_pg_database(admin_url, name)
        yield url
        _drop_pg_database(admin_url, name)
    else:
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, migrated to head and seeded once."""
    engine = build_engine(database_url)
    migrations.upgrade(engine)
    for session in session_scope(sessionmaker(bind=engine, expire_on_commit=False)):
        seed_catalogs(session, today=dt.date(2026, 11, 30))
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Sessions commit into savepoints, so the test's outer transaction can undo everything.
    return sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


def reset_logging() -> None:
    """Undo `configure_logging` (which the CLI and some tests call)."""
    import logging

    import structlog

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    structlog.reset_defaults()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "auto_migrate": False,
        "admin_api_keys": [ADMIN_KEY],
        # Most tests exercise an open service: callers without a key may save analyses.
        # tests/api/test_access.py covers the production default (read only).
        "anonymous_scopes": ["read", "analyses:write"],
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def client(
    database_url: str, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    """An HTTP client whose requests all run inside the test's rolled-back transaction."""
    app = create_app(make_settings(database_url))
    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.sessionmaker = session_factory
        yield client


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}
