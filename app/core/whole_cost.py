"""The whole cost of building, attached to an estimate's options: the team each option
assumes, what API options cost beyond their tokens, cash up front, cost shares with one plain
sentence, and the projection with time to production.

Pure glue over team.py, build_out.py and the option table; estimate.py calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from app.core.build_out import (
    TimeToProductionSpec,
    cost_shares,
    drivers_sentence,
    projection_with_build_out,
)
from app.core.economics import BuildCostsSpec
from app.core.option_table import OptionTable
from app.core.options import CostOption, OptionKind
from app.core.purchasing import PurchaseMode
from app.core.team import Team, self_hosted_team


@dataclass(frozen=True, slots=True)
class ApiExtrasSpec:
    """What one API option costs beyond its tokens (USD/month), and its cash up front (USD)."""

    people_usd_per_month: float = 0.0
    adaptation_usd_per_month: float = 0.0
    up_front_usd: float = 0.0
    team: Team | None = None

    @property
    def usd_per_month(self) -> float:
        return self.people_usd_per_month + self.adaptation_usd_per_month

    def breakdown(self) -> dict[str, float]:
        items = {"people": self.people_usd_per_month, "adaptation": self.adaptation_usd_per_month}
        return {name: usd for name, usd in items.items() if usd > 0}


@dataclass(frozen=True, slots=True)
class WholeCostSpec:
    """Inputs of the whole cost beyond GPUs and tokens (see module docstring)."""

    build: BuildCostsSpec = field(default_factory=BuildCostsSpec)
    api_extras: Mapping[str, ApiExtrasSpec] = field(default_factory=dict)
    time_to_production: TimeToProductionSpec | None = None
    # The API that serves the workload while self-hosting is built (None: the cheapest).
    interim_api_slug: str | None = None
    # Per open model: the first adaptation run, paid before self-hosting serves (USD).
    adaptation_up_front_usd: Mapping[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class OptionWholeCost:
    """What drives one option's cost, the team it assumes, and its cash up front.

    Treated as immutable but not declared frozen (one per option of every estimate; see
    app/core/options.py FleetPlan)."""

    cost_shares: dict[str, float]
    drivers: str
    up_front_usd: float
    team: Team | None = None
    horizon_total_usd: float | None = None


def with_api_extras(option: CostOption, extras: ApiExtrasSpec | None) -> CostOption:
    """An API option with its integration people and hosted fine-tuning added (USD/month)."""
    if extras is None or option.monthly_cost_usd is None or extras.usd_per_month == 0:
        return option
    total = option.monthly_cost_usd + extras.usd_per_month
    scale = total / option.monthly_cost_usd if option.monthly_cost_usd > 0 else 1.0
    per_mtok = None if option.usd_per_million_tokens is None else option.usd_per_million_tokens
    return replace(
        option,
        monthly_cost_usd=total,
        usd_per_million_tokens=None if per_mtok is None else per_mtok * scale,
        breakdown={**option.breakdown, **extras.breakdown()},
    )


def _fleet_team(
    spec: WholeCostSpec, option: CostOption, teams: dict[tuple[int, bool], Team]
) -> Team | None:
    """The team of an option's fleet; fleets of the same size share one (memo `teams`)."""
    if spec.build.team is None or option.fleet is None:
        return None
    key = (option.fleet.gpus, option.fleet.purchase_mode == PurchaseMode.OWNED.value)
    if key not in teams:
        teams[key] = self_hosted_team(spec.build.team, float(key[0]), owned=key[1])
    return teams[key]


def _fleet_up_front(spec: WholeCostSpec, option: CostOption, table: OptionTable, row: int) -> float:
    """Cash up front of a self-hosted or hybrid option: its model's first adaptation run and,
    for owned GPUs, the GPUs with their servers and networking (USD)."""
    fleet = option.fleet
    if fleet is None:
        return 0.0
    cash = spec.adaptation_up_front_usd.get(fleet.open_model, 0.0)
    if row < 0:
        return cash
    purchase = table.options[row]
    if purchase.mode is PurchaseMode.OWNED:
        per_gpu = (
            (purchase.purchase_usd_per_gpu or 0.0)
            + purchase.server_usd_per_gpu
            + purchase.networking_usd_per_gpu
        )
        cash += fleet.gpus * per_gpu
    return cash


def attach_whole_cost(
    spec: WholeCostSpec,
    option: CostOption,
    table: OptionTable,
    rows: Mapping[str, int],  # table row of each self-hosted and hybrid option, by option id
    horizon_totals: Mapping[str, float],
    teams: dict[tuple[int, bool], Team],
) -> CostOption:
    """`option` with its cost shares, drivers sentence, team and cash up front attached
    (`teams` memoises teams by fleet size across the options of one estimate)."""
    if not option.feasible:
        return option
    shares = cost_shares(option.breakdown)
    key = option.key
    option_id = key.id
    if key.kind is OptionKind.API:
        extras = spec.api_extras.get(str(key.api_model))
        team = None if extras is None else extras.team
        up_front = 0.0 if extras is None else extras.up_front_usd
    else:
        team = _fleet_team(spec, option, teams)
        up_front = _fleet_up_front(spec, option, table, rows.get(option_id, -1))
    whole = OptionWholeCost(
        shares, drivers_sentence(shares), up_front, team, horizon_totals.get(option_id)
    )
    return option.with_whole_cost(whole)


def apply_time_to_production(
    spec: WholeCostSpec,
    series: Mapping[str, tuple[float, ...]],
    interim_api_id: str | None,
    team_usd_per_month: Mapping[str, float],
) -> dict[str, tuple[float, ...]]:
    """Self-hosted and hybrid series with the build-out months counted (USD/month)."""
    ttp = spec.time_to_production
    if ttp is None:
        return dict(series)
    interim: tuple[float, ...] | None = None
    if interim_api_id is not None and interim_api_id in series:
        interim = series[interim_api_id]
    out: dict[str, tuple[float, ...]] = {}
    for option_id, values in series.items():
        if option_id not in team_usd_per_month:
            out[option_id] = values
            continue
        api = interim if interim is not None else (0.0,) * len(values)
        rows = projection_with_build_out(
            ttp if interim is not None else replace(ttp, interim_api=False),
            self_hosted_usd=values,
            interim_api_usd=api,
            team_usd_per_month=team_usd_per_month[option_id],
        )
        out[option_id] = tuple(rows.tolist())
    return out
