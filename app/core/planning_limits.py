"""How much of each limit a plan uses (app/core/planning.py reports the limits that bind)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from app.core.planning_model import (
    AVAILABLE_PREFIX,
    MAX_SPOT_SHARE,
    POWER_CAP,
    UPFRONT_BUDGET,
    PlanDemand,
    PlanLimitsSpec,
    PlanModel,
)
from app.core.planning_pools import PlanPools
from app.core.workload import SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]

#: Tolerance of the limit checks (share, kW, USD below a cap that still count as at it).
EPS = 1e-6


def limit_usage(
    pools: PlanPools,
    demand: PlanDemand,
    limits: PlanLimitsSpec,
    model: PlanModel,
    values: FloatArray,
) -> dict[str, float]:
    """How much of each set limit the solution uses (instances, kW, USD, share)."""
    t = pools.table
    used: dict[str, float] = {}
    for label, _ in limits.available_instances:
        periods = demand.period_hours.size
        per_period = np.zeros(periods)
        for p in model.pools:
            if t.options[p.row].offering_slug != label:
                continue
            for k in range(periods):
                expr = p.instances[0 if p.held else k]
                per_period[k] += sum(values[c] * coef for c, coef in expr.items())
        used[AVAILABLE_PREFIX + label] = float(per_period.max(initial=0.0))
    gpus_owned = {
        p.row: sum(values[c] * coef for c, coef in p.instances[0].items())
        * float(t.gpus_per_instance[p.row])
        for p in model.pools
        if t.owned[p.row]
    }
    used[POWER_CAP] = sum(g * float(pools.kw_per_gpu[r]) for r, g in gpus_owned.items())
    used[UPFRONT_BUDGET] = sum(g * float(pools.capex_usd_per_gpu[r]) for r, g in gpus_owned.items())
    spot = 0.0
    for p in model.pools:
        if pools.spot[p.row]:
            for (_, k), col in p.interactive.items():
                spot += values[col] * demand.period_hours[k] * SECONDS_PER_HOUR
            spot += sum(values[col] for col in p.batch.values())
    volume = demand.requests_per_day
    used[MAX_SPOT_SHARE] = spot / volume if volume > 0 else 0.0
    return used


def smallest_unit(per_gpu: FloatArray, gpus_per_instance: FloatArray, rows: list[int]) -> float:
    """The smallest owned unit (instance or server) of a per-GPU quantity, just under it, so
    that a cap counts as binding when one more unit would not fit."""
    if not rows:
        return EPS
    return float(min(per_gpu[r] * gpus_per_instance[r] for r in rows)) - EPS
