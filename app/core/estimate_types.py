"""What one estimate is given and what it returns: `EstimateSpec` in, `EstimateResult` out
(ranked options, break-evens with their curve options, and the growth projection).

The phases that fill them are in `estimate.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app import __version__
from app.core.api_cost import ApiPriceSpec
from app.core.breakeven import BreakEven
from app.core.breakeven_search import BreakEvenOutcome, EnvelopeWindows
from app.core.economics import CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.fleet import SizingPolicySpec
from app.core.options import CostOption, OptionKey
from app.core.whole_cost import WholeCostSpec
from app.core.workload import WorkloadSpec

#: Version of the estimation formulas; stored with saved analyses so results can be replayed.
#: The service's one version (app/__init__.py), so the report and the API never disagree.
CORE_VERSION = __version__


@dataclass(frozen=True, slots=True)
class EstimateSpec:
    """Everything one estimate needs; defaults are documented in docs/economics.md."""

    workload: WorkloadSpec
    api_prices: tuple[ApiPriceSpec, ...]
    candidates: tuple[SelfHostedCandidateSpec, ...]
    assumptions: CostAssumptionsSpec = field(default_factory=CostAssumptionsSpec)
    policy: SizingPolicySpec = field(default_factory=SizingPolicySpec)
    # Hybrid splits are solved for this many cheapest held (committed/owned) options ...
    hybrid_top_options: int = 3
    # ... against these API models (None: the cheapest API model only).
    hybrid_api_slugs: tuple[str, ...] | None = None
    # Break-even search range (None: 1/100 to 100 x the workload's volume).
    break_even_requests_per_day_min: float | None = None
    break_even_requests_per_day_max: float | None = None
    break_even_grid_points: int = 100
    # Projection for every API model, every hybrid and this many cheapest self-hosted options
    # (None: all of them).
    projection_top_self_hosted: int | None = 10
    # Feasible self-hosted options returned in full, cheapest first (None: all). The rest are
    # still priced, ranked and counted (`feasible_self_hosted_total`). Equivalent options are
    # folded first, so a few times more are built to fill the list.
    max_self_hosted_options: int | None = None
    # Open models whose cheapest option is always built, however far down it ranks.
    pinned_open_models: tuple[str, ...] = ()
    # The whole cost of building (team, infrastructure, adaptation, time to production);
    # None: GPUs, power, hosting, flat staff and overhead only.
    whole: WholeCostSpec | None = None


@dataclass(frozen=True, slots=True)
class ProjectionSeries:
    """Monthly cost of one option over the horizon (USD/month): autoscaled fleets follow the
    volume, committed and owned capacity is kept for its term (`stranded_usd`: what that
    costs beyond a fleet resized to the month), and owned fleets add a cash view."""

    option_id: str
    monthly_cost_usd: tuple[float, ...]
    stranded_usd: tuple[float, ...] | None = None
    cash_usd: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class CurveOption:
    """The cheapest self-hosted option at a break-even curve point."""

    id: str
    label: str
    key: OptionKey


@dataclass(frozen=True, slots=True)
class BreakEvenAnswer:
    """One API model's break-even (over the range searched), what the search concluded, and
    the cheapest self-hosted option at each curve point (None where none can serve)."""

    result: BreakEven
    outcome: BreakEvenOutcome
    curve_options: tuple[CurveOption | None, ...]


@dataclass(frozen=True, slots=True)
class EstimateResult:
    """Ranked options (feasible by cost, then infeasible), break-evens and projection."""

    options: tuple[CostOption, ...]
    break_evens: tuple[BreakEvenAnswer, ...]
    projection_requests_per_day: tuple[float, ...]
    projection: tuple[ProjectionSeries, ...]
    tokens_per_month: float
    feasible_self_hosted_total: int = 0
    core_version: str = CORE_VERSION
    # The break-even envelopes built (by window) over the estimate's option table: a decision
    # on the same candidates reuses them for its equal-quality tier (`DecisionSpec`).
    envelopes: EnvelopeWindows | None = field(default=None, compare=False, repr=False)
