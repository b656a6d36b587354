"""Distinct option shapes of a table's rows, found by runs or by sorting."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from app.core.fleet_lookup import _distinct_sorted, distinct_rows

values = st.sampled_from([0.0, 1.0, 2.0, 8.0, 0.5, np.inf])
rows = st.lists(st.tuples(values, values, values), min_size=1, max_size=40)


def _check_grouping(columns: list[np.ndarray], first: np.ndarray, which: np.ndarray) -> None:
    keys = list(zip(*(c.tolist() for c in columns), strict=True))
    # Each row's code names a row with its very values, and equal rows share a code.
    for i, key in enumerate(keys):
        assert keys[int(first[which[i]])] == key
    codes = {key: int(code) for key, code in zip(keys, which, strict=True)}
    assert len(set(codes.values())) == len(codes) == first.size


@given(rows, st.integers(1, 5))
def test_distinct_rows_of_repeated_rows(data: list[tuple[float, ...]], repeats: int) -> None:
    # A sampled table repeats each option's row in a run: the runs shortcut groups rows as
    # sorting every row does.
    columns = [np.repeat(np.array(c, dtype=np.float64), repeats) for c in zip(*data, strict=True)]
    first, which = distinct_rows(columns)
    _check_grouping(columns, first, which)
    # The rows of several runs alike: distinct_rows may hash them, never sort them.
    sorted_first, sorted_which = _distinct_sorted(columns)
    assert first.size == sorted_first.size
    # The same partition of the rows (the numbering may differ).
    pairs = set(zip(which.tolist(), sorted_which.tolist(), strict=True))
    assert len(pairs) == first.size


@given(st.lists(st.tuples(values, values, values), min_size=70, max_size=120))
def test_distinct_rows_of_many_rows_without_runs(data: list[tuple[float, ...]]) -> None:
    columns = [np.array(c, dtype=np.float64) for c in zip(*data, strict=True)]
    first, which = distinct_rows(columns)
    _check_grouping(columns, first, which)
