"""Engine and session factory. Built by the app's lifespan, never at import time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.db.sqlite_writers import SqliteWriterTurns

#: Execution option marking a transaction that will write (SQLite then begins IMMEDIATE).
WRITE_OPTION = "estimator_writes"
#: Seconds to wait for a PostgreSQL connection (new, or free in the pool) before giving up.
CONNECT_TIMEOUT_S = 5


def build_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys on and a parent folder that exists."""
    parsed = make_url(url)
    # A pooled server connection can die (database restart, idle timeout); a file cannot.
    kwargs: dict[str, Any] = {
        "pool_pre_ping": parsed.get_backend_name() != "sqlite",
        # Statement parameters are user input: keep them out of error messages (and so logs).
        "hide_parameters": True,
    }
    if parsed.get_backend_name() == "postgresql":
        # Fail fast (a 503) when the server is unreachable, rather than hang the request.
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
        kwargs["pool_timeout"] = CONNECT_TIMEOUT_S
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        writers = (
            SqliteWriterTurns(Path(parsed.database))
            if parsed.database and parsed.database != ":memory:"
            else None
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so that
            # SAVEPOINTs and rollbacks behave (SQLAlchemy's pysqlite "serializable" recipe).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A writer takes the write lock up front: upgrading a read transaction to a write
            # one fails at once with "database is locked" when another writer got there first.
            immediate = connection.get_execution_options().get(WRITE_OPTION, False)
            if immediate and writers is not None:
                writers.take(connection)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        if writers is not None:
            for name in ("commit", "rollback"):
                event.listen(engine, name, writers.give_back)
            event.listen(engine, "checkin", writers.give_back_record)

    return engine


def build_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def begin_write(session: Session) -> None:
    """Begin `session`'s transaction as a writer (on SQLite: BEGIN IMMEDIATE), unless it has
    already begun. Lets a request compute first and take the write lock only to write."""
    if not session.in_transaction():
        session.connection(execution_options={WRITE_OPTION: True})


def read_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that only reads (estimates, performance, plans). On PostgreSQL its connection
    runs in autocommit: at READ COMMITTED every statement takes its own snapshot inside a
    transaction too, so BEGIN and COMMIT would only add two round trips (about 0.4 ms of CPU
    and 1 ms of wall time a request). On SQLite it is `session_scope`'s transaction, whose
    BEGIN gives all its reads one snapshot."""
    yield from session_scope(factory, reads_only=True)


def session_scope(
    factory: sessionmaker[Session], *, write: bool = False, reads_only: bool = False
) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception (`reads_only`: see
    `read_scope`)."""
    session = factory()
    try:
        if write:
            session.connection(execution_options={WRITE_OPTION: True})
        elif reads_only and _is_postgresql_engine(session):
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _is_postgresql_engine(session: Session) -> bool:
    """Bound to a PostgreSQL engine (a session bound to a connection, as in the tests' outer
    transaction, keeps that connection's transaction)."""
    bind = session.get_bind()
    return isinstance(bind, Engine) and bind.dialect.name == "postgresql"
