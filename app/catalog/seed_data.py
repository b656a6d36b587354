"""Typed loaders for the seed catalog CSVs shipped in ``app/catalog_data``.

Each loader parses every cell into its declared type (int, float, Decimal for money,
date for ``as_of``, None for an empty optional cell) and raises ValueError naming the
file, the row and the column on the first malformed cell, so a bad edit to a seed file
fails at load time rather than deep inside an estimate.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from typing import Final

from app.core.types import AttentionKind, GpuSpec, Interconnect, OpenModelSpec

GPUS_FILE: Final = "gpus.csv"
GPU_OFFERINGS_FILE: Final = "gpu_offerings.csv"
OPEN_MODELS_FILE: Final = "open_models.csv"
FINE_TUNING_PRICES_FILE: Final = "fine_tuning_prices.csv"

# Unit conversions to the core's base units (see app/core/types.py).
_BYTES_PER_GB: Final = 1e9
_FLOPS_PER_TFLOPS: Final = 1e12
_PARAMS_PER_BILLION: Final = 1e9

Row = dict[str, object]
_Parser = Callable[[str], object]


def _parse_str(text: str) -> object:
    return text


def _parse_int(text: str) -> object:
    return int(text)


def _parse_float(text: str) -> object:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def _parse_decimal(text: str) -> object:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal number: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {text!r}")
    return value


def _parse_date(text: str) -> object:
    return dt.date.fromisoformat(text)


# (parser, required) per column, in file order; the header must match exactly.
_Schema = Mapping[str, tuple[_Parser, bool]]

_GPU_SCHEMA: Final[_Schema] = {
    "slug": (_parse_str, True),
    "name": (_parse_str, True),
    "vendor": (_parse_str, True),
    "memory_gb": (_parse_float, True),
    "memory_bandwidth_gb_per_s": (_parse_float, True),
    "bf16_tflops": (_parse_float, True),
    "fp8_tflops": (_parse_float, False),
    "fp4_tflops": (_parse_float, False),
    "int8_tops": (_parse_float, False),
    "interconnect": (_parse_str, True),
    "interconnect_gb_per_s": (_parse_float, True),
    "max_gpus_per_node": (_parse_int, True),
    "tdp_w": (_parse_float, True),
    "list_price_usd": (_parse_decimal, False),
    "source": (_parse_str, True),
    "as_of": (_parse_date, True),
}

_GPU_OFFERING_SCHEMA: Final[_Schema] = {
    "slug": (_parse_str, True),
    "provider": (_parse_str, True),
    "instance_type": (_parse_str, True),
    "gpu_slug": (_parse_str, True),
    "gpu_count": (_parse_int, True),
    "region": (_parse_str, False),
    "usd_per_hour_on_demand": (_parse_decimal, False),
    "usd_per_hour_committed_1y": (_parse_decimal, False),
    "usd_per_hour_committed_3y": (_parse_decimal, False),
    "usd_per_hour_spot": (_parse_decimal, False),
    "source": (_parse_str, True),
    "as_of": (_parse_date, True),
}

_OPEN_MODEL_SCHEMA: Final[_Schema] = {
    "slug": (_parse_str, True),
    "name": (_parse_str, True),
    "family": (_parse_str, True),
    "hf_repo": (_parse_str, True),
    "total_params_b": (_parse_float, True),
    "active_params_b": (_parse_float, True),
    "num_layers": (_parse_int, True),
    "hidden_size": (_parse_int, True),
    "num_attention_heads": (_parse_int, True),
    "num_kv_heads": (_parse_int, True),
    "head_dim": (_parse_int, True),
    "intermediate_size": (_parse_int, True),
    "vocab_size": (_parse_int, True),
    "num_experts": (_parse_int, True),
    "num_experts_per_token": (_parse_int, True),
    "attention_kind": (_parse_str, True),
    "kv_lora_rank": (_parse_int, False),
    "qk_rope_head_dim": (_parse_int, False),
    "sliding_window_tokens": (_parse_int, False),
    "num_sliding_window_layers": (_parse_int, False),
    "max_context_tokens": (_parse_int, True),
    "license": (_parse_str, True),
    "source": (_parse_str, True),
    "as_of": (_parse_date, True),
}

_FINE_TUNING_PRICE_SCHEMA: Final[_Schema] = {
    "slug": (_parse_str, True),
    "api_model_slug": (_parse_str, True),
    "usd_per_mtok_training": (_parse_decimal, True),
    "usd_per_mtok_input": (_parse_decimal, True),
    "usd_per_mtok_output": (_parse_decimal, True),
    "usd_per_mtok_cached_input": (_parse_decimal, False),
    "usd_per_hour_hosting": (_parse_decimal, False),
    "source": (_parse_str, True),
    "as_of": (_parse_date, True),
}

_SCHEMAS: Final[Mapping[str, _Schema]] = {
    GPUS_FILE: _GPU_SCHEMA,
    GPU_OFFERINGS_FILE: _GPU_OFFERING_SCHEMA,
    OPEN_MODELS_FILE: _OPEN_MODEL_SCHEMA,
    FINE_TUNING_PRICES_FILE: _FINE_TUNING_PRICE_SCHEMA,
}


def parse_catalog_csv(file_name: str, text: str) -> list[Row]:
    """Parse the text of one seed CSV (chosen by ``file_name``) into typed rows."""
    schema = _SCHEMAS.get(file_name)
    if schema is None:
        raise ValueError(f"unknown catalog file {file_name!r}; expected one of {sorted(_SCHEMAS)}")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    expected = list(schema)
    if header != expected:
        raise ValueError(f"{file_name}: header {header!r} does not match expected {expected!r}")
    rows: list[Row] = []
    seen_slugs: set[str] = set()
    # Data rows are numbered from 2 so the number matches the line in an editor.
    for row_number, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(expected):
            raise ValueError(
                f"{file_name} row {row_number}: {len(cells)} cells, expected {len(expected)}"
            )
        row: Row = {}
        for column, cell in zip(expected, cells, strict=True):
            parser, required = schema[column]
            text_value = cell.strip()
            if not text_value:
                if required:
                    raise ValueError(
                        f"{file_name} row {row_number} column {column!r}: empty required cell"
                    )
                row[column] = None
                continue
            try:
                row[column] = parser(text_value)
            except ValueError as exc:
                raise ValueError(
                    f"{file_name} row {row_number} column {column!r}: "
                    f"cannot parse {text_value!r} ({exc})"
                ) from exc
        slug = str(row["slug"])
        if slug in seen_slugs:
            raise ValueError(f"{file_name} row {row_number} column 'slug': duplicate {slug!r}")
        seen_slugs.add(slug)
        rows.append(row)
    return rows


def _load(file_name: str) -> list[Row]:
    resource = files("app") / "catalog_data" / file_name
    return parse_catalog_csv(file_name, resource.read_text(encoding="utf-8"))


def load_gpus() -> list[Row]:
    """Seed GPU specifications from gpus.csv (GB, GB/s, dense TFLOPS, W, USD)."""
    return _load(GPUS_FILE)


def load_gpu_offerings() -> list[Row]:
    """Seed cloud GPU offerings from gpu_offerings.csv (USD per instance-hour)."""
    return _load(GPU_OFFERINGS_FILE)


def load_open_models() -> list[Row]:
    """Seed open-weights model architectures from open_models.csv (params in billions)."""
    return _load(OPEN_MODELS_FILE)


def load_fine_tuning_prices() -> list[Row]:
    """Seed hosted fine-tuning prices from fine_tuning_prices.csv (USD per 10^6 tokens)."""
    return _load(FINE_TUNING_PRICES_FILE)


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
