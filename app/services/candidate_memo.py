"""The self-hosted candidates of recent estimates, kept per worker (a bounded memo).

`core.self_hosting.self_hosting_candidates` (the candidate grid, every candidate's capacity
curve from the performance model, its purchase options) reads the catalog rows and settings in
its `SelfHostingSpec` and, of the workload, only the token lengths: not the volume, traffic
shape, growth, batch share or availability. Estimates that differ only in those, the what-if
people run most (more users, another growth rate, a peakier day), share one evaluation: about
2-3 ms of the 15 ms the customer-support chatbot estimate costs.

The core is always called with a workload that carries the lengths and nothing else
(`lengths_only`), cached or not, so a remembered answer is the answer: nothing the key leaves
out can reach the computation. The key is the spec's whole content (every field, a mapping as
its sorted items) with those lengths; catalog rows enter through it, so a catalog change is a
different key. Entries are shared between requests, so their arrays are made read-only.

The option table built from those candidates (`core.option_table.build_option_table`: every
candidate x purchase option sized against the latency targets, with its unit prices and
replicas per request/day) does not depend on the volume either, only on the workload's
shape. `table` keeps the last tables the same way: keyed by the candidates (the memo's own
object, held by the entry), the workload without its volume, growth, horizon and prompt
caching, and the cost, sizing and build assumptions; always built from that workload
(`table_shape`); about 1 ms.

Candidates derived from a kept set (the quality bar marks the open models below it
infeasible) are kept too (`derived`), keyed by the set and what was changed, so that their
table is found again rather than built for a new tuple each request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

import numpy as np
from prometheus_client import Counter

from app.core.economics import BuildCostsSpec, CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.fleet import SizingPolicySpec
from app.core.option_table import OptionTable, build_option_table
from app.core.self_hosting import (
    SelfHostingCandidates,
    SelfHostingSpec,
    self_hosting_candidates,
)
from app.core.workload import WorkloadSpec

#: Entries kept per worker, least recently used evicted first ...
MAX_ENTRIES = 64
#: ... and candidates kept in all, over the candidate sets and over the option tables' own
#: candidates: a whole-catalog estimate has about 1,400 candidates, and its set and table
#: hold about 3.9 MB (tracemalloc); the chatbot example's 81 hold about 0.2 MB. 8,000 bound
#: the memo near 23 MB a worker.
MAX_CANDIDATES = 8_000

MEMO_REQUESTS = Counter(
    "estimator_candidate_memo_requests",
    "Self-hosted candidate sets and option tables asked of the per-worker memo, by result "
    "(`hit`: the performance model not evaluated again; `miss`: evaluated, then kept; "
    "`table hit`, `table miss`: the same for the option table).",
    ["result"],
)


Candidates = tuple[SelfHostedCandidateSpec, ...]
_T = TypeVar("_T")


def lengths_only(workload: WorkloadSpec) -> WorkloadSpec:
    """The workload's token lengths, nothing else (no volume: 0 requests/day)."""
    return WorkloadSpec(
        requests_per_day=0.0,
        input_tokens_mean=workload.input_tokens_mean,
        output_tokens_mean=workload.output_tokens_mean,
        input_tokens_p95=workload.input_tokens_p95,
        output_tokens_p95=workload.output_tokens_p95,
    )


def _content(value: object) -> Hashable:
    """`value` as a hashable equal for equal content: itself when hashable, else a mapping as
    its sorted items and a sequence or dataclass (an offering's prices by purchase mode) as
    the tuple of its parts' contents."""
    try:
        hash(value)
        return value
    except TypeError:
        pass
    if isinstance(value, Mapping):
        return tuple(sorted((k, _content(v)) for k, v in value.items()))
    if isinstance(value, tuple | list):
        return tuple(_content(v) for v in value)
    if is_dataclass(value):
        parts = tuple(_content(getattr(value, f.name)) for f in fields(value))
        return type(value).__qualname__, parts
    raise TypeError(f"no content key for {type(value).__name__}")


def table_shape(workload: WorkloadSpec) -> WorkloadSpec:
    """What the option table reads of the workload (lengths, traffic shape, batch share,
    latency targets, availability), without its volume, growth, horizon or prompt caching
    (which only API prices read; the cache's write share moves with the volume)."""
    return replace(
        workload,
        requests_per_day=0.0,
        growth_per_month=0.0,
        horizon_months=1,
        cached_input_share=0.0,
        cache_write_share=0.0,
    )


def _key(spec: SelfHostingSpec, lengths: WorkloadSpec) -> Hashable:
    return tuple(_content(getattr(spec, f.name)) for f in fields(spec)), lengths


def _read_only(value: object) -> None:
    """Make every array field of a dataclass read-only: kept answers are shared by later
    estimates."""
    for f in fields(value):  # type: ignore[arg-type]
        array = getattr(value, f.name)
        if isinstance(array, np.ndarray):
            array.flags.writeable = False


class _Lru:
    """Least-recently-used entries, each with its weight (the candidates it holds), bounded
    in count and in total weight; not locked (the memo holds its lock around each call)."""

    def __init__(self, max_entries: int, max_weight: int) -> None:
        self.max_entries, self.max_weight = max_entries, max_weight
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._weight = 0

    def get(self, key: Hashable) -> Any | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: Hashable, value: Any, weight: int) -> None:
        """Keep `value`, then evict the oldest past either bound (one entry heavier than the
        whole bound is not kept)."""
        if weight > self.max_weight:
            return
        previous = self._entries.pop(key, None)
        self._weight += weight - (0 if previous is None else previous[1])
        self._entries[key] = (value, weight)
        while len(self._entries) > self.max_entries or self._weight > self.max_weight:
            self._weight -= self._entries.popitem(last=False)[1][1]


class CandidateMemo:
    """Least-recently-used maps from (spec content, lengths) to the candidates, from the
    candidates and the workload's shape to their option table, and from the candidates and a
    change to the candidates derived from them."""

    def __init__(
        self, max_entries: int = MAX_ENTRIES, max_candidates: int = MAX_CANDIDATES
    ) -> None:
        self._sets = _Lru(max_entries, max_candidates)
        # (holder, value) by (id(holder), key): `_held_by`.
        self._tables = _Lru(max_entries, max_candidates)
        self._derived = _Lru(max_entries, max_candidates)
        self._lock = threading.Lock()

    def candidates(self, spec: SelfHostingSpec, workload: WorkloadSpec) -> SelfHostingCandidates:
        lengths = lengths_only(workload)
        try:
            key = _key(spec, lengths)
        except TypeError:  # a field with no content key: computed, not kept
            return self_hosting_candidates(spec, lengths)
        with self._lock:
            found: SelfHostingCandidates | None = self._sets.get(key)
        MEMO_REQUESTS.labels(result="miss" if found is None else "hit").inc()
        if found is not None:
            return found
        found = self_hosting_candidates(spec, lengths)
        for candidate in found.candidates:
            if candidate.capacity is not None:
                _read_only(candidate.capacity)
        with self._lock:
            self._sets.put(key, found, len(found.candidates))
        return found

    def table(
        self,
        candidates: Candidates,
        workload: WorkloadSpec,
        assumptions: CostAssumptionsSpec,
        policy: SizingPolicySpec,
        build: BuildCostsSpec | None,
    ) -> OptionTable:
        """`build_option_table` of these arguments, built once per distinct content."""
        shape = table_shape(workload)
        try:
            key = (shape, _content(assumptions), _content(policy), _content(build))
        except TypeError:  # an argument with no content key: built, not kept
            return build_option_table(candidates, shape, assumptions, policy, build)

        def built() -> OptionTable:
            table = build_option_table(candidates, shape, assumptions, policy, build)
            _read_only(table)
            return table

        table, hit = self._held_by(self._tables, candidates, key, built)
        MEMO_REQUESTS.labels(result="table hit" if hit else "table miss").inc()
        return table

    def derived(
        self, base: Candidates, change: Hashable, build: Callable[[], Candidates]
    ) -> Candidates:
        """`build()`, candidates made from `base` by `change` (which must determine them, given
        `base`), kept as one object while `base` is: `table` then finds their table again."""
        return self._held_by(self._derived, base, change, build)[0]

    def _held_by(
        self, store: _Lru, holder: Candidates, key: Hashable, build: Callable[[], _T]
    ) -> tuple[_T, bool]:
        """`build()`, kept in `store` by `holder` (that very object) and `key`, and whether it
        was found there."""
        with self._lock:
            found: tuple[Candidates, _T] | None = store.get((id(holder), key))
        if found is not None and found[0] is holder:
            return found[1], True
        value = build()
        with self._lock:
            # The entry holds `holder`: its id cannot be reused while the entry is kept.
            store.put((id(holder), key), (holder, value), len(holder))
        return value, False

    def clear(self) -> None:
        with self._lock:
            self._sets = _Lru(self._sets.max_entries, self._sets.max_weight)
            self._tables = _Lru(self._tables.max_entries, self._tables.max_weight)
            self._derived = _Lru(self._derived.max_entries, self._derived.max_weight)


#: The worker's memo (each worker process has its own).
MEMO = CandidateMemo()
