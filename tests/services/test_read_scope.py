"""`read_scope`: a read-only session, in autocommit on PostgreSQL (no BEGIN and COMMIT round
trips), in one snapshot transaction on SQLite; nothing it reads differs."""

from __future__ import annotations

import time
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from app.db.session import read_scope, session_scope
from app.services import catalog_cache


def _statements_share_a_transaction(engine: Engine, scope: str) -> bool:
    """Whether two statements in one scope run inside one transaction."""
    factory = sessionmaker(bind=engine)
    opened = (
        contextmanager(read_scope)(factory)
        if scope == "read"
        else contextmanager(session_scope)(factory, write=False)
    )
    with opened as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_sleep(0.02)"))
            # now() is the transaction's start; statement_timestamp() this statement's.
            return bool(session.execute(text("SELECT now() < statement_timestamp()")).scalar())
        session.execute(text("SELECT 1"))
        return bool(session.connection().in_transaction())


def test_read_scope_on_postgresql_runs_in_autocommit_and_sqlite_in_a_transaction(
    engine: Engine,
) -> None:
    assert _statements_share_a_transaction(engine, "transaction")
    autocommit = engine.dialect.name == "postgresql"
    assert _statements_share_a_transaction(engine, "read") is not autocommit


def test_read_scope_reads_what_a_transaction_reads(engine: Engine) -> None:
    factory = sessionmaker(bind=engine)
    with contextmanager(read_scope)(factory) as session:
        state = catalog_cache.catalog_state(session)
    with contextmanager(session_scope)(factory) as session:
        assert catalog_cache.catalog_state(session) == state


def test_a_pooled_connection_goes_back_as_it_came(engine: Engine) -> None:
    """After a read in autocommit, the next session on the pool's connection is transactional
    again (SQLAlchemy resets the isolation level on check-in)."""
    factory = sessionmaker(bind=engine)
    for _ in range(3):
        with contextmanager(read_scope)(factory) as session:
            catalog_cache.catalog_state(session)
        started = time.monotonic()
        assert _statements_share_a_transaction(engine, "transaction")
        assert time.monotonic() - started < 5
