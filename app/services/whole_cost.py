"""The whole cost of building, request side: the `team`, `infrastructure`,
`time_to_production`, `adaptation` and `constraints` blocks of an estimate request (and the
owned-server terms) as core specs, with every sourced default that applied listed.

Catalog rows come in as plain mappings (see estimates.CatalogRows); nothing here computes a
cost: that is app/core (team.py, infrastructure.py, adaptation.py, build_out.py,
whole_cost.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.adaptation import (
    AdaptationCost,
    AdaptationMethod,
    AdaptationSpec,
    HostedFineTuningSpec,
    fine_tuned_price,
    hosted_adaptation,
    self_hosted_adaptation,
)
from app.core.api_cost import ApiPriceSpec
from app.core.build_defaults import BUILD_DEFAULTS, default
from app.core.build_out import TimeToProductionSpec
from app.core.economics import BuildCostsSpec
from app.core.infrastructure import InfrastructureSpec
from app.core.purchasing import OwnedTermsSpec
from app.core.team import TeamSpec, api_team
from app.core.types import OpenModelSpec
from app.core.whole_cost import ApiExtrasSpec, WholeCostSpec
from app.db.orm import FineTuningPrice, Gpu, GpuOffering
from app.errors import InvalidInputError
from app.schemas.estimates import EstimateRequest
from app.schemas.whole_cost import AdaptationCostOut, ConstraintsIn, SourcedDefaultOut
from app.services import catalog as catalog_service

#: Request fields of owned terms and costs whose defaults come from the build defaults table.
_OWNED_DEFAULTS = {
    "server_usd_per_gpu": "owned.server_usd_per_gpu",
    "networking_share": "owned.networking_share",
    "support_usd_per_gpu_year": "owned.support_usd_per_gpu_year",
    "residual_value_share": "owned.residual_value_share",
}


@dataclass
class BuildDefaults:
    """The sourced defaults one estimate applied (listed under assumptions.build_defaults)."""

    applied: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # plain defaults_applied lines

    def note(self, line: str) -> None:
        self.notes.append(line)

    def take(self, name: str) -> float:
        self.applied[name] = default(name)
        return self.applied[name]

    def out(self) -> list[SourcedDefaultOut]:
        """The applied defaults, each named by the request field that sets it."""
        return [
            SourcedDefaultOut(
                name=request_path(name),
                value=value,
                unit=BUILD_DEFAULTS[name].unit,
                source=BUILD_DEFAULTS[name].source,
                as_of=BUILD_DEFAULTS[name].as_of,
            )
            for name, value in self.applied.items()
        ]


def request_path(name: str) -> str:
    """The request field that sets the build default `name` (owned.X: self_hosting.owned.X)."""
    if name == "owned.cost_of_capital_per_year":
        return "costs.cost_of_capital_per_year"
    if name.startswith("owned."):
        return f"self_hosting.{name}"
    return name


def _filled(
    given: Mapping[str, Any], prefix: str, names: Sequence[str], seen: BuildDefaults
) -> dict[str, Any]:
    """`given` with every missing name taken from the defaults table under `prefix`."""
    values = {k: v for k, v in given.items() if v is not None}
    for name in names:
        key = f"{prefix}.{name}"
        if name not in values and key in BUILD_DEFAULTS:
            values[name] = seen.take(key)
    return values


def team_spec(request: EstimateRequest, seen: BuildDefaults) -> TeamSpec | None:
    """The team model, or None when the request gives a flat `costs.staff_fte`."""
    if request.costs.staff_fte is not None:
        return None
    names = [f.name for f in fields(TeamSpec)]
    values = _filled(request.team.model_dump(), "team", names, seen)
    if "models_served" not in values:
        # Each LoRA adapter is a model to evaluate and release; otherwise one model.
        values["models_served"] = 1 if request.adaptation is None else request.adaptation.adapters
        seen.note(f"team.models_served = {values['models_served']}")
    return TeamSpec(**values)


def infrastructure_spec(request: EstimateRequest, seen: BuildDefaults) -> InfrastructureSpec | None:
    given = request.infrastructure.model_dump()
    if not given.pop("itemised"):
        return None
    names = [f.name for f in fields(InfrastructureSpec)]
    return InfrastructureSpec(**_filled(given, "infrastructure", names, seen))


def owned_terms(request: EstimateRequest, seen: BuildDefaults) -> OwnedTermsSpec:
    """Owned-hardware terms with the sourced server, network, support and resale defaults."""
    given = request.self_hosting.owned.model_dump()
    for name, key in _OWNED_DEFAULTS.items():
        if given[name] is None:
            given[name] = seen.take(key)
    return OwnedTermsSpec(**given)


def cost_of_capital(request: EstimateRequest, seen: BuildDefaults) -> float:
    given = request.costs.cost_of_capital_per_year
    return seen.take("owned.cost_of_capital_per_year") if given is None else given


def time_to_production(
    request: EstimateRequest, api_slugs: Sequence[str], seen: BuildDefaults
) -> tuple[TimeToProductionSpec, str | None]:
    block = request.time_to_production
    values = _filled(
        block.model_dump(include={"hiring_lead_months", "build_out_months"}),
        "time_to_production",
        ["hiring_lead_months", "build_out_months"],
        seen,
    )
    interim = block.interim_api_model
    if interim is not None and interim not in api_slugs:
        raise InvalidInputError(
            "time_to_production.interim_api_model must be one of the compared api_models",
            interim_api_model=interim,
        )
    spec = TimeToProductionSpec(**values, interim_api=block.interim == "api")
    return spec, interim


# --- constraints ----------------------------------------------------------------------------


def constraints_active(constraints: ConstraintsIn) -> bool:
    return (
        not constraints.hosted_apis_allowed
        or constraints.api_providers is not None
        or constraints.gpu_providers is not None
        or constraints.gpu_regions is not None
    )


def allowed_api_rows(
    rows: Sequence[dict[str, Any]], constraints: ConstraintsIn
) -> list[dict[str, Any]]:
    if not constraints.hosted_apis_allowed:
        return []
    providers = constraints.api_providers
    return [r for r in rows if providers is None or r["provider"] in providers]


def allowed_offering_rows(
    rows: Sequence[dict[str, Any]], constraints: ConstraintsIn
) -> list[dict[str, Any]]:
    providers, regions = constraints.gpu_providers, constraints.gpu_regions
    return [
        r
        for r in rows
        if (providers is None or r["provider"] in providers)
        and (regions is None or r["region"] in regions)
    ]


# --- adaptation -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdaptationPlan:
    """Adaptation costs per open model and per API model, and the API prices after tuning."""

    by_open_model: dict[str, AdaptationCost]
    api_prices: tuple[ApiPriceSpec, ...]
    by_api_model: dict[str, AdaptationCost]
    report: list[AdaptationCostOut]


def _adaptation_spec(request: EstimateRequest, seen: BuildDefaults) -> AdaptationSpec:
    block = request.adaptation
    assert block is not None  # callers check
    given = block.model_dump(exclude={"training_gpu", "training_usd_per_gpu_hour"})
    names = ["model_flops_utilisation", "lora_compute_share"]
    return AdaptationSpec(**_filled(given, "adaptation", names, seen))


def _training_gpu(session: Session, request: EstimateRequest, version: int) -> tuple[float, float]:
    """(dense BF16 peak FLOP/s, USD per GPU-hour) of the GPU adaptation trains on."""
    block = request.adaptation
    assert block is not None
    gpu = session.scalars(
        select(Gpu).where(Gpu.slug == block.training_gpu, catalog_service.visible_at(Gpu, version))
    ).first()
    if gpu is None:
        raise InvalidInputError(
            f"unknown adaptation.training_gpu {block.training_gpu!r}", gpu=block.training_gpu
        )
    if block.training_usd_per_gpu_hour is not None:
        return gpu.bf16_tflops * 1e12, block.training_usd_per_gpu_hour
    offerings = session.scalars(
        select(GpuOffering).where(
            GpuOffering.gpu_slug == gpu.slug,
            GpuOffering.usd_per_hour_on_demand.is_not(None),
            catalog_service.visible_at(GpuOffering, version),
        )
    ).all()
    prices = [float(o.usd_per_hour_on_demand or 0) / o.gpu_count for o in offerings]
    if not prices:
        raise InvalidInputError(
            f"no on-demand price for {gpu.slug}: give adaptation.training_usd_per_gpu_hour",
            gpu=gpu.slug,
        )
    return gpu.bf16_tflops * 1e12, min(prices)


def _fine_tuning_prices(
    session: Session, slugs: Sequence[str], version: int
) -> dict[str, HostedFineTuningSpec]:
    rows = session.scalars(
        select(FineTuningPrice).where(
            FineTuningPrice.api_model_slug.in_(slugs),
            catalog_service.visible_at(FineTuningPrice, version),
        )
    ).all()

    def f(value: Any) -> float | None:
        return None if value is None else float(value)

    return {
        r.api_model_slug: HostedFineTuningSpec(
            api_slug=r.api_model_slug,
            usd_per_mtok_training=float(r.usd_per_mtok_training),
            usd_per_mtok_input=float(r.usd_per_mtok_input),
            usd_per_mtok_output=float(r.usd_per_mtok_output),
            usd_per_mtok_cached_input=f(r.usd_per_mtok_cached_input),
            usd_per_hour_hosting=f(r.usd_per_hour_hosting) or 0.0,
        )
        for r in sorted(rows, key=lambda r: r.slug)
    }


def _cost_out(subject: str, kind: str, cost: AdaptationCost | None) -> AdaptationCostOut:
    if cost is None:
        return AdaptationCostOut(subject=subject, kind="not_available")
    finite = cost.gpu_hours_per_run == cost.gpu_hours_per_run  # NaN for hosted tuning
    return AdaptationCostOut(
        subject=subject,
        kind="self_hosted" if kind == "self_hosted" else "hosted",
        training_flops_per_run=cost.training_flops_per_run if finite else None,
        gpu_hours_per_run=cost.gpu_hours_per_run if finite else None,
        usd_per_run=cost.usd_per_run,
        usd_per_month=cost.usd_per_month,
    )


def adaptation_plan(
    session: Session,
    request: EstimateRequest,
    *,
    version: int,
    models: Sequence[OpenModelSpec],
    api_prices: tuple[ApiPriceSpec, ...],
    seen: BuildDefaults,
) -> AdaptationPlan | None:
    """What adapting each open model (on rented GPUs) and each API model (hosted) costs."""
    if request.adaptation is None:
        return None
    spec = _adaptation_spec(request, seen)
    horizon = request.workload.horizon_months
    peak, usd_per_hour = _training_gpu(session, request, version) if models else (1.0, 0.0)
    by_model = {
        m.slug: self_hosted_adaptation(
            spec,
            params=m.active_params,
            peak_flops_per_s=peak,
            usd_per_gpu_hour=usd_per_hour,
            horizon_months=horizon,
        )
        for m in models
    }
    by_api: dict[str, AdaptationCost] = {}
    prices = list(api_prices)
    if spec.method is not AdaptationMethod.FROM_SCRATCH:
        tunings = _fine_tuning_prices(session, [p.slug for p in api_prices], version)
        for k, price in enumerate(prices):
            tuning = tunings.get(price.slug)
            if tuning is not None:
                by_api[price.slug] = hosted_adaptation(spec, tuning, horizon_months=horizon)
                prices[k] = fine_tuned_price(price, tuning)
    report = [_cost_out(slug, "self_hosted", cost) for slug, cost in by_model.items()]
    if spec.method is not AdaptationMethod.FROM_SCRATCH:
        report += [_cost_out(p.slug, "hosted", by_api.get(p.slug)) for p in api_prices]
    return AdaptationPlan(by_model, tuple(prices), by_api, report)


def whole_cost_spec(
    *,
    models: Sequence[OpenModelSpec],
    team: TeamSpec | None,
    infrastructure: InfrastructureSpec | None,
    ttp: TimeToProductionSpec,
    interim_api: str | None,
    api_slugs: Sequence[str],
    adaptation: AdaptationPlan | None,
) -> WholeCostSpec:
    """The core's whole-cost spec: API options' people and hosted tuning, and the rest."""
    api_people = api_team(team) if team is not None else None
    extras = {}
    for slug in api_slugs:
        tuned = None if adaptation is None else adaptation.by_api_model.get(slug)
        extras[slug] = ApiExtrasSpec(
            people_usd_per_month=0.0 if api_people is None else api_people.usd_per_month,
            adaptation_usd_per_month=0.0 if tuned is None else tuned.usd_per_month,
            up_front_usd=0.0 if tuned is None else tuned.up_front_usd,
            team=api_people,
        )
    up_front = (
        {}
        if adaptation is None
        else {slug: cost.up_front_usd for slug, cost in adaptation.by_open_model.items()}
    )
    return WholeCostSpec(
        build=BuildCostsSpec(
            team=team,
            infrastructure=infrastructure,
            model_total_params={m.slug: m.total_params for m in models},
            adaptation_usd_per_month={}
            if adaptation is None
            else {slug: cost.usd_per_month for slug, cost in adaptation.by_open_model.items()},
        ),
        api_extras=extras,
        time_to_production=ttp,
        interim_api_slug=interim_api,
        adaptation_up_front_usd=up_front,
    )
