"""Serving infrastructure as line items, and owned servers as people buy them.

Line items of a self-hosted fleet (USD/month), each fixed, per instance or per request:

- gateway: a load balancer per fleet, plus its per-request charge;
- observability: a monitoring agent per instance (host);
- storage: the weights kept `checkpoints_kept` times, plus request logs for the retention;
- egress: streamed responses sent to the internet.

Owned servers: the GPUs, the rest of the system (CPUs, memory, NICs, chassis) and the cluster
network are bought up front; the capital is repaid as a level annuity at the cost of capital,
less the present value of the residual value; support contracts are paid yearly. Sources:
app/core/build_defaults.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

from app.core.arrays import FloatArray
from app.core.build_defaults import default
from app.core.errors import InvalidEstimateInputError
from app.core.workload import DAYS_PER_MONTH, TOKENS_PER_MTOK

BYTES_PER_GB = 1e9
_Bytes = TypeVar("_Bytes", float, FloatArray)
MONTHS_PER_YEAR = 12.0
#: The line items, in the order they are reported.
INFRASTRUCTURE_ITEMS = ("gateway", "observability", "storage", "egress")


@dataclass(frozen=True, slots=True)
class InfrastructureSpec:
    """Unit prices and sizes of the serving stack around a self-hosted fleet."""

    gateway_usd_per_month: float = default("infrastructure.gateway_usd_per_month")
    gateway_usd_per_million_requests: float = default(
        "infrastructure.gateway_usd_per_million_requests"
    )
    observability_usd_per_host_month: float = default(
        "infrastructure.observability_usd_per_host_month"
    )
    storage_usd_per_gb_month: float = default("infrastructure.storage_usd_per_gb_month")
    checkpoints_kept: float = default("infrastructure.checkpoints_kept")
    log_bytes_per_token: float = default("infrastructure.log_bytes_per_token")
    log_retention_months: float = default("infrastructure.log_retention_months")
    egress_usd_per_gb: float = default("infrastructure.egress_usd_per_gb")
    egress_bytes_per_output_token: float = default("infrastructure.egress_bytes_per_output_token")

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidEstimateInputError(f"infrastructure.{name} must be >= 0", value=value)


@dataclass(frozen=True, slots=True)
class InfrastructureRates:
    """One option's line items as fixed (USD/month), per instance (USD/instance-month) and
    per request/day of volume (USD/month per request/day), in INFRASTRUCTURE_ITEMS order."""

    fixed: tuple[float, float, float, float]
    per_instance: tuple[float, float, float, float]
    per_request_day: tuple[float, float, float, float]

    def lines(self, instances: float, requests_per_day: float) -> dict[str, float]:
        """The line items for a fleet of `instances` serving `requests_per_day` (USD/month)."""
        return {
            item: fixed + per_instance * instances + per_request * requests_per_day
            for item, fixed, per_instance, per_request in zip(
                INFRASTRUCTURE_ITEMS,
                self.fixed,
                self.per_instance,
                self.per_request_day,
                strict=True,
            )
        }


def infrastructure_rates(
    spec: InfrastructureSpec,
    *,
    weights_bytes: float,
    input_tokens_per_request: float,
    output_tokens_per_request: float,
) -> InfrastructureRates:
    """Line-item rates for a fleet serving a model of `weights_bytes` (see module docstring)."""
    if not (
        weights_bytes >= 0 and input_tokens_per_request >= 0 and output_tokens_per_request >= 0
    ):
        raise InvalidEstimateInputError("weights and token counts must be >= 0")
    requests_per_month = DAYS_PER_MONTH  # per request/day of volume
    gateway = spec.gateway_usd_per_million_requests / TOKENS_PER_MTOK * requests_per_month
    tokens = input_tokens_per_request + output_tokens_per_request
    log_gb = tokens * spec.log_bytes_per_token / BYTES_PER_GB * requests_per_month
    logs = log_gb * spec.log_retention_months * spec.storage_usd_per_gb_month
    weights = weights_storage_usd_per_month(spec, weights_bytes)
    egress_gb = output_tokens_per_request * spec.egress_bytes_per_output_token / BYTES_PER_GB
    egress = egress_gb * requests_per_month * spec.egress_usd_per_gb
    return InfrastructureRates(
        fixed=(spec.gateway_usd_per_month, 0.0, weights, 0.0),
        per_instance=(0.0, spec.observability_usd_per_host_month, 0.0, 0.0),
        per_request_day=(gateway, 0.0, logs, egress),
    )


def weights_storage_usd_per_month(spec: InfrastructureSpec, weights_bytes: _Bytes) -> _Bytes:
    """Storing `checkpoints_kept` copies of a model's weights (USD/month), per element."""
    return weights_bytes / BYTES_PER_GB * spec.checkpoints_kept * spec.storage_usd_per_gb_month


@dataclass(frozen=True, slots=True)
class OwnedServerSpec:
    """How whole servers are bought: the parts beyond the GPUs, financing and support."""

    server_usd_per_gpu: float = default("owned.server_usd_per_gpu")
    networking_share: float = default("owned.networking_share")
    support_usd_per_gpu_year: float = default("owned.support_usd_per_gpu_year")
    cost_of_capital_per_year: float = default("owned.cost_of_capital_per_year")
    residual_value_share: float = default("owned.residual_value_share")
    amortization_years: float = 4.0

    def __post_init__(self) -> None:
        for name in ("server_usd_per_gpu", "support_usd_per_gpu_year", "cost_of_capital_per_year"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidEstimateInputError(f"owned.{name} must be >= 0", value=value)
        for name in ("networking_share", "residual_value_share"):
            value = getattr(self, name)
            if not (0 <= value < 1):
                raise InvalidEstimateInputError(f"owned.{name} must be within [0, 1)", value=value)
        if not (self.amortization_years > 0):
            raise InvalidEstimateInputError("owned.amortization_years must be > 0")

    def networking_usd_per_gpu(self, gpu_usd: float) -> float:
        """Cluster network per GPU: the share of the whole capital that networking takes."""
        system = gpu_usd + self.server_usd_per_gpu
        return system * self.networking_share / (1.0 - self.networking_share)


def capital_usd_per_month(
    capex_usd: float, *, residual_share: float, cost_of_capital_per_year: float, years: float
) -> float:
    """Level monthly payment that repays `capex_usd` less the residual value (USD/month).

    P = (C - R (1 + r)^-n) r / (1 - (1 + r)^-n) with monthly rate r over n months; with r = 0,
    straight-line (C - R) / n.
    """
    months = years * MONTHS_PER_YEAR
    residual = capex_usd * residual_share
    rate = cost_of_capital_per_year / MONTHS_PER_YEAR
    if rate == 0.0:
        return (capex_usd - residual) / months
    discount = (1.0 + rate) ** (-months)
    return float((capex_usd - residual * discount) * rate / (1.0 - discount))


@dataclass(frozen=True, slots=True)
class OwnedServerCost:
    """One owned server: up-front cash and what it costs per month (USD)."""

    gpus: int
    up_front_usd: float  # GPUs + rest of system + cluster networking
    capital_usd_per_month: float
    support_usd_per_month: float

    @property
    def usd_per_month(self) -> float:
        return self.capital_usd_per_month + self.support_usd_per_month


def owned_server_cost(spec: OwnedServerSpec, *, gpu_usd: float, gpus: int) -> OwnedServerCost:
    """Buying one server of `gpus` GPUs at `gpu_usd` each, on `spec`'s terms."""
    if not (gpu_usd >= 0 and gpus >= 1):
        raise InvalidEstimateInputError("gpu_usd must be >= 0 and gpus >= 1")
    per_gpu = gpu_usd + spec.server_usd_per_gpu + spec.networking_usd_per_gpu(gpu_usd)
    up_front = per_gpu * gpus
    capital = capital_usd_per_month(
        up_front,
        residual_share=spec.residual_value_share,
        cost_of_capital_per_year=spec.cost_of_capital_per_year,
        years=spec.amortization_years,
    )
    return OwnedServerCost(
        gpus, up_front, capital, spec.support_usd_per_gpu_year * gpus / MONTHS_PER_YEAR
    )
