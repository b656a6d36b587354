"""Estimate use case: resolve catalog entries at one version, model every replica, run the core.

Nothing is stored. The response repeats every catalog value and default it used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.seed_data import gpu_spec_from_row, open_model_spec_from_row
from app.core import memory as core_memory
from app.core.api_cost import ApiPriceSpec, LongContextTierSpec
from app.core.economics import (
    CostAssumptionsSpec,
    PurchaseMode,
    PurchaseOptionSpec,
    SelfHostedCandidateSpec,
)
from app.core.estimate import CORE_VERSION, EstimateResult, EstimateSpec, estimate
from app.core.fleet import ReplicaCapacitySpec, SizingPolicySpec
from app.core.performance import (
    DEFAULT_CALIBRATION,
    DEFAULT_REAL_WORLD_DERATE,
    ReplicaBatch,
    evaluate_replicas,
)
from app.core.types import GpuSpec, OpenModelSpec, Precision
from app.core.workload import WorkloadSpec, requests_per_day_from_users
from app.db.orm import ApiModel, Gpu, GpuOffering, OpenModel, VersionedEntry
from app.errors import InvalidInputError
from app.schemas.estimates import (
    AssumptionsOut,
    BreakEvenOut,
    CrossingOut,
    CurvePoint,
    EstimateRequest,
    EstimateResponse,
    FleetOut,
    InfeasibleOut,
    OptionOut,
    ProjectionOut,
    ProjectionSeriesOut,
)
from app.services import catalog as catalog_service
from app.services.catalog import API_MODELS, GPU_OFFERINGS, GPUS, OPEN_MODELS, CatalogResource

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: API models compared when the request names none: each major provider's current flagship
#: and its cheap tier, plus hosts of open models. Missing slugs are skipped.
DEFAULT_API_MODELS: tuple[str, ...] = (
    "openai--gpt-5",
    "openai--gpt-5-mini",
    "openai--gpt-4o",
    "openai--gpt-4o-mini",
    "openai--gpt-4.1-mini",
    "anthropic--claude-opus-4-1",
    "anthropic--claude-sonnet-4-5",
    "anthropic--claude-haiku-4-5",
    "google--gemini-2.5-pro",
    "google--gemini-2.5-flash",
    "google--gemini-2.5-flash-lite",
    "mistral--mistral-large-2512",
    "mistral--mistral-small-latest",
    "deepseek--deepseek-chat",
    "x-ai--grok-4-0709",
    "x-ai--grok-3-mini",
    "together--meta-llama-llama-3.3-70b-instruct-turbo",
    "fireworks--gpt-oss-120b",
    "groq--llama-3.3-70b-versatile",
    "groq--llama-3.1-8b-instant",
)

#: Concurrency levels evaluated per replica (geometric from 1 to the KV-limited maximum).
CURVE_LEVELS = 16
CLOUD_MODES: dict[str, str] = {
    "on_demand": "usd_per_hour_on_demand",
    "committed_1y": "usd_per_hour_committed_1y",
    "committed_3y": "usd_per_hour_committed_3y",
    "spot": "usd_per_hour_spot",
}
REASON_TEXT = {
    core_memory.TP_EXCEEDS_NODE: "tensor parallelism exceeds the GPUs in one node",
    core_memory.TP_DOES_NOT_DIVIDE_HEADS: "tensor parallelism does not divide the attention heads",
    core_memory.DOES_NOT_FIT: "weights and KV cache do not fit",
}


def run_estimate(session: Session, request: EstimateRequest) -> EstimateResponse:
    """Price the request's workload on every API and self-hosted option; stores nothing."""
    version = catalog_service.resolve_version(session, version=request.catalog_version)
    defaults: list[str] = []
    workload = _workload(request, defaults)

    api_rows = _api_models(session, request, version, defaults)
    model_rows = _entries(session, OPEN_MODELS, request.self_hosting.open_models, version)
    gpu_rows = _entries(session, GPUS, request.self_hosting.gpus, version)
    offering_rows = _offerings(session, request, version, {g.slug for g in gpu_rows})

    models = [open_model_spec_from_row(catalog_service.entry_row(m)) for m in model_rows]
    gpus = [gpu_spec_from_row(catalog_service.entry_row(g)) for g in gpu_rows]
    derate = request.sizing.real_world_derate
    if derate is None:
        derate = DEFAULT_REAL_WORLD_DERATE
        defaults.append(f"sizing.real_world_derate = {derate}")
    infeasible: list[InfeasibleOut] = []
    candidates = _pick_candidates(request, models, gpus, workload, infeasible)

    assumptions = _assumptions(request, defaults)
    _note_self_hosting_defaults(request, defaults)
    policy = _policy(request, defaults)
    used_offerings: dict[str, GpuOffering] = {}
    offering_prices = _offering_prices(offering_rows)
    # Ways to pay depend on the GPU and the replica size only: price each pair once.
    pricing: dict[tuple[int, int], list[PurchaseOptionSpec]] = {}
    pairs = zip(candidates.gpu_index.tolist(), candidates.tensor_parallel.tolist(), strict=True)
    for gi, tp in sorted(set(pairs)):
        gpu_row = gpu_rows[gi]
        options, missing = _purchase_options(request, gpu_row, tp, offering_prices, used_offerings)
        pricing[gi, tp] = options
        infeasible.extend(
            InfeasibleOut(
                label=f"{gpu_row.slug} · {tp} GPU(s) per replica · {mode}",
                open_model=None,
                gpu=gpu_row.slug,
                tensor_parallel=tp,
                precision=None,
                purchase_mode=mode,
                reason=reason,
            )
            for mode, reason in missing
        )
    # Only candidates that can be paid for are modelled.
    priced = np.asarray(
        [
            bool(pricing[gi, tp])
            for gi, tp in zip(
                candidates.gpu_index.tolist(), candidates.tensor_parallel.tolist(), strict=True
            )
        ],
        dtype=bool,
    )
    candidates = candidates.take(np.flatnonzero(priced))
    capacities = _capacities(models, gpus, candidates, workload, derate)
    specs: list[SelfHostedCandidateSpec] = []
    for mi, gi, tp, pi, capacity in zip(
        candidates.model_index.tolist(),
        candidates.gpu_index.tolist(),
        candidates.tensor_parallel.tolist(),
        candidates.precision_index.tolist(),
        capacities,
        strict=True,
    ):
        model, gpu_row = models[mi], gpu_rows[gi]
        precision = core_memory.PRECISIONS[pi]
        specs.append(
            SelfHostedCandidateSpec(
                label=_label(model.slug, gpu_row.slug, tp, precision),
                open_model_slug=model.slug,
                gpu_slug=gpu_row.slug,
                tensor_parallel=tp,
                precision=precision.value,
                gpu_tdp_w=gpus[gi].tdp_w,
                capacity=capacity,
                purchase_options=tuple(pricing[gi, tp]),
            )
        )

    api_prices = tuple(_api_price(row) for row in api_rows)
    break_even_slug = request.break_even_api_model
    if break_even_slug is not None and break_even_slug not in {p.slug for p in api_prices}:
        raise InvalidInputError(
            "break_even_api_model must be one of the compared api_models",
            break_even_api_model=break_even_slug,
        )
    result = estimate(
        EstimateSpec(
            workload=workload,
            api_prices=api_prices,
            candidates=tuple(specs),
            assumptions=assumptions,
            policy=policy,
            max_self_hosted_options=request.max_options,
        )
    )
    return _response(
        request,
        result,
        specs,
        infeasible,
        version=version,
        defaults=defaults,
        workload=workload,
        assumptions=assumptions,
        policy=policy,
        derate=derate,
        api_rows=api_rows,
        model_rows=model_rows,
        gpu_rows=gpu_rows,
        offerings=list(used_offerings.values()),
        break_even_slug=break_even_slug,
    )


# --- inputs ---------------------------------------------------------------------------------


def _workload(request: EstimateRequest, defaults: list[str]) -> WorkloadSpec:
    w = request.workload
    if w.requests_per_day is not None:
        volume = w.requests_per_day
    else:
        # The schema guarantees both are given when requests_per_day is not.
        volume = requests_per_day_from_users(w.users or 0.0, w.requests_per_user_per_day or 0.0)
    if w.peak_to_average is None and w.hourly_profile is None:
        defaults.append("workload.peak_to_average = 1 (flat traffic)")
    if w.latency.ttft_p95_s is None and w.latency.tpot_p95_s is None:
        defaults.append("workload.latency: no targets (replicas run at best throughput)")
    return WorkloadSpec(
        requests_per_day=volume,
        input_tokens_mean=float(w.input_tokens),
        output_tokens_mean=float(w.output_tokens),
        input_tokens_p95=None if w.input_tokens_p95 is None else float(w.input_tokens_p95),
        output_tokens_p95=None if w.output_tokens_p95 is None else float(w.output_tokens_p95),
        cached_input_share=w.cached_input_share,
        batch_share=w.batch_share,
        peak_to_average=w.peak_to_average,
        hourly_weights=None if w.hourly_profile is None else tuple(w.hourly_profile),
        growth_per_month=w.growth_per_month,
        horizon_months=w.horizon_months,
        ttft_p95_s=w.latency.ttft_p95_s,
        tpot_p95_s=w.latency.tpot_p95_s,
        redundancy_replicas=w.availability.redundancy_replicas,
        zones=w.availability.zones,
    )


def _assumptions(request: EstimateRequest, defaults: list[str]) -> CostAssumptionsSpec:
    base = CostAssumptionsSpec()
    given = request.costs.model_dump(exclude_none=True)
    for f in fields(CostAssumptionsSpec):
        if f.name not in given:
            defaults.append(f"costs.{f.name} = {getattr(base, f.name)}")
    return CostAssumptionsSpec(**given)


def _note_self_hosting_defaults(request: EstimateRequest, defaults: list[str]) -> None:
    sh = request.self_hosting
    if "precisions" not in sh.model_fields_set:
        defaults.append(f"self_hosting.precisions = {', '.join(sh.precisions)}")
    if sh.tensor_parallel is None:
        defaults.append("self_hosting.tensor_parallel = the smallest TP that fits and the next")
    if sh.offerings is None:
        defaults.append("self_hosting.offerings = the cheapest catalog offering per GPU and mode")
    if "owned" in sh.purchase_modes:
        owned = sh.owned
        for name in ("server_usd_per_gpu", "amortization_years", "gpus_per_server"):
            if name not in owned.model_fields_set:
                defaults.append(f"self_hosting.owned.{name} = {getattr(owned, name)}")


def _policy(request: EstimateRequest, defaults: list[str]) -> SizingPolicySpec:
    base = SizingPolicySpec()
    given = request.sizing.model_dump(exclude_none=True)
    given.pop("real_world_derate", None)
    for f in fields(SizingPolicySpec):
        if f.name not in given:
            defaults.append(f"sizing.{f.name} = {getattr(base, f.name)}")
    return SizingPolicySpec(**given)


def _entries(
    session: Session, resource: CatalogResource, slugs: Sequence[str] | None, version: int
) -> list[Any]:
    """Catalog entries at `version`: the named ones (all must exist) or all of them."""
    orm = resource.orm
    stmt = select(orm).where(catalog_service._visible_at(orm, version))
    if slugs is not None:
        stmt = stmt.where(orm.slug.in_(slugs))
    rows = {row.slug: row for row in session.scalars(stmt).all()}
    if slugs is not None:
        missing = [s for s in slugs if s not in rows]
        if missing:
            raise InvalidInputError(
                f"unknown {resource.label} slug(s) at catalog version {version}: "
                + ", ".join(missing),
                resource=resource.collection,
                slugs=missing,
            )
        return [rows[s] for s in dict.fromkeys(slugs)]
    return [rows[s] for s in sorted(rows)]


def _api_models(
    session: Session, request: EstimateRequest, version: int, defaults: list[str]
) -> list[ApiModel]:
    if request.api_models is not None:
        rows: list[ApiModel] = _entries(session, API_MODELS, request.api_models, version)
        return rows
    defaults.append("api_models = the default flagship set")
    found = {
        row.slug: row
        for row in session.scalars(
            select(ApiModel).where(
                ApiModel.slug.in_(DEFAULT_API_MODELS),
                catalog_service._visible_at(ApiModel, version),
            )
        ).all()
    }
    return [found[s] for s in DEFAULT_API_MODELS if s in found]


def _offerings(
    session: Session, request: EstimateRequest, version: int, gpu_slugs: set[str]
) -> list[GpuOffering]:
    named = request.self_hosting.offerings
    rows: list[GpuOffering] = _entries(session, GPU_OFFERINGS, named, version)
    return [row for row in rows if row.gpu_slug in gpu_slugs]


def _api_price(row: ApiModel) -> ApiPriceSpec:
    def f(value: Decimal | str | None) -> float | None:
        return None if value is None else float(value)

    tiers = tuple(
        LongContextTierSpec(
            above_input_tokens=int(t["above_input_tokens"]),
            usd_per_mtok_input=float(t["usd_per_mtok_input"]),
            usd_per_mtok_output=f(t.get("usd_per_mtok_output")) or float(row.usd_per_mtok_output),
            usd_per_mtok_cached_input=f(t.get("usd_per_mtok_cached_input")),
        )
        for t in sorted(row.long_context_tiers, key=lambda t: int(t["above_input_tokens"]))
    )
    return ApiPriceSpec(
        slug=row.slug,
        usd_per_mtok_input=float(row.usd_per_mtok_input),
        usd_per_mtok_output=float(row.usd_per_mtok_output),
        usd_per_mtok_cached_input=f(row.usd_per_mtok_cached_input),
        batch_discount=f(row.batch_discount),
        long_context_tiers=tiers,
    )


# --- self-hosted candidates -----------------------------------------------------------------


def _label(model: str, gpu: str, tp: int, precision: Precision) -> str:
    return f"{model} on {tp}× {gpu} ({precision.value})"


@dataclass(frozen=True, slots=True)
class _Candidates:
    """Self-hosted candidates as parallel arrays (model x GPU x precision x TP)."""

    model_index: IntArray
    gpu_index: IntArray
    tensor_parallel: IntArray
    precision_index: IntArray  # into core_memory.PRECISIONS
    max_concurrency: FloatArray  # KV-limited sequences at the p95 lengths, engine cap applied

    def __len__(self) -> int:
        return int(self.model_index.size)

    def take(self, index: IntArray) -> _Candidates:
        return _Candidates(
            self.model_index[index],
            self.gpu_index[index],
            self.tensor_parallel[index],
            self.precision_index[index],
            self.max_concurrency[index],
        )


_WEIGHT_BYTES = np.asarray([core_memory.WEIGHT_BYTES_PER_PARAM[p] for p in core_memory.PRECISIONS])
_KV_BYTES = np.asarray(
    [
        core_memory.KV_BYTES_PER_ELEMENT[core_memory.default_kv_cache_precision(p)]
        for p in core_memory.PRECISIONS
    ]
)


def _pick_candidates(
    request: EstimateRequest,
    models: Sequence[OpenModelSpec],
    gpus: Sequence[GpuSpec],
    workload: WorkloadSpec,
    infeasible: list[InfeasibleOut],
) -> _Candidates:
    """Every model x GPU x precision x TP to price; ones that cannot run go to `infeasible`.

    Without explicit TP degrees, each model x GPU x precision keeps the smallest TP that fits
    and the next one (more GPUs per replica buy lower latency)."""
    precisions = [Precision(p) for p in dict.fromkeys(request.self_hosting.precisions)]
    explicit_tp = request.self_hosting.tensor_parallel
    if not models or not gpus:
        empty = np.empty(0, dtype=np.int64)
        return _Candidates(empty, empty, empty, empty, np.empty(0))
    node = max(g.max_gpus_per_node for g in gpus)
    tps = sorted(set(explicit_tp)) if explicit_tp else [2**k for k in range(node.bit_length())]
    precision_codes = [core_memory.PRECISION_INDEX[p] for p in precisions]
    # TP varies fastest, so each model x GPU x precision group is a contiguous, sorted run.
    m, g, p, t = (
        a.ravel()
        for a in np.meshgrid(
            np.arange(len(models)),
            np.arange(len(gpus)),
            np.asarray(precision_codes),
            np.asarray(tps),
            indexing="ij",
        )
    )
    group = (m * len(gpus) + g) * len(precisions) + np.repeat(
        np.tile(np.arange(len(precisions)), len(models) * len(gpus)), len(tps)
    )
    if not explicit_tp:
        # Degrees beyond a GPU's node size are not candidates at all without a request for them.
        node_sizes = np.asarray([gpu.max_gpus_per_node for gpu in gpus])
        keep = t <= node_sizes[g]
        m, g, p, t, group = m[keep], g[keep], p[keep], t[keep], group[keep]
    context = _p95(workload, "input") + _p95(workload, "output")
    mem = core_memory.memory_arrays(
        core_memory.ModelArrays.from_specs(models).take(m),
        core_memory.GpuArrays.from_specs(gpus).take(g),
        t.astype(np.float64),
        _WEIGHT_BYTES[p],
        _KV_BYTES[p],
        np.full(m.size, float(context)),
        DEFAULT_CALIBRATION.kv_cache_memory_fraction,
    )
    feasible = mem.infeasible_reason == core_memory.FEASIBLE
    # Rank of each feasible entry within its group (1 = smallest TP that fits).
    starts = np.flatnonzero(np.concatenate([[True], group[1:] != group[:-1]]))
    run = np.repeat(np.arange(starts.size), np.diff(np.append(starts, group.size)))
    ranks = np.cumsum(feasible)
    before = ranks[starts] - feasible[starts]
    rank = ranks - before[run]
    chosen = feasible if explicit_tp else feasible & (rank <= 2)
    # Groups where nothing fits: report the largest TP tried.
    ends = np.append(starts[1:], group.size) - 1
    for last in ends[~np.add.reduceat(feasible, starts).astype(bool)].tolist():
        reason_code = int(mem.infeasible_reason[last])
        tp, gpu, model = int(t[last]), gpus[int(g[last])], models[int(m[last])]
        precision = core_memory.PRECISIONS[int(p[last])]
        reason = REASON_TEXT.get(reason_code, "cannot run")
        if reason_code == core_memory.DOES_NOT_FIT:
            needed = mem.weights_bytes_per_gpu[last] + mem.overhead_bytes_per_gpu[last]
            reason += (
                f" even at TP={tp}: {needed / 1e9:.1f} GB of weights and runtime per GPU "
                f"plus one {context:.0f}-token sequence, {gpu.memory_bytes / 1e9:.1f} GB "
                "available"
            )
        infeasible.append(
            InfeasibleOut(
                label=f"{model.slug} on {gpu.slug} ({precision.value})",
                open_model=model.slug,
                gpu=gpu.slug,
                tensor_parallel=tp,
                precision=precision.value,
                purchase_mode=None,
                reason=reason,
            )
        )
    index = np.flatnonzero(chosen)
    return _Candidates(
        m[index],
        g[index],
        t[index],
        p[index],
        np.minimum(mem.max_concurrency[index], core_memory.MAX_NUM_SEQS),
    )


def _p95(workload: WorkloadSpec, which: str) -> float:
    if which == "input":
        return workload.input_tokens_p95 or workload.input_tokens_mean
    return workload.output_tokens_p95 or workload.output_tokens_mean


def _capacities(
    models: Sequence[OpenModelSpec],
    gpus: Sequence[GpuSpec],
    candidates: _Candidates,
    workload: WorkloadSpec,
    derate: float,
) -> list[ReplicaCapacitySpec]:
    """Each candidate's throughput at mean lengths and latency at p95 lengths, per concurrency."""
    n = len(candidates)
    if n == 0:
        return []
    # KV-limited concurrency at p95 lengths bounds the grid for both evaluations.
    max_conc = np.maximum(candidates.max_concurrency, 1.0)
    steps = np.linspace(0.0, 1.0, CURVE_LEVELS)
    grid = np.round(np.exp(np.log(max_conc)[:, None] * steps[None, :])).astype(np.int64)
    grid = np.maximum(grid, 1)
    reps = np.repeat(np.arange(n), CURVE_LEVELS)
    conc = grid.reshape(-1)

    def evaluate(input_tokens: float, output_tokens: float) -> Any:
        batch = ReplicaBatch(
            models=tuple(models),
            gpus=tuple(gpus),
            model_index=candidates.model_index[reps],
            gpu_index=candidates.gpu_index[reps],
            tensor_parallel=candidates.tensor_parallel[reps],
            precision_index=candidates.precision_index[reps],
            input_tokens=np.full(reps.size, round(input_tokens), dtype=np.int64),
            output_tokens=np.full(reps.size, max(round(output_tokens), 1), dtype=np.int64),
            concurrency=conc,
        )
        return evaluate_replicas(batch, real_world_derate=derate)

    at_p95 = evaluate(_p95(workload, "input"), _p95(workload, "output"))
    at_mean = evaluate(max(workload.input_tokens_mean, 1.0), workload.output_tokens_mean)
    shape = (n, CURVE_LEVELS)
    rps = at_mean.requests_per_s.reshape(shape)
    ttft = at_p95.ttft_s.reshape(shape)
    tpot = at_p95.tpot_s.reshape(shape)
    concurrency = grid.astype(np.float64)
    gpus_per_replica = candidates.tensor_parallel.tolist()
    return [
        ReplicaCapacitySpec(
            concurrency=concurrency[i],
            requests_per_s=rps[i],
            ttft_s=ttft[i],
            tpot_s=tpot[i],
            gpus_per_replica=gpus_per_replica[i],
        )
        for i in range(n)
    ]


@dataclass(frozen=True, slots=True)
class _OfferingPrice:
    offering: GpuOffering
    gpu_slug: str
    gpu_count: int
    usd_per_instance_hour: dict[str, float]  # by purchase mode, where published


def _offering_prices(offerings: Iterable[GpuOffering]) -> list[_OfferingPrice]:
    """Offering prices as plain floats, read from the ORM rows once per request."""
    out = []
    for o in offerings:
        prices = {mode: getattr(o, column) for mode, column in CLOUD_MODES.items()}
        out.append(
            _OfferingPrice(
                o,
                o.gpu_slug,
                o.gpu_count,
                {mode: float(v) for mode, v in prices.items() if v is not None},
            )
        )
    return out


def _purchase_options(
    request: EstimateRequest,
    gpu: Gpu,
    tensor_parallel: int,
    offerings: Iterable[_OfferingPrice],
    used: dict[str, GpuOffering],
) -> tuple[list[PurchaseOptionSpec], list[tuple[str, str]]]:
    """The cheapest way to pay for replicas of `tensor_parallel` GPUs in each requested mode,
    and why a mode is missing. A replica's GPUs must share one machine (tensor parallelism
    runs over NVLink or PCIe inside a server), so only instances with enough GPUs count."""
    sh = request.self_hosting
    override = next((o for o in sh.gpu_prices if o.gpu == gpu.slug), None)
    options: list[PurchaseOptionSpec] = []
    missing: list[tuple[str, str]] = []
    for mode in dict.fromkeys(sh.purchase_modes):
        if mode == "owned":
            price = override.owned_usd_per_gpu if override else None
            source = "your price"
            if price is None and gpu.list_price_usd is not None:
                price, source = float(gpu.list_price_usd), "catalog list price"
            if price is None:
                missing.append(
                    (
                        mode,
                        f"no purchase price for {gpu.slug}: give "
                        "self_hosting.gpu_prices[].owned_usd_per_gpu",
                    )
                )
                continue
            if sh.owned.gpus_per_server < tensor_parallel:
                missing.append(
                    (
                        mode,
                        f"servers of {sh.owned.gpus_per_server} GPUs cannot hold a replica of "
                        f"{tensor_parallel} GPUs",
                    )
                )
                continue
            options.append(
                PurchaseOptionSpec(
                    mode=PurchaseMode.OWNED,
                    label=f"owned, {source}",
                    purchase_usd_per_gpu=price,
                    server_usd_per_gpu=sh.owned.server_usd_per_gpu,
                    amortization_years=sh.owned.amortization_years,
                    gpus_per_instance=sh.owned.gpus_per_server,
                )
            )
            continue
        own_rate = getattr(override, f"usd_per_gpu_hour_{mode}", None) if override else None
        if own_rate is not None:
            # A negotiated per-GPU rate is taken to rent whole replicas.
            options.append(
                PurchaseOptionSpec(
                    mode=PurchaseMode(mode),
                    label="your price",
                    usd_per_gpu_hour=own_rate,
                    gpus_per_instance=tensor_parallel,
                )
            )
            continue
        candidates = [
            (o.usd_per_instance_hour[mode] / o.gpu_count, o.offering.slug, o)
            for o in offerings
            if o.gpu_slug == gpu.slug
            and mode in o.usd_per_instance_hour
            and o.gpu_count >= tensor_parallel
        ]
        if not candidates:
            size = f" with {tensor_parallel}+ GPUs per instance" if tensor_parallel > 1 else ""
            missing.append(
                (mode, f"no {mode.replace('_', ' ')} price for {gpu.slug}{size} in the catalog")
            )
            continue
        _, _, best = min(candidates, key=lambda c: (c[0], c[1]))
        used[best.offering.slug] = best.offering
        options.append(
            PurchaseOptionSpec(
                mode=PurchaseMode(mode),
                label=best.offering.slug,
                usd_per_instance_hour=best.usd_per_instance_hour[mode],
                gpus_per_instance=best.gpu_count,
            )
        )
    return options, missing


# --- response -------------------------------------------------------------------------------


def _response(
    request: EstimateRequest,
    result: EstimateResult,
    specs: Sequence[SelfHostedCandidateSpec],
    infeasible: list[InfeasibleOut],
    *,
    version: int,
    defaults: list[str],
    workload: WorkloadSpec,
    assumptions: CostAssumptionsSpec,
    policy: SizingPolicySpec,
    derate: float,
    api_rows: Sequence[ApiModel],
    model_rows: Sequence[OpenModel],
    gpu_rows: Sequence[Gpu],
    offerings: Sequence[GpuOffering],
    break_even_slug: str | None,
) -> EstimateResponse:
    labels: dict[str, str] = {}
    offering_slugs = {o.slug for o in offerings}
    returned: list[OptionOut] = []
    # Self-hosted options beyond max_options were priced and counted by the core, not built.
    feasible_total = result.feasible_self_hosted_total
    cheapest_api: str | None = None
    for option in result.options:
        labels[option.id] = option.label
        if not option.feasible:
            spec = specs[int(option.id.split(":")[1])] if option.id.startswith("self:") else None
            if spec is not None:
                infeasible.append(
                    InfeasibleOut(
                        label=option.label,
                        open_model=spec.open_model_slug,
                        gpu=spec.gpu_slug,
                        tensor_parallel=spec.tensor_parallel,
                        precision=spec.precision,
                        purchase_mode=option.label.split(" · ")[-1].split(" (")[0],
                        reason=option.reason or "infeasible",
                    )
                )
            continue
        assert option.monthly_cost_usd is not None  # feasible options are priced
        if option.kind.value != "self_hosted":
            feasible_total += 1
        if cheapest_api is None and option.kind.value == "api":
            cheapest_api = option.api_slug
        if len(returned) >= request.max_options:
            continue  # counted, but only the cheapest max_options are converted and returned
        fleet = None
        if option.fleet is not None:
            f = option.fleet
            fleet = FleetOut(
                open_model=f.open_model_slug,
                gpu=f.gpu_slug,
                tensor_parallel=f.tensor_parallel,
                precision=f.precision,
                purchase_mode=f.purchase_mode,
                offering=f.purchase_label if f.purchase_label in offering_slugs else None,
                serving_replicas=f.serving_replicas,
                replicas=f.replicas,
                instances=f.instances,
                gpus=f.gpus,
                gpus_per_replica=f.gpus_per_replica,
                gpus_per_instance=f.gpus_per_instance,
                average_gpus=f.average_gpus,
                average_utilisation=f.average_utilisation,
                replica_requests_per_s=f.replica_requests_per_s,
                operating_concurrency=f.operating_concurrency,
                ttft_s=_finite(f.ttft_s),
                tpot_s=_finite(f.tpot_s),
            )
        returned.append(
            OptionOut(
                id=option.id,
                kind=option.kind.value,
                label=option.label,
                monthly_cost_usd=option.monthly_cost_usd,
                usd_per_million_tokens=option.usd_per_million_tokens,
                breakdown=option.breakdown,
                api_model=option.api_slug,
                fleet=fleet,
                self_hosted_request_share=option.self_hosted_request_share,
            )
        )
    # The core's option table lists candidates x purchase options in order; its ids follow.
    table_ids = [
        f"self:{ci}:{oi}"
        for ci, spec in enumerate(specs)
        for oi in range(len(spec.purchase_options))
    ]

    break_evens: list[BreakEvenOut] = []
    for be in result.break_evens:
        crossing_volume = be.self_hosting_cheaper_above_requests_per_day
        break_evens.append(
            BreakEvenOut(
                api_model=be.api_slug,
                requests_per_day=crossing_volume,
                crossings=[
                    CrossingOut(
                        requests_per_day=c.requests_per_day,
                        self_hosting_cheaper_above=c.self_hosting_cheaper_above,
                    )
                    for c in be.crossings
                ],
                searched_requests_per_day_min=be.searched_requests_per_day_min,
                searched_requests_per_day_max=be.searched_requests_per_day_max,
                exact=be.exact,
            )
        )
    reference = break_even_slug
    if reference is None:
        reference = cheapest_api
        if reference is not None:
            defaults.append(f"break_even_api_model = {reference} (cheapest API option)")
    break_even = None
    for be, out in zip(result.break_evens, break_evens, strict=True):
        if be.api_slug == reference:
            break_even = out.model_copy(
                update={
                    "curve": [
                        CurvePoint(
                            requests_per_day=v,
                            api_usd_per_month=a,
                            self_hosted_usd_per_month=_finite(s),
                            self_hosted_option=table_ids[int(o)] if o >= 0 else None,
                        )
                        for v, a, s, o in zip(
                            be.curve_requests_per_day,
                            be.curve_api_usd_per_month,
                            be.curve_self_hosted_usd_per_month,
                            be.curve_self_hosted_option,
                            strict=True,
                        )
                    ]
                }
            )

    projection = ProjectionOut(
        months=list(range(len(result.projection_requests_per_day))),
        requests_per_day=list(result.projection_requests_per_day),
        series=[
            ProjectionSeriesOut(
                option_id=s.option_id,
                label=labels.get(s.option_id, s.option_id),
                monthly_cost_usd=[_finite(v) for v in s.monthly_cost_usd],
            )
            for s in result.projection
        ],
    )
    return EstimateResponse(
        requests_per_day=workload.requests_per_day,
        tokens_per_month=result.tokens_per_month,
        options=returned,
        options_total=feasible_total,
        infeasible=_dedupe(infeasible),
        break_even=break_even,
        break_evens=break_evens,
        projection=projection,
        assumptions=AssumptionsOut(
            catalog_version=version,
            estimator_version=f"{CORE_VERSION} (performance derate {derate})",
            workload=_jsonable(asdict(workload)),
            costs=_jsonable(asdict(assumptions)),
            sizing={**_jsonable(asdict(policy)), "real_world_derate": derate},
            defaults_applied=defaults,
            api_models=[_catalog_dict(r) for r in api_rows],
            open_models=[_catalog_dict(r) for r in model_rows],
            gpus=[_catalog_dict(r) for r in gpu_rows],
            offerings=[_catalog_dict(r) for r in sorted(offerings, key=lambda o: o.slug)],
        ),
    )


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -1.0


def _dedupe(items: list[InfeasibleOut]) -> list[InfeasibleOut]:
    seen: dict[tuple[object, ...], InfeasibleOut] = {}
    for item in items:
        seen.setdefault(
            (item.open_model, item.gpu, item.tensor_parallel, item.precision, item.purchase_mode),
            item,
        )
    return list(seen.values())


def _jsonable(values: dict[str, Any]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            out[key] = None
        elif isinstance(value, tuple):
            out[key] = list(value)
        elif hasattr(value, "value"):
            out[key] = value.value
        else:
            out[key] = value
    return out


def _catalog_dict(entry: VersionedEntry) -> dict[str, object]:
    row = catalog_service.entry_row(entry)
    row.pop("id", None)
    out: dict[str, object] = {}
    for key, value in row.items():
        if isinstance(value, Decimal):
            out[key] = float(value)
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out
