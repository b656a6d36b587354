"""Serialised answers of pure computations, kept per worker and bounded in bytes.

An estimate is a pure function of its request and the catalog's content: it reads nothing
else (no clock, no caller, no randomness but its own seeded draws). Asked again with the same
request while the catalog is unchanged, the service answers with the bytes it computed before
instead of computing them again (the chatbot example costs about 50 ms of CPU to compute; a
repeat costs what reading the request and the catalog's state costs). Repeats are common: a
dashboard or notebook re-running a scenario, several people opening the same one, a client's
retry after a timeout.

The key holds the catalog's state (`catalog_cache.CatalogState`: newest version, number of
versions and newest commit time, read in the request's own transaction), so any catalog
change, through any worker or replica, makes every earlier entry unreachable; they age out.
Entries are whole JSON bodies (immutable bytes: no caller can change a cached answer), evicted
least recently used first once their total passes the bound (`ESTIMATE_CACHE_MB`, 0 turns
the cache off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from prometheus_client import Counter

CACHE_REQUESTS = Counter(
    "estimator_response_cache_requests",
    "Answers asked of the response cache, by cache and result (`hit`: served without "
    "computing; `miss`: computed, then stored).",
    ["cache", "result"],
)


class ResponseCache:
    """Least-recently-used map from a key to a response body, at most `max_bytes` in all.
    Thread-safe (a worker's request threads share it)."""

    def __init__(self, name: str, max_bytes: int) -> None:
        self.name = name
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
        CACHE_REQUESTS.labels(cache=self.name, result="miss" if body is None else "hit").inc()
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

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
