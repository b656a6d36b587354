"""Ways to pay for GPUs: purchase modes, offering prices, owned terms, and the choice of the
cheapest purchase option per GPU type, replica size and mode.

The service layer maps catalog rows and request fields into the specs here; nothing in this
module knows about the database or the schema. Formulas that turn these options into monthly
costs live in `economics.py` (unit rates) and `monthly_costs.py`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.errors import InvalidEstimateInputError


class PurchaseMode(StrEnum):
    """How GPUs are paid for; the request schema's Literal is derived from this enum."""

    ON_DEMAND = "on_demand"
    COMMITTED_1Y = "committed_1y"
    COMMITTED_3Y = "committed_3y"
    SPOT = "spot"
    OWNED = "owned"


#: Modes whose fleet follows the hourly demand (billed per hour actually held).
AUTOSCALED_MODES = frozenset({PurchaseMode.ON_DEMAND, PurchaseMode.SPOT})
#: Modes priced per instance-hour from a cloud offering.
CLOUD_MODES: tuple[PurchaseMode, ...] = tuple(
    m for m in PurchaseMode if m is not PurchaseMode.OWNED
)


@dataclass(frozen=True, slots=True)
class PurchaseOptionSpec:
    """How GPUs are paid for. Cloud modes need a per-GPU-hour or per-instance-hour price;
    `owned` needs a purchase price per GPU. `gpus_per_instance` is the instance (or, when
    owned, server) size: fleets are bought in whole instances."""

    mode: PurchaseMode
    label: str = ""
    usd_per_gpu_hour: float | None = None
    usd_per_instance_hour: float | None = None
    gpus_per_instance: int = 1
    purchase_usd_per_gpu: float | None = None
    # Server chassis, CPUs, memory, networking and storage, shared out per GPU (owned only).
    server_usd_per_gpu: float = 0.0
    amortization_years: float = 3.0
    # Catalog offering the price came from (None: the user's own price or owned hardware).
    offering_slug: str | None = None
    # Owned only: cluster networking per GPU (capital), support contracts (USD/GPU-year) and
    # the share of the capital left at the end of the amortisation period.
    networking_usd_per_gpu: float = 0.0
    support_usd_per_gpu_year: float = 0.0
    residual_value_share: float = 0.0

    def __post_init__(self) -> None:
        if self.gpus_per_instance < 1:
            raise InvalidEstimateInputError("gpus_per_instance must be >= 1", label=self.label)
        if self.mode is PurchaseMode.OWNED:
            if self.purchase_usd_per_gpu is None or self.purchase_usd_per_gpu < 0:
                raise InvalidEstimateInputError(
                    "an owned option needs purchase_usd_per_gpu >= 0", label=self.label
                )
            if not (self.amortization_years > 0) or self.server_usd_per_gpu < 0:
                raise InvalidEstimateInputError(
                    "amortization_years must be > 0 and server_usd_per_gpu >= 0", label=self.label
                )
            if not (
                self.networking_usd_per_gpu >= 0
                and self.support_usd_per_gpu_year >= 0
                and 0 <= self.residual_value_share < 1
            ):
                raise InvalidEstimateInputError(
                    "networking and support must be >= 0 and residual_value_share in [0, 1)",
                    label=self.label,
                )
        else:
            prices = [
                p for p in (self.usd_per_gpu_hour, self.usd_per_instance_hour) if p is not None
            ]
            if len(prices) != 1 or not (math.isfinite(prices[0]) and prices[0] >= 0):
                raise InvalidEstimateInputError(
                    "a cloud option needs exactly one of usd_per_gpu_hour or "
                    "usd_per_instance_hour, >= 0",
                    label=self.label,
                )

    @property
    def cloud_usd_per_instance_hour(self) -> float:
        """List price of one instance-hour (USD/h); 0 for owned hardware."""
        if self.usd_per_instance_hour is not None:
            return self.usd_per_instance_hour
        if self.usd_per_gpu_hour is not None:
            return self.usd_per_gpu_hour * self.gpus_per_instance
        return 0.0


@dataclass(frozen=True, slots=True)
class OfferingPriceSpec:
    """One cloud instance type: its GPU, size, and price per instance-hour by mode (USD/h)."""

    slug: str
    gpu_slug: str
    gpu_count: int
    usd_per_instance_hour: Mapping[PurchaseMode, float]


@dataclass(frozen=True, slots=True)
class OwnedTermsSpec:
    """Terms for owned hardware that apply to every GPU type unless overridden per GPU."""

    usd_per_gpu: float | None = None  # purchase price; None: the catalog list price
    server_usd_per_gpu: float = 0.0
    amortization_years: float = 4.0
    gpus_per_server: int = 8
    # Cluster networking as a share of all owned capital, support (USD/GPU-year) and the
    # share of the capital left after amortisation (app/core/infrastructure.py).
    networking_share: float = 0.0
    support_usd_per_gpu_year: float = 0.0
    residual_value_share: float = 0.0


@dataclass(frozen=True, slots=True)
class GpuPriceOverrideSpec:
    """The user's own prices for one GPU type: per GPU-hour by cloud mode, and purchase."""

    gpu_slug: str
    usd_per_gpu_hour: Mapping[PurchaseMode, float] = field(default_factory=dict)
    owned_usd_per_gpu: float | None = None


@dataclass(frozen=True, slots=True)
class GpuPurchaseSpec:
    """What purchasing needs to know about a GPU type."""

    slug: str
    list_price_usd: float | None = None  # catalog purchase price per GPU, if published


@dataclass(frozen=True, slots=True)
class PurchaseChoice:
    """The purchase options for one GPU type and replica size, and why a mode is missing."""

    options: tuple[PurchaseOptionSpec, ...]
    missing: tuple[tuple[PurchaseMode, str], ...]

    @property
    def offering_slugs(self) -> tuple[str, ...]:
        return tuple(o.offering_slug for o in self.options if o.offering_slug is not None)


def owned_purchase_price(
    gpu: GpuPurchaseSpec, owned: OwnedTermsSpec, override: GpuPriceOverrideSpec | None
) -> tuple[float, str] | None:
    """Purchase price per GPU (USD) and where it came from, by one precedence: the per-GPU
    override, then the owned terms' price, then the catalog list price."""
    if override is not None and override.owned_usd_per_gpu is not None:
        return override.owned_usd_per_gpu, "your price"
    if owned.usd_per_gpu is not None:
        return owned.usd_per_gpu, "your price"
    if gpu.list_price_usd is not None:
        return gpu.list_price_usd, "catalog list price"
    return None


def _owned_option(
    gpu: GpuPurchaseSpec,
    tensor_parallel: int,
    owned: OwnedTermsSpec,
    override: GpuPriceOverrideSpec | None,
) -> PurchaseOptionSpec | str:
    price = owned_purchase_price(gpu, owned, override)
    if price is None:
        return f"no purchase price for {gpu.slug}: give self_hosting.gpu_prices[].owned_usd_per_gpu"
    if owned.gpus_per_server < tensor_parallel:
        return (
            f"servers of {owned.gpus_per_server} GPUs cannot hold a replica of "
            f"{tensor_parallel} GPUs"
        )
    usd, source = price
    system = usd + owned.server_usd_per_gpu
    return PurchaseOptionSpec(
        mode=PurchaseMode.OWNED,
        label=f"owned, {source}",
        purchase_usd_per_gpu=usd,
        server_usd_per_gpu=owned.server_usd_per_gpu,
        amortization_years=owned.amortization_years,
        gpus_per_instance=owned.gpus_per_server,
        networking_usd_per_gpu=system * owned.networking_share / (1.0 - owned.networking_share),
        support_usd_per_gpu_year=owned.support_usd_per_gpu_year,
        residual_value_share=owned.residual_value_share,
    )


def _cloud_option(
    gpu: GpuPurchaseSpec,
    tensor_parallel: int,
    mode: PurchaseMode,
    offerings: Sequence[OfferingPriceSpec],
    override: GpuPriceOverrideSpec | None,
) -> PurchaseOptionSpec | str:
    own_rate = override.usd_per_gpu_hour.get(mode) if override is not None else None
    if own_rate is not None:
        # A negotiated per-GPU rate is taken to rent whole replicas.
        return PurchaseOptionSpec(
            mode=mode,
            label="your price",
            usd_per_gpu_hour=own_rate,
            gpus_per_instance=tensor_parallel,
        )
    # A replica's GPUs must share one machine (tensor parallelism runs over NVLink or PCIe
    # inside a server), so only instances with enough GPUs count.
    fitting = [
        o
        for o in offerings
        if o.gpu_slug == gpu.slug
        and mode in o.usd_per_instance_hour
        and o.gpu_count >= tensor_parallel
    ]
    if not fitting:
        size = f" with {tensor_parallel}+ GPUs per instance" if tensor_parallel > 1 else ""
        return f"no {mode.replace('_', ' ')} price for {gpu.slug}{size} in the catalog"
    best = min(fitting, key=lambda o: (o.usd_per_instance_hour[mode] / o.gpu_count, o.slug))
    return PurchaseOptionSpec(
        mode=mode,
        label=best.slug,
        usd_per_instance_hour=best.usd_per_instance_hour[mode],
        gpus_per_instance=best.gpu_count,
        offering_slug=best.slug,
    )


def choose_purchase_options(
    gpu: GpuPurchaseSpec,
    tensor_parallel: int,
    modes: Iterable[PurchaseMode],
    offerings: Sequence[OfferingPriceSpec],
    owned: OwnedTermsSpec,
    override: GpuPriceOverrideSpec | None = None,
) -> PurchaseChoice:
    """The cheapest way to pay for replicas of `tensor_parallel` GPUs in each mode (cheapest
    per GPU-hour among fitting offerings, ties by slug), and why a mode has none."""
    options: list[PurchaseOptionSpec] = []
    missing: list[tuple[PurchaseMode, str]] = []
    for mode in dict.fromkeys(modes):
        if mode is PurchaseMode.OWNED:
            choice = _owned_option(gpu, tensor_parallel, owned, override)
        else:
            choice = _cloud_option(gpu, tensor_parallel, mode, offerings, override)
        if isinstance(choice, str):
            missing.append((mode, choice))
        else:
            options.append(choice)
    return PurchaseChoice(tuple(options), tuple(missing))
