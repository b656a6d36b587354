"""Range percentiles are the very numbers of numpy's inverted-CDF percentiles."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.uncertainty import PERCENTILES, percentiles


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 11, 99, 100, 101, 999, 1000, 1001])
@pytest.mark.parametrize("rows", [None, 0, 5])
def test_percentiles_equal_numpys_inverted_cdf(n: int, rows: int | None) -> None:
    rng = np.random.default_rng(n)
    values = rng.random((n,) if rows is None else (rows, n)) * 100
    if values.size:
        values[..., : n // 3] = np.round(values[..., : n // 3])  # ties
        values.flat[rng.integers(0, values.size, 3)] = np.inf  # "never"
        if rows:
            values[1, rng.integers(0, n)] = np.nan  # no traffic: USD/Mtok undefined
    expected = np.moveaxis(
        np.percentile(values, PERCENTILES, axis=-1, method="inverted_cdf"), 0, -1
    ).astype(np.float64)
    found = percentiles(values)
    assert found.shape == expected.shape
    np.testing.assert_array_equal(found, expected)
