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

GPUS_FILE: Final = "gpus.csv"
GPU_OFFERINGS_FILE: Final = "gpu_offerings.csv"
OPEN_MODELS_FILE: Final = "open_models.csv"

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

_SCHEMAS: Final[Mapping[str, _Schema]] = {
    GPUS_FILE: _GPU_SCHEMA,
    GPU_OFFERINGS_FILE: _GPU_OFFERING_SCHEMA,
    OPEN_MODELS_FILE: _OPEN_MODEL_SCHEMA,
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
