"""Routing mixes: a share of the requests goes to a smaller model, the rest to a larger one.

Each part is priced at its own share of the volume (the same request mix, so tokens split in
the same proportion) and may be an API model or a self-hosted fleet. A mix of two API models
costs exactly the share-weighted average of the pure options (prices are linear). Fleets have
fixed costs (staff, whole replicas), so a mix with a fleet can cost more than either pure
option; when both parts are self-hosted, one team runs both fleets and staff is counted once
(the larger of the two staff lines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.core.errors import InvalidEstimateInputError
from app.core.monthly_costs import fleet_costs
from app.core.option_table import OptionTable

IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class MixPart:
    """One side of a mix: an API model (`api_slug`) or an option-table row (`table_row`)."""

    api_slug: str | None
    table_row: int | None
    request_share: float
    monthly_cost_usd: float
    staff_usd_per_month: float = 0.0


@dataclass(frozen=True, slots=True)
class RoutingMix:
    """A blend priced as an option of its own (USD/month)."""

    small: MixPart
    large: MixPart
    monthly_cost_usd: float


def _cheapest_api(api_slopes: dict[str, float], volume: float) -> tuple[str, float] | None:
    if not api_slopes:
        return None
    slug = min(api_slopes, key=lambda s: (api_slopes[s], s))
    return slug, api_slopes[slug] * volume


def _cheapest_fleet(
    table: OptionTable, rows: IntArray, volume: float
) -> tuple[int, float, float] | None:
    rows = np.asarray(rows, dtype=np.intp)
    rows = rows[table.feasible[rows]]
    if rows.size == 0:
        return None
    costs = fleet_costs(table, rows, np.full(rows.size, volume))
    best = int(np.argmin(costs.total))
    if not math.isfinite(float(costs.total[best])):
        return None
    return int(rows[best]), float(costs.total[best]), float(costs.staff[best])


def routing_mixes(
    table: OptionTable,
    requests_per_day: float,
    small_share: float,
    *,
    small_rows: IntArray,
    large_rows: IntArray,
    small_api_slopes: dict[str, float],
    large_api_slopes: dict[str, float],
) -> tuple[RoutingMix, ...]:
    """The cheapest mix for each pairing of kinds (API or fleet for each side), cheapest first.

    `*_api_slopes` are monthly USD per request/day of each API model; `*_rows` are the
    option-table rows allowed on each side. Pairs that repeat a pure option are left out.
    """
    if not (0.0 < small_share < 1.0):
        raise InvalidEstimateInputError("the small model's share must be within (0, 1)")
    small_volume = requests_per_day * small_share
    large_volume = requests_per_day - small_volume
    smalls: list[MixPart] = []
    larges: list[MixPart] = []
    for parts, rows, slopes, volume, share in (
        (smalls, small_rows, small_api_slopes, small_volume, small_share),
        (larges, large_rows, large_api_slopes, large_volume, 1.0 - small_share),
    ):
        api = _cheapest_api(slopes, volume)
        if api is not None:
            parts.append(MixPart(api[0], None, share, api[1]))
        fleet = _cheapest_fleet(table, rows, volume)
        if fleet is not None:
            parts.append(MixPart(None, fleet[0], share, fleet[1], fleet[2]))
    mixes = []
    for small in smalls:
        for large in larges:
            same_api = small.api_slug is not None and small.api_slug == large.api_slug
            same_row = small.table_row is not None and small.table_row == large.table_row
            if same_api or same_row:
                continue
            shared_staff = 0.0
            if small.table_row is not None and large.table_row is not None:
                shared_staff = min(small.staff_usd_per_month, large.staff_usd_per_month)
            total = small.monthly_cost_usd + large.monthly_cost_usd - shared_staff
            mixes.append(RoutingMix(small, large, total))
    return tuple(sorted(mixes, key=lambda m: m.monthly_cost_usd))
