"""Serialised answers of pure computations, kept per worker and bounded in bytes.

An estimate, and a replica's performance, are pure functions of the request and the catalog's
content: they read nothing else (no clock, no caller, no randomness but their own seeded
draws). Asked again with the same request while the catalog is unchanged, the service answers
with the bytes it computed before instead of computing them again (the chatbot estimate costs
20-25 ms of CPU to compute; a repeat costs what reading the request and the catalog's state
costs). Repeats are common: a dashboard or notebook re-running a scenario, several people
opening the same one, a client's retry after a timeout.

The key holds the catalog's state (`catalog_cache.CatalogState`: newest version, number of
versions and newest commit time, read once by the request, before the catalog rows of that
version, which never change), so any catalog change, through any worker or replica, makes
every earlier entry unreachable; they age out.
Entries are whole JSON bodies (immutable bytes: no caller can change a cached answer), evicted
least recently used first once their total passes the bound (`ANSWER_CACHE_MB`, 0 turns
the cache off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from prometheus_client import Counter
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.services import catalog_cache

CACHE_REQUESTS = Counter(
    "estimator_response_cache_requests",
    "Answers asked of the response cache, by kind (`estimate`, `performance`) and result "
    "(`hit`: served without computing; `miss`: computed, then stored).",
    ["kind", "result"],
)


class ResponseCache:
    """Least-recently-used map from a key to a response body, at most `max_bytes` in all.
    Thread-safe (a worker's request threads share it)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @property
    def stored_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
        return body

    def put(self, key: Hashable, body: bytes) -> None:
        """Store `body` (a body larger than the whole bound is not kept)."""
        if len(body) > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous)
            self._entries[key] = body
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted)


def cached_answer(
    kind: str,
    cache: ResponseCache | None,
    session: Session,
    request: BaseModel,
    compute: Callable[[], BaseModel],
) -> tuple[bytes, bool]:
    """The JSON body answering `request`, and whether it came from `cache`: `compute()`d and
    serialised (as FastAPI serialises a returned model: by alias, nothing excluded) when the
    cache is off or does not hold it, then stored. Errors propagate and are not stored."""
    if cache is None or not cache.enabled:
        return compute().model_dump_json(by_alias=True).encode(), False
    # The validated request: spelling, key order and written-out defaults do not matter.
    key = (kind, catalog_cache.catalog_state(session), request.model_dump_json())
    body = cache.get(key)
    CACHE_REQUESTS.labels(kind=kind, result="miss" if body is None else "hit").inc()
    if body is not None:
        return body, True
    body = compute().model_dump_json(by_alias=True).encode()
    cache.put(key, body)
    return body, False
