"""`np.unique` and `np.geomspace` for the small 1-D float arrays of the break-even searches,
with the very same numbers and a fraction of numpy's per-call cost.

Both numpy functions are general (any shape, dtype, sign, NaN policy, axis) and spend tens of
microseconds checking and dispatching for arrays of a few hundred values; an estimate calls
them a few dozen times. The versions here do the same arithmetic on the inputs the callers
give (positive, finite volumes and step counts); tests pin them against numpy.
"""

from __future__ import annotations

import numpy as np

from app.core.arrays import FloatArray


def sorted_unique(values: FloatArray) -> FloatArray:
    """`np.unique(values)` of a 1-D array: its distinct values, sorted.

    Sort, then keep each value that differs from the one before. For values without NaN or
    signed zeros (which numpy would collapse by its own rules) this is numpy's result;
    anything with a NaN goes to numpy."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    if ordered[-1] != ordered[-1]:  # NaN sorts last
        return np.unique(values)
    keep = np.empty(ordered.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def geomspace(start: float, stop: float, num: int) -> FloatArray:
    """`np.geomspace(start, stop, num)` for positive `start` and `stop`: what numpy computes
    for them (10 to the evenly spaced logarithms, the ends set to the inputs exactly),
    without the sign, dtype and axis handling."""
    if not (start > 0 and stop > 0) or num < 2:
        return np.geomspace(start, stop, num)
    log_start, log_stop = np.log10(np.array([start, stop], dtype=np.float64))
    result: FloatArray = np.power(10.0, np.linspace(log_start, log_stop, num))
    result[0] = start
    result[-1] = stop
    return result
