"""Whether the hybrid programme (hybrid.py) can put any replica to use, without solving it.

Every split with serving replicas (n >= 1) has s = 1, so it pays the fixed cost of having a
fleet at all (team, fixed infrastructure, adaptation). Over the columns' bounds alone, the
rows ignored, such a split costs at least offset + that fixed cost + the cheapest value of
every other column within its bounds. The split without a fleet (s = n = 0) sends everything
to the API: offset + sum over hours of the overflow cost times the demand. When the bound
exceeds that by a clear margin, the MILP's only answer is n = 0 (or no answer), and either way
an estimate keeps no hybrid option: the solve can be skipped.
"""

from __future__ import annotations

import numpy as np

from app.core.arrays import FloatArray

#: Relative margin, far above HiGHS's tolerances (integrality 1e-6, feasibility 1e-7).
MARGIN = 1e-4


def fleet_cannot_pay(
    cost: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    offset: float,
    col_s: int,
    col_o: int,
    demand: FloatArray,
) -> bool:
    """True when no split with a fleet can cost less than the API alone (USD/month)."""
    others = np.ones(cost.size, dtype=bool)
    others[col_s] = False
    with np.errstate(invalid="ignore"):
        cheapest = np.where(cost >= 0, cost * lower, cost * upper)
    fixed = float(cost[col_s])
    bound = offset + min(fixed, fixed * (1.0 - MARGIN)) + float(cheapest[others].sum())
    api_only = offset + float(np.dot(cost[col_o : col_o + demand.size], demand))
    return bool(bound > api_only + MARGIN * max(abs(api_only), 1.0))
