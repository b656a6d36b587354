"""Self-hosting cost assumptions and the unit rates they imply.

What one instance, GPU, busy GPU-second, person or infrastructure line costs per purchase
option. `option_table.py` lays these rates out as arrays, `monthly_costs.py` turns them into
monthly fleet costs. Formulas and default values: docs/economics.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from app.core.arrays import BoolArray, FloatArray, IntArray
from app.core.errors import InvalidEstimateInputError
from app.core.fleet import ReplicaCapacitySpec
from app.core.infrastructure import (
    INFRASTRUCTURE_ITEMS,
    InfrastructureSpec,
    capital_usd_per_month,
    infrastructure_rates,
    weights_storage_usd_per_month,
)
from app.core.precision_bytes import WEIGHT_BYTES_PER_PARAM
from app.core.purchasing import PurchaseMode, PurchaseOptionSpec
from app.core.team import TeamSpec, team_cost_rates
from app.core.types import Precision
from app.core.workload import (
    HOURS_PER_MONTH,
    MONTHS_PER_YEAR,
    SECONDS_PER_HOUR,
    WATTS_PER_KW,
    WorkloadSpec,
)


@dataclass(frozen=True, slots=True)
class CostAssumptionsSpec:
    """Site, staff and discount assumptions. Defaults are placeholders to override; sources
    in docs/economics.md."""

    api_discount_share: float = 0.0
    cloud_discount_share: float = 0.0
    pue: float = 1.58  # Uptime Institute Global Data Center Survey 2023 industry average
    usd_per_kwh: float = 0.13  # EIA US commercial-sector average retail price, 2023-24
    hosting_usd_per_kw_month: float = 163.44  # CBRE NA Data Center Trends H2 2023, 250-500 kW
    # Server power beyond the GPUs (CPUs, memory, NICs, fans) as a share of GPU TDP:
    # NVIDIA DGX H100 is 10.2 kW max for 8 x 700 W GPUs -> 10.2 / 5.6 - 1 = 0.82.
    host_power_overhead_share: float = 0.82
    # Power drawn by an idle server, as a share of its maximum (linear idle-to-peak model).
    idle_power_share: float = 0.3
    staff_fte: float = 0.5
    staff_usd_per_fte_year: float = 200_000.0
    # Networking, storage, monitoring, egress and tooling as a share of compute + power + hosting.
    ops_overhead_share: float = 0.1
    # Annual cost of capital for owned hardware (0 = straight-line amortisation).
    cost_of_capital_per_year: float = 0.0

    def __post_init__(self) -> None:
        for name in ("api_discount_share", "cloud_discount_share", "idle_power_share"):
            value = getattr(self, name)
            if not (0.0 <= value < 1.0 or (name == "idle_power_share" and value == 1.0)):
                raise InvalidEstimateInputError(f"{name} must be within [0, 1)", value=value)
        if self.pue < 1.0:
            raise InvalidEstimateInputError("PUE is at least 1", pue=self.pue)
        for name in (
            "usd_per_kwh",
            "hosting_usd_per_kw_month",
            "host_power_overhead_share",
            "staff_fte",
            "staff_usd_per_fte_year",
            "ops_overhead_share",
            "cost_of_capital_per_year",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidEstimateInputError(f"{name} must be >= 0", value=value)


@dataclass(frozen=True, slots=True)
class BuildCostsSpec:
    """The whole cost of building beyond GPUs: the team model (app/core/team.py) replaces
    CostAssumptionsSpec.staff_fte x staff_usd_per_fte_year when set, and serving
    infrastructure is itemised (app/core/infrastructure.py) when set."""

    team: TeamSpec | None = None
    infrastructure: InfrastructureSpec | None = None
    # Per open model: total parameters (weights storage) and adaptation (USD/month).
    model_total_params: Mapping[str, float] = field(default_factory=dict)
    adaptation_usd_per_month: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SelfHostedCandidateSpec:
    """One open model on one GPU type at one TP degree and precision, with its buy options.

    `capacity` is None when the service layer already knows the candidate cannot run (say
    the weights do not fit); `infeasible_reason` then says why.
    """

    label: str
    open_model_slug: str
    gpu_slug: str
    tensor_parallel: int
    precision: str
    gpu_tdp_w: float
    capacity: ReplicaCapacitySpec | None
    purchase_options: tuple[PurchaseOptionSpec, ...]
    infeasible_reason: str | None = None
    pipeline_parallel: int = 1  # servers (pipeline stages) per replica


def owned_usd_per_gpu_month(option: PurchaseOptionSpec, cost_of_capital_per_year: float) -> float:
    """Capital cost of one owned GPU with its server and network share (USD/GPU-month).

    Straight-line over the amortisation period, or the level annuity payment when a cost of
    capital is given: P * r / (1 - (1 + r)^-n) with monthly rate r and n months; a residual
    value is netted out at its present value (app/core/infrastructure.py).
    """
    capex = (
        (option.purchase_usd_per_gpu or 0.0)
        + option.server_usd_per_gpu
        + option.networking_usd_per_gpu
    )
    return capital_usd_per_month(
        capex,
        residual_share=option.residual_value_share,
        cost_of_capital_per_year=cost_of_capital_per_year,
        years=option.amortization_years,
    )


@dataclass(frozen=True, slots=True, eq=False)
class UnitPrices:
    """Per option: what one instance, GPU or busy GPU-second costs (USD)."""

    per_instance_hour: FloatArray  # cloud, after discount; 0 when owned
    per_instance_month_fixed: FloatArray  # held 24/7: cloud x 730.5 h, or owned capex
    per_gpu_month_idle_power: FloatArray
    per_busy_gpu_s_power: FloatArray
    per_gpu_month_hosting: FloatArray


def unit_prices(
    options: list[PurchaseOptionSpec], tdp_w: FloatArray, assumptions: CostAssumptionsSpec
) -> UnitPrices:
    a = assumptions
    owned = np.array([o.mode is PurchaseMode.OWNED for o in options], dtype=np.bool_)
    gpus_per_instance = np.array([float(o.gpus_per_instance) for o in options])
    kw_per_gpu = tdp_w * (1.0 + a.host_power_overhead_share) / WATTS_PER_KW
    owned_month = np.array(
        [
            owned_usd_per_gpu_month(o, a.cost_of_capital_per_year)
            if o.mode is PurchaseMode.OWNED
            else 0.0
            for o in options
        ]
    )
    cloud_hour = np.array([o.cloud_usd_per_instance_hour for o in options])
    cloud_hour = cloud_hour * (1.0 - a.cloud_discount_share)
    kwh_per_gpu_hour = kw_per_gpu * a.pue
    return UnitPrices(
        per_instance_hour=np.where(owned, 0.0, cloud_hour),
        per_instance_month_fixed=np.where(
            owned, owned_month * gpus_per_instance, cloud_hour * HOURS_PER_MONTH
        ),
        per_gpu_month_idle_power=np.where(
            owned, kwh_per_gpu_hour * a.idle_power_share * HOURS_PER_MONTH * a.usd_per_kwh, 0.0
        ),
        per_busy_gpu_s_power=np.where(
            owned,
            kwh_per_gpu_hour * (1.0 - a.idle_power_share) * a.usd_per_kwh / SECONDS_PER_HOUR,
            0.0,
        ),
        per_gpu_month_hosting=np.where(owned, kw_per_gpu * a.hosting_usd_per_kw_month, 0.0),
    )


def build_rates(
    candidates: tuple[SelfHostedCandidateSpec, ...],
    candidate_index: IntArray,
    opts: list[PurchaseOptionSpec],
    owned: BoolArray,
    workload: WorkloadSpec,
    build: BuildCostsSpec,
) -> dict[str, FloatArray]:
    """Per-row rates of the whole cost of building: team, support, infrastructure, adaptation.

    `staff_fixed` is NaN where the flat staff_fte x staff_usd_per_fte_year applies instead.
    """
    n = len(opts)
    items = len(INFRASTRUCTURE_ITEMS)
    out = {
        "staff_fixed": np.full(n, np.nan),
        "staff_per_gpu": np.zeros(n),
        "support": np.where(
            owned, np.array([o.support_usd_per_gpu_year for o in opts]) / MONTHS_PER_YEAR, 0.0
        ),
        "infra_fixed": np.zeros((n, items)),
        "infra_per_instance": np.zeros((n, items)),
        "infra_per_request_day": np.zeros((n, items)),
        "adaptation": np.array(
            [build.adaptation_usd_per_month.get(c.open_model_slug, 0.0) for c in candidates]
        )[candidate_index]
        if candidates
        else np.zeros(n),
    }
    if build.team is not None:
        cloud_fixed, cloud_per_gpu = team_cost_rates(build.team, owned=False)
        owned_fixed, owned_per_gpu = team_cost_rates(build.team, owned=True)
        out["staff_fixed"] = np.where(owned, owned_fixed, cloud_fixed)
        out["staff_per_gpu"] = np.where(owned, owned_per_gpu, cloud_per_gpu)
    if build.infrastructure is not None and candidates:
        rates = infrastructure_rates(
            build.infrastructure,
            weights_bytes=0.0,
            input_tokens_per_request=workload.input_tokens_mean,
            output_tokens_per_request=workload.output_tokens_mean,
        )
        weights_bytes = np.array(
            [
                build.model_total_params.get(c.open_model_slug, 0.0)
                * WEIGHT_BYTES_PER_PARAM[Precision(c.precision)]
                for c in candidates
            ]
        )[candidate_index]
        out["infra_fixed"][:] = rates.fixed
        out["infra_fixed"][:, INFRASTRUCTURE_ITEMS.index("storage")] += (
            weights_storage_usd_per_month(build.infrastructure, weights_bytes)
        )
        out["infra_per_instance"][:] = rates.per_instance
        out["infra_per_request_day"][:] = rates.per_request_day
    return out
