"""Turn rows of the option table (and API costs, and hybrid plans) into `CostOption`s.

A full catalog has thousands of self-hosted rows and a caller usually shows only the cheapest
few, so rows are built on demand.
"""

from __future__ import annotations

from dataclasses import replace

from app.core.api_cost import ApiCost
from app.core.economics import SelfHostedCandidateSpec
from app.core.hybrid import HybridPlan
from app.core.monthly_costs import COST_COMPONENTS, FleetCosts
from app.core.option_table import OptionTable
from app.core.options import CostOption, FleetPlan, OptionKey, OptionKind
from app.core.purchasing import PurchaseOptionSpec
from app.core.workload import TOKENS_PER_MTOK

#: Cost components every self-hosted breakdown lists, in order; the rest of COST_COMPONENTS
#: (support, infrastructure line items, adaptation) appear where they cost something.
SELF_HOSTED_COMPONENTS = ("compute", "power", "hosting", "staff", "overhead")
_EXTRA_COMPONENTS = tuple(c for c in COST_COMPONENTS if c not in SELF_HOSTED_COMPONENTS)
_FLEET_COLUMNS = (
    "peak_serving_replicas",
    "peak_replicas",
    "peak_instances",
    "peak_gpus",
    "average_gpus",
    "average_utilisation",
    "gpu_utilisation",
)


def usd_per_mtok(monthly_usd: float, tokens_per_month: float) -> float | None:
    """Monthly cost over monthly tokens (USD per 10^6 tokens); None without traffic."""
    return monthly_usd / tokens_per_month * TOKENS_PER_MTOK if tokens_per_month > 0 else None


def row_key(
    candidates: tuple[SelfHostedCandidateSpec, ...], table: OptionTable, row: int
) -> OptionKey:
    """The key of option-table row `row` (built from `candidates`)."""
    return purchase_key(candidates[int(table.candidate_index[row])], table.options[row])


def purchase_key(candidate: SelfHostedCandidateSpec, purchase: PurchaseOptionSpec) -> OptionKey:
    """The key of `candidate` paid for with `purchase` (one option-table row)."""
    return OptionKey(
        kind=OptionKind.SELF_HOSTED,
        open_model=candidate.open_model_slug,
        gpu=candidate.gpu_slug,
        tensor_parallel=candidate.tensor_parallel,
        precision=candidate.precision,
        purchase_mode=purchase.mode.value,
        offering=purchase.offering_slug,
        pipeline_parallel=candidate.pipeline_parallel,
    )


def row_label(candidates: tuple[SelfHostedCandidateSpec, ...], table: OptionTable, row: int) -> str:
    """The label of option-table row `row`: candidate, purchase mode and what was priced."""
    return purchase_label(candidates[int(table.candidate_index[row])], table.options[row])


def purchase_label(candidate: SelfHostedCandidateSpec, purchase: PurchaseOptionSpec) -> str:
    """The label of `candidate` paid for with `purchase` (one option-table row)."""
    suffix = f" ({purchase.label})" if purchase.label else ""
    return f"{candidate.label} · {purchase.mode}{suffix}"


class SelfHostedOptions:
    """Builds the self-hosted `CostOption` of any row of an option table."""

    def __init__(
        self,
        candidates: tuple[SelfHostedCandidateSpec, ...],
        table: OptionTable,
        costs: FleetCosts,
        tokens_per_month: float,
    ) -> None:
        self.candidates, self.table, self.tokens_per_month = candidates, table, tokens_per_month
        # Plain Python lists: per-element numpy indexing would dominate the builders.
        self.columns = {
            name: getattr(costs, name).tolist()
            for name in ("total", *COST_COMPONENTS, *_FLEET_COLUMNS)
        }
        self.feasible = table.feasible.tolist()
        self.candidate_index = table.candidate_index.tolist()
        # Keys by row: options, break-even curves and projections ask for the same rows' keys.
        self._keys: dict[int, OptionKey] = {}

    def candidate(self, row: int) -> SelfHostedCandidateSpec:
        return self.candidates[int(self.candidate_index[row])]

    def key(self, row: int) -> OptionKey:
        key = self._keys.get(row)
        if key is None:
            candidate = self.candidates[self.candidate_index[row]]  # a list: no numpy scalars
            key = self._keys[row] = purchase_key(candidate, self.table.options[row])
        return key

    def label(self, row: int) -> str:
        return purchase_label(self.candidates[self.candidate_index[row]], self.table.options[row])

    def build(self, row: int) -> CostOption:
        if not self.feasible[row]:
            return CostOption(
                self.key(row), self.label(row), False, self.table.reasons[row], None, None, {}
            )
        columns = self.columns
        total = columns["total"][row]
        breakdown = {name: columns[name][row] for name in SELF_HOSTED_COMPONENTS}
        for name in _EXTRA_COMPONENTS:
            usd = columns[name][row]
            if usd != 0:
                breakdown[name] = usd
        return CostOption(
            self.key(row),
            self.label(row),
            True,
            None,
            total,
            usd_per_mtok(total, self.tokens_per_month),
            breakdown,
            self._fleet(row),
            1.0,
        )

    def _fleet(self, row: int) -> FleetPlan:
        """Positional arguments in field order: one FleetPlan per option of every estimate."""
        columns = self.columns
        candidate = self.candidates[self.candidate_index[row]]
        purchase = self.table.options[row]
        capacity = self.table.capacities[row]
        replicas, gpus = int(columns["peak_replicas"][row]), int(columns["peak_gpus"][row])
        return FleetPlan(
            candidate.open_model_slug,
            candidate.gpu_slug,
            candidate.tensor_parallel,
            candidate.precision,
            purchase.mode.value,
            purchase.offering_slug,
            int(columns["peak_serving_replicas"][row]),  # serving_replicas
            replicas,
            int(columns["peak_instances"][row]),  # instances
            gpus,
            capacity.gpus_per_replica,
            purchase.gpus_per_instance,
            float(columns["average_gpus"][row]),
            float(columns["average_utilisation"][row]),
            float(columns["gpu_utilisation"][row]),
            gpus - replicas * capacity.gpus_per_replica,  # unused_gpus
            capacity.interactive_requests_per_s,  # replica_requests_per_s
            capacity.operating_concurrency,
            capacity.ttft_s,
            capacity.tpot_s,
            candidate.pipeline_parallel,
        )


def api_option(cost: ApiCost, *, context_too_small: bool = False) -> CostOption:
    """The API model's option; infeasible when its context window cannot hold the requests."""
    key = OptionKey(OptionKind.API, api_model=cost.slug)
    if context_too_small:
        reason = (
            f"context window too small: {cost.context_overflow_share:.1%} of requests "
            "(input + output) do not fit"
        )
        return CostOption(key, cost.slug, False, reason, None, None, {})
    return CostOption(
        key=key,
        label=cost.slug,
        feasible=True,
        reason=None,
        monthly_cost_usd=cost.monthly_cost_usd,
        usd_per_million_tokens=cost.usd_per_million_tokens,
        breakdown=dict(cost.breakdown),
    )


def hybrid_option(
    plan: HybridPlan, base: CostOption, cost: ApiCost, tokens_per_month: float
) -> CostOption:
    """The held fleet of `base` taking the base load, `cost`'s API model the rest."""
    fleet = None
    if base.fleet is not None:
        fleet = replace(
            base.fleet,
            serving_replicas=plan.serving_replicas,
            replicas=plan.replicas,
            instances=plan.instances,
            gpus=plan.gpus,
            average_gpus=float(plan.gpus),
            average_utilisation=plan.average_utilisation,
            gpu_utilisation=plan.gpu_utilisation,
            unused_gpus=plan.gpus - plan.replicas * base.fleet.gpus_per_replica,
        )
    return CostOption(
        key=base.key.with_api_model(OptionKind.HYBRID, cost.slug),
        label=f"{base.label} + {cost.slug}",
        feasible=True,
        reason=None,
        monthly_cost_usd=plan.monthly_cost_usd,
        usd_per_million_tokens=usd_per_mtok(plan.monthly_cost_usd, tokens_per_month),
        breakdown=dict(plan.breakdown),
        fleet=fleet,
        self_hosted_request_share=plan.self_hosted_request_share,
    )
