"""Catalog rows (and request overrides) -> the core's specs: the one place that maps them.

Rows are plain mappings (`catalog.entry_row` of an ORM entry, or a parsed seed CSV row), so
the same mappers serve the estimate and performance services, the seed checks and the
calibration benchmark.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

from app.core.api_cost import ApiPriceSpec, LongContextTierSpec
from app.core.purchasing import (
    CLOUD_MODES,
    GpuPriceOverrideSpec,
    GpuPurchaseSpec,
    OfferingPriceSpec,
)
from app.core.types import AttentionKind, GpuSpec, Interconnect, OpenModelSpec

# Unit conversions to the core's base units (see app/core/types.py).
_BYTES_PER_GB: Final = 1e9
_FLOPS_PER_TFLOPS: Final = 1e12
_PARAMS_PER_BILLION: Final = 1e9

#: Offering columns holding the instance-hour price of each cloud purchase mode.
OFFERING_PRICE_COLUMNS: Final = {mode: f"usd_per_hour_{mode.value}" for mode in CLOUD_MODES}


def _float(row: Mapping[str, object], column: str) -> float:
    value = row.get(column)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"row {row.get('slug')!r} column {column!r}: expected a number")
    return float(value)


def _optional_float(row: Mapping[str, object], column: str) -> float | None:
    return None if row.get(column) is None else _float(row, column)


def _int(row: Mapping[str, object], column: str, *, default: int | None = None) -> int:
    value = row.get(column)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"row {row.get('slug')!r} column {column!r}: expected an integer")
    return value


def _str(row: Mapping[str, object], column: str) -> str:
    value = row.get(column)
    if not isinstance(value, str):
        raise ValueError(f"row {row.get('slug')!r} column {column!r}: expected text")
    return value


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def gpu_spec_from_row(row: Mapping[str, object]) -> GpuSpec:
    """Convert a gpus.csv row to a GpuSpec in bytes, bytes/s and FLOP/s."""
    try:
        interconnect = Interconnect(_str(row, "interconnect"))
    except ValueError as exc:
        raise ValueError(f"row {row.get('slug')!r} column 'interconnect': {exc}") from exc
    return GpuSpec(
        slug=_str(row, "slug"),
        memory_bytes=_float(row, "memory_gb") * _BYTES_PER_GB,
        memory_bandwidth_bytes_per_s=_float(row, "memory_bandwidth_gb_per_s") * _BYTES_PER_GB,
        bf16_flops_per_s=_float(row, "bf16_tflops") * _FLOPS_PER_TFLOPS,
        fp8_flops_per_s=_scaled(_optional_float(row, "fp8_tflops"), _FLOPS_PER_TFLOPS),
        fp4_flops_per_s=_scaled(_optional_float(row, "fp4_tflops"), _FLOPS_PER_TFLOPS),
        int8_ops_per_s=_scaled(_optional_float(row, "int8_tops"), _FLOPS_PER_TFLOPS),
        interconnect_bandwidth_bytes_per_s=_float(row, "interconnect_gb_per_s") * _BYTES_PER_GB,
        interconnect=interconnect,
        max_gpus_per_node=_int(row, "max_gpus_per_node"),
        tdp_w=_float(row, "tdp_w"),
    )


def open_model_spec_from_row(row: Mapping[str, object]) -> OpenModelSpec:
    """Convert an open_models.csv row to an OpenModelSpec (params as a plain count)."""
    try:
        attention_kind = AttentionKind(_str(row, "attention_kind"))
    except ValueError as exc:
        raise ValueError(f"row {row.get('slug')!r} column 'attention_kind': {exc}") from exc
    return OpenModelSpec(
        slug=_str(row, "slug"),
        total_params=_float(row, "total_params_b") * _PARAMS_PER_BILLION,
        active_params=_float(row, "active_params_b") * _PARAMS_PER_BILLION,
        num_layers=_int(row, "num_layers"),
        hidden_size=_int(row, "hidden_size"),
        num_attention_heads=_int(row, "num_attention_heads"),
        num_kv_heads=_int(row, "num_kv_heads"),
        head_dim=_int(row, "head_dim"),
        intermediate_size=_int(row, "intermediate_size"),
        vocab_size=_int(row, "vocab_size"),
        attention_kind=attention_kind,
        max_context_tokens=_int(row, "max_context_tokens"),
        num_experts=_int(row, "num_experts", default=0),
        num_experts_per_token=_int(row, "num_experts_per_token", default=0),
        kv_lora_rank=_int(row, "kv_lora_rank", default=0),
        qk_rope_head_dim=_int(row, "qk_rope_head_dim", default=0),
        sliding_window_tokens=_int(row, "sliding_window_tokens", default=0),
        num_sliding_window_layers=_int(row, "num_sliding_window_layers", default=0),
    )


def _money(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal | int | float | str) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"expected a price, got {value!r}")


def api_price_spec(
    row: Mapping[str, object], *, reasoning_tokens_per_request: float = 0.0
) -> ApiPriceSpec:
    """An api_models row -> ApiPriceSpec (USD per 10^6 tokens; tiers sorted by threshold),
    with the hidden reasoning tokens the model bills per request."""
    raw_tiers = row.get("long_context_tiers") or []
    assert isinstance(raw_tiers, list)  # the column is a JSON list (catalog schema)
    output_price = _money(row["usd_per_mtok_output"]) or 0.0
    tiers = tuple(
        LongContextTierSpec(
            above_input_tokens=int(tier["above_input_tokens"]),
            usd_per_mtok_input=float(tier["usd_per_mtok_input"]),
            usd_per_mtok_output=_money(tier.get("usd_per_mtok_output")) or output_price,
            usd_per_mtok_cached_input=_money(tier.get("usd_per_mtok_cached_input")),
        )
        for tier in sorted(raw_tiers, key=lambda t: int(t["above_input_tokens"]))
    )
    return ApiPriceSpec(
        slug=_str(row, "slug"),
        usd_per_mtok_input=_money(row["usd_per_mtok_input"]) or 0.0,
        usd_per_mtok_output=output_price,
        usd_per_mtok_cached_input=_money(row.get("usd_per_mtok_cached_input")),
        batch_discount=_money(row.get("batch_discount")),
        long_context_tiers=tiers,
        usd_per_mtok_cache_write=_money(row.get("usd_per_mtok_cache_write")),
        context_window_tokens=_optional_float(row, "context_window_tokens"),
        reasoning_tokens_per_request=reasoning_tokens_per_request,
    )


def offering_price_spec(row: Mapping[str, object]) -> OfferingPriceSpec:
    """A gpu_offerings row -> its instance-hour prices by purchase mode, where published."""
    prices = {
        mode: price
        for mode, column in OFFERING_PRICE_COLUMNS.items()
        if (price := _money(row.get(column))) is not None
    }
    return OfferingPriceSpec(
        slug=_str(row, "slug"),
        gpu_slug=_str(row, "gpu_slug"),
        gpu_count=_int(row, "gpu_count"),
        usd_per_instance_hour=prices,
    )


def gpu_purchase_spec(row: Mapping[str, object]) -> GpuPurchaseSpec:
    """A gpus row -> what purchasing needs: its slug and catalog list price, if any."""
    return GpuPurchaseSpec(slug=_str(row, "slug"), list_price_usd=_money(row.get("list_price_usd")))


def gpu_price_override_specs(
    overrides: Sequence[Mapping[str, object]],
) -> dict[str, GpuPriceOverrideSpec]:
    """The request's `self_hosting.gpu_prices` (as dicts) -> override specs by GPU slug."""
    out: dict[str, GpuPriceOverrideSpec] = {}
    for override in overrides:
        hourly = {
            mode: float(value)
            for mode in CLOUD_MODES
            if isinstance(value := override.get(f"usd_per_gpu_hour_{mode.value}"), int | float)
        }
        owned = override.get("owned_usd_per_gpu")
        slug = str(override["gpu"])
        out.setdefault(
            slug,
            GpuPriceOverrideSpec(
                slug, hourly, float(owned) if isinstance(owned, int | float) else None
            ),
        )
    return out
