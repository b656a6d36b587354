"""The fast `sorted_unique` and `geomspace` give numpy's numbers exactly."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.array_ops import geomspace, sorted_unique


@pytest.mark.parametrize("seed", range(20))
def test_geomspace_equals_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(50):
        lo = float(10 ** rng.uniform(-3, 9))
        hi = lo * float(10 ** rng.uniform(0.01, 6))
        for num in (2, 3, 25, 100, 101):
            np.testing.assert_array_equal(geomspace(lo, hi, num), np.geomspace(lo, hi, num))
    # Whole numbers, as the step searches give them.
    for j_lo, j_hi in [(1, 7), (3, 10_000), (12, 12_345_678)]:
        np.testing.assert_array_equal(geomspace(j_lo, j_hi, 100), np.geomspace(j_lo, j_hi, 100))


def test_geomspace_outside_its_domain_is_numpy() -> None:
    np.testing.assert_array_equal(geomspace(-5.0, -1.0, 7), np.geomspace(-5.0, -1.0, 7))
    np.testing.assert_array_equal(geomspace(2.0, 9.0, 1), np.geomspace(2.0, 9.0, 1))


@pytest.mark.parametrize("seed", range(20))
def test_sorted_unique_equals_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.round(rng.uniform(1, 50, size=int(rng.integers(0, 300))), 1)
    values = np.concatenate([values, values[: values.size // 3]])
    np.testing.assert_array_equal(sorted_unique(values), np.unique(values))
    assert sorted_unique(values).dtype == np.unique(values).dtype


def test_sorted_unique_small_and_nan() -> None:
    for values in ([], [3.0], [2.0, 2.0], [5.0, 1.0, np.nan, 1.0, np.nan]):
        array = np.asarray(values, dtype=np.float64)
        np.testing.assert_array_equal(sorted_unique(array), np.unique(array))
