"""What a decision is asked and what it answers: the spec, the named options, ranges and mixes.

Shared by `decision.py` (tiers, mixes, the answer) and `decision_ranges.py` (P10/P50/P90).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.api_cost import ApiPriceSpec
from app.core.breakeven_search import EnvelopeWindows
from app.core.economics import CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.fleet import SizingPolicySpec
from app.core.option_builder import row_key, row_label
from app.core.option_table import OptionTable
from app.core.options import OptionKey, OptionKind
from app.core.quality import QualityBarSpec, QualityTier, QualityVerdict, Scores, TierBreakEven
from app.core.routing import RoutingMix
from app.core.sensitivity import TornadoBar
from app.core.uncertainty import UncertaintySpec
from app.core.whole_cost import WholeCostSpec
from app.core.workload import WorkloadSpec


@dataclass(frozen=True, slots=True)
class DecisionSpec:
    """The estimate's inputs plus what the manager asked for (each part optional)."""

    workload: WorkloadSpec
    api_prices: tuple[ApiPriceSpec, ...]
    candidates: tuple[SelfHostedCandidateSpec, ...]  # not filtered by quality
    assumptions: CostAssumptionsSpec = field(default_factory=CostAssumptionsSpec)
    policy: SizingPolicySpec = field(default_factory=SizingPolicySpec)
    quality: QualityBarSpec | None = None
    scores: Scores = field(default_factory=dict)
    reference_api_slug: str | None = None  # default: the cheapest API model in the tier
    routing_small_share: float | None = None
    uncertainty: UncertaintySpec | None = None
    sensitivity: bool = False
    # Throughput log-sigma per candidate (its regime's error band); empty: the uncertainty
    # spec's single sigma for every option.
    throughput_log_sigma_by_candidate: tuple[float, ...] = ()
    requests_per_day_min: float | None = None
    requests_per_day_max: float | None = None
    # The whole cost of building (issue 11): team and infrastructure in the option table, and
    # API options' fixed people and adaptation costs; None: tokens and GPUs only.
    whole: WholeCostSpec | None = None
    # Break-even envelopes already built over these candidates with those below the quality
    # bar infeasible (the estimate's, same workload, assumptions, policy and build costs): the
    # equal-quality tier's, reused instead of rebuilt (`quality.tier_break_evens`); their
    # table, with the reasons of these candidates, is the decision's table (`with_reasons`).
    equal_quality_envelopes: EnvelopeWindows | None = None


@dataclass(frozen=True, slots=True)
class OptionName:
    """An option's id (from its key) and label, as in the estimate's options."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class OptionRange:
    """P10/P50/P90 of one option and how often it is the cheapest in the compared tier."""

    option: OptionName
    monthly_cost_usd: tuple[float, float, float]
    usd_per_million_tokens: tuple[float, float, float]
    probability_cheapest: float


@dataclass(frozen=True, slots=True)
class BreakEvenRange:
    """A tier's break-even volume (req/day): the exact point value and its P10/P50/P90 (None:
    self-hosting never wins within the range at that percentile)."""

    tier: QualityTier
    api_slug: str
    requests_per_day: float | None
    p10: float | None
    p50: float | None
    p90: float | None
    share_of_samples_self_hosting_wins: float


@dataclass(frozen=True, slots=True)
class NamedMix:
    """A routing mix with both parts named."""

    small: OptionName
    large: OptionName
    mix: RoutingMix


@dataclass(frozen=True, slots=True)
class DecisionResult:
    verdicts: dict[str, QualityVerdict]
    reference_api_slug: str | None
    tiers: tuple[TierBreakEven, ...]
    option_ranges: tuple[OptionRange, ...] = ()
    break_even_ranges: tuple[BreakEvenRange, ...] = ()
    tornado: tuple[TornadoBar, ...] = ()
    answer: str | None = None
    mixes: tuple[NamedMix, ...] = ()
    samples: int = 0


def api_name(slug: str) -> OptionName:
    return OptionName(OptionKey(OptionKind.API, api_model=slug).id, slug)


def row_name(spec: DecisionSpec, table: OptionTable, row: int) -> OptionName:
    return OptionName(
        row_key(spec.candidates, table, row).id, row_label(spec.candidates, table, row)
    )
