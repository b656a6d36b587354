"""CPU-bound computations (estimates, plans) one at a time per worker process.

The service runs one worker process per core. Inside a worker, FastAPI runs sync routes in a
thread pool; several estimates computing at once in one process only contend for its GIL and
allocator (measured on 2 cores: the chatbot estimate fell from 15/s at 1 in flight to 10/s at
8). With one slot per worker, the others wait their turn and the cores stay busy with one
computation each (17/s at 8 in flight). `COMPUTE_SLOTS` changes the number per worker.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

#: Computations one worker runs at once (environment `COMPUTE_SLOTS`, default 1).
SLOTS = max(1, int(os.environ.get("COMPUTE_SLOTS", "1").strip() or "1"))


class FairSlots:
    """`count` slots handed to waiters in arrival order. A semaphore lets a thread that has
    just released a slot take it again ahead of one already waiting (it still holds the GIL
    when the waiter is woken), so under load some requests waited through many turns; here a
    released slot passes straight to the longest waiter."""

    def __init__(self, count: int) -> None:
        self._lock = threading.Lock()
        self._free = count
        self._waiters: deque[threading.Event] = deque()

    def acquire(self) -> None:
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return
            turn = threading.Event()
            self._waiters.append(turn)
        turn.wait()  # set by release(), which hands over its slot

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()
            else:
                self._free += 1


_slots = FairSlots(SLOTS)
_held = threading.local()


@contextmanager
def compute_slot() -> Iterator[None]:
    """Hold one of the worker's slots for the block (waiters served in arrival order);
    re-entrant within a thread (an estimate that asks for a plan takes one slot, not two)."""
    depth = getattr(_held, "depth", 0)
    if depth == 0:
        _slots.acquire()
    _held.depth = depth + 1
    try:
        yield
    finally:
        _held.depth = depth
        if depth == 0:
            _slots.release()
