"""Writers of one SQLite file take turns through a lock file beside it, not SQLite's busy handler.

SQLite lets one writer in at a time (`BEGIN IMMEDIATE`); the others wait in its busy handler,
which sleeps in growing steps (1, 2, 5 ... up to 100 ms) between retries. A waiter so gets in
up to 100 ms after the holder commits, and one that keeps losing its retries to writers that
arrive later can wait for seconds (the SQLite mixed load run, `benchmarks/load.py`: wait for
the write lock p50 15 ms, p99 1.1 s, max 2.3 s).

Here a writer first takes this process's thread lock, then an exclusive `flock` on
`<database>.writers`, which every process on the file shares. Both wake a waiter as soon as they
are released, so SQLite's own lock is free, or about to be, when `BEGIN IMMEDIATE` runs. The
turn is given back when the transaction commits or rolls back (SQLAlchemy's engine events, just
before the database's own COMMIT or ROLLBACK: the next writer may reach BEGIN IMMEDIATE a moment
early and wait there for the busy handler's first 1 ms step), and at the latest when the
connection goes back to the pool. A process that dies loses its `flock` with it.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

#: Longest wait for a turn (seconds): SQLite's own busy timeout (session.py).
WAIT_S = 30.0
#: Polling steps for the lock file while another process holds it (seconds, doubling).
_FIRST_POLL_S, _LONGEST_POLL_S = 0.0002, 0.002
_HOLDS = "sqlite_writer_turn"


class SqliteWriterTurns:
    """Turns for the writers of one SQLite database file (one object per engine)."""

    def __init__(self, database: Path) -> None:
        self.path = Path(f"{database}.writers")
        self._thread_lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._fd: int | None = None

    def take(self, connection: Any) -> None:
        """Wait for this writer's turn (before `BEGIN IMMEDIATE` on `connection`)."""
        deadline = time.monotonic() + WAIT_S
        if not self._thread_lock.acquire(timeout=WAIT_S):
            raise _locked()
        try:
            self._lock_file(deadline)
        except BaseException:
            self._thread_lock.release()
            raise
        connection.info[_HOLDS] = True

    def give_back(self, connection: Any) -> None:
        """Engine `commit` / `rollback` event: end the turn if `connection` holds it."""
        self._release(connection.info)

    def give_back_record(self, _dbapi_connection: Any, record: Any) -> None:
        """Pool `checkin` event: a connection back in the pool holds no turn."""
        self._release(record.info)

    def _release(self, info: dict[str, Any]) -> None:
        if info.pop(_HOLDS, False):
            fcntl.flock(self._file(), fcntl.LOCK_UN)
            self._thread_lock.release()

    def _file(self) -> int:
        with self._open_lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            return self._fd

    def _lock_file(self, deadline: float) -> None:
        """Exclusive flock on the lock file; another process holds it for one short write
        transaction, so poll in sub-millisecond to 2 ms steps (a blocking flock could not
        give up at the deadline)."""
        fd, pause = self._file(), _FIRST_POLL_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _locked() from None
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_POLL_S)


def _locked() -> OperationalError:
    """What SQLite itself raises after its busy timeout (mapped to a 503 like any outage)."""
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
