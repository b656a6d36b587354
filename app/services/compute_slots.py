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
from collections.abc import Iterator
from contextlib import contextmanager

#: Computations one worker runs at once (environment `COMPUTE_SLOTS`, default 1).
SLOTS = max(1, int(os.environ.get("COMPUTE_SLOTS", "1").strip() or "1"))

_slots = threading.BoundedSemaphore(SLOTS)
_held = threading.local()


@contextmanager
def compute_slot() -> Iterator[None]:
    """Hold one of the worker's slots for the block; re-entrant within a thread (an estimate
    that asks for a plan takes one slot, not two)."""
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
