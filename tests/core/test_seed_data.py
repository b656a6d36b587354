"""Checks on the seed catalog CSVs in app/catalog_data and their typed loader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from app.catalog.seed_data import (
    GPU_OFFERINGS_FILE,
    GPUS_FILE,
    Row,
    load_gpu_offerings,
    load_gpus,
    load_open_models,
    parse_catalog_csv,
)
from app.core.types import AttentionKind, Interconnect
from app.services.catalog_specs import gpu_spec_from_row, open_model_spec_from_row
from tests.factories import REQUIRED_GPU_SLUGS, REQUIRED_MODEL_SLUGS

# The catalog was compiled on this date; no source can be dated after it.
LATEST_AS_OF = dt.date(2026, 11, 30)

PRICE_COLUMNS = (
    "usd_per_hour_on_demand",
    "usd_per_hour_committed_1y",
    "usd_per_hour_committed_3y",
    "usd_per_hour_spot",
)


def _by_slug(rows: list[Row]) -> dict[str, Row]:
    return {str(row["slug"]): row for row in rows}


@pytest.fixture(scope="module")
def gpus() -> dict[str, Row]:
    return _by_slug(load_gpus())


@pytest.fixture(scope="module")
def offerings() -> dict[str, Row]:
    return _by_slug(load_gpu_offerings())


@pytest.fixture(scope="module")
def models() -> dict[str, Row]:
    return _by_slug(load_open_models())


def test_required_slugs_present(gpus: dict[str, Row], models: dict[str, Row]) -> None:
    assert gpus.keys() >= REQUIRED_GPU_SLUGS
    assert models.keys() >= REQUIRED_MODEL_SLUGS


@pytest.mark.parametrize("loader", [load_gpus, load_gpu_offerings, load_open_models])
def test_every_row_has_source_and_valid_as_of(loader: Callable[[], list[Row]]) -> None:
    rows = loader()
    assert rows
    for row in rows:
        assert isinstance(row["source"], str)
        assert row["source"].strip(), row["slug"]
        as_of = row["as_of"]
        assert isinstance(as_of, dt.date), row["slug"]
        assert dt.date(2020, 1, 1) <= as_of <= LATEST_AS_OF, row["slug"]


def test_offerings_reference_known_gpus(gpus: dict[str, Row], offerings: dict[str, Row]) -> None:
    for slug, row in offerings.items():
        assert row["gpu_slug"] in gpus, slug


def test_offerings_coverage(offerings: dict[str, Row]) -> None:
    providers = {row["provider"] for row in offerings.values()}
    assert {"aws", "gcp", "azure"} <= providers
    assert len(providers - {"aws", "gcp", "azure"}) >= 3
    assert len(offerings) >= 25


def test_offering_prices_are_positive_decimals_and_discounts_are_cheaper(
    offerings: dict[str, Row],
) -> None:
    for slug, row in offerings.items():
        prices = {column: row[column] for column in PRICE_COLUMNS}
        assert any(price is not None for price in prices.values()), slug
        for column, price in prices.items():
            if price is None:
                continue
            assert isinstance(price, Decimal), (slug, column)
            assert price > 0, (slug, column)
        on_demand = prices["usd_per_hour_on_demand"]
        if on_demand is None:
            continue
        for column in (
            "usd_per_hour_committed_1y",
            "usd_per_hour_committed_3y",
            "usd_per_hour_spot",
        ):
            discounted = prices[column]
            if discounted is not None:
                assert isinstance(discounted, Decimal)
                assert isinstance(on_demand, Decimal)
                assert discounted < on_demand, (slug, column)


def test_gpu_flops_are_dense(gpus: dict[str, Row]) -> None:
    # NVIDIA H100 datasheet: BF16 1,979 TFLOPS "shown with sparsity"; dense is half (~989).
    assert gpus["h100-sxm-80gb"]["bf16_tflops"] == pytest.approx(989, abs=1)
    # NVIDIA L40S datasheet: BF16 362.05 | 733* (* = with sparsity).
    assert gpus["l40s-48gb"]["bf16_tflops"] == pytest.approx(362.05)
    # NVIDIA A100 datasheet: BF16 312 | 624*.
    assert gpus["a100-sxm-80gb"]["bf16_tflops"] == pytest.approx(312)
    for slug, row in gpus.items():
        bf16 = row["bf16_tflops"]
        assert isinstance(bf16, float)
        fp8 = row["fp8_tflops"]
        if fp8 is not None:
            # Every listed part runs FP8 at twice its BF16 tensor rate (dense vs dense); 2%
            # slack because the L40S datasheet prints 362.05 BF16 next to 733 FP8.
            assert isinstance(fp8, float)
            assert fp8 == pytest.approx(2 * bf16, rel=0.02), slug
        fp4 = row["fp4_tflops"]
        if fp4 is not None:
            assert isinstance(fp4, float)
            assert isinstance(fp8, float), slug
            assert fp4 == pytest.approx(2 * fp8, rel=0.01), slug


def test_formats_missing_where_hardware_lacks_them(gpus: dict[str, Row]) -> None:
    # Ampere has no FP8 tensor cores; FP4 arrived with Blackwell.
    for slug in ("a100-sxm-40gb", "a100-sxm-80gb", "a100-pcie-80gb", "a10g-24gb"):
        assert gpus[slug]["fp8_tflops"] is None, slug
    for slug in ("h100-sxm-80gb", "h200-sxm-141gb", "l40s-48gb", "mi300x-192gb"):
        assert gpus[slug]["fp4_tflops"] is None, slug
    assert gpus["b200-180gb"]["fp4_tflops"] is not None


def test_gpu_rows_convert_to_specs(gpus: dict[str, Row]) -> None:
    for row in gpus.values():
        spec = gpu_spec_from_row(row)
        assert spec.memory_bytes > 0
        assert spec.max_gpus_per_node >= 1
    h100 = gpu_spec_from_row(gpus["h100-sxm-80gb"])
    # nvidia-smi on H100 SXM reports 81,559 MiB (NVIDIA/nccl issue #1264); datasheet 3.35 TB/s,
    # NVLink 900 GB/s bidirectional.
    assert h100.memory_bytes == pytest.approx(81559 * 2**20, rel=1e-4)
    assert h100.memory_bandwidth_bytes_per_s == pytest.approx(3.35e12)
    assert h100.bf16_flops_per_s == pytest.approx(989e12, rel=1e-3)
    assert h100.interconnect is Interconnect.NVLINK
    assert h100.interconnect_bandwidth_bytes_per_s == pytest.approx(450e9)
    a100 = gpu_spec_from_row(gpus["a100-sxm-80gb"])
    assert a100.fp8_flops_per_s is None


def test_gpu_memory_is_driver_reported_capacity(gpus: dict[str, Row]) -> None:
    # memory_gb is the total the driver reports, in 10^9 bytes, rounded to 2 decimals; product
    # names quote GiB, so an "80GB" HBM part holds more than 80e9 bytes.
    # nvidia-smi "81559MiB" on H100 80GB HBM3: NVIDIA/nccl issue #1264, modal-labs/modal-client
    # PR #2797 ("H100: 81559MiB (85.52 GB)").
    assert gpus["h100-sxm-80gb"]["memory_gb"] == 85.52
    # nvidia-smi "81920MiB" on A100 80GB: modal-labs/modal-client PR #2797.
    assert gpus["a100-sxm-80gb"]["memory_gb"] == 85.90
    # nvidia-smi "143771MiB" on H200: NVIDIA/TensorRT-LLM issue #9554.
    assert gpus["h200-sxm-141gb"]["memory_gb"] == 150.75
    # nvidia-smi "183359MiB" on B200: NVIDIA/TensorRT-LLM issue #10278.
    assert gpus["b200-180gb"]["memory_gb"] == 192.27
    # nvidia-smi "46068MiB" on L40S: modal-labs/modal-client PR #2797, aiconfigurator l40s.yaml.
    assert gpus["l40s-48gb"]["memory_gb"] == 48.31
    # rocminfo pool "201310208 KB" (196,592 MiB) on MI300X: ROCm/legacy-rocm-build issue #4414.
    assert gpus["mi300x-192gb"]["memory_gb"] == 206.14
    for slug, row in gpus.items():
        memory_gb = row["memory_gb"]
        assert isinstance(memory_gb, float), slug
        # Every row cites where its driver-reported (or GiB) figure came from.
        source = row["source"]
        assert isinstance(source, str), slug
        assert "memory_gb = " in source, slug


def test_golden_model_configs(models: dict[str, Row]) -> None:
    # meta-llama/Llama-3.1-70B config.json.
    llama70 = models["llama-3.1-70b"]
    assert (
        llama70["num_layers"],
        llama70["hidden_size"],
        llama70["num_attention_heads"],
        llama70["num_kv_heads"],
        llama70["vocab_size"],
    ) == (80, 8192, 64, 8, 128256)
    # deepseek-ai/DeepSeek-V3 config.json: kv_lora_rank 512, qk_rope_head_dim 64, 256 experts.
    v3 = models["deepseek-v3"]
    assert (v3["kv_lora_rank"], v3["qk_rope_head_dim"], v3["num_experts"]) == (512, 64, 256)
    assert v3["attention_kind"] == "mla"
    # DeepSeek-V3 model card: 671B total, 37B activated per token.
    assert (v3["total_params_b"], v3["active_params_b"]) == (671, 37)
    # Mixtral paper / model card: 46.7B total, 12.9B active; 8 experts, top-2.
    mixtral = models["mixtral-8x7b"]
    assert (mixtral["total_params_b"], mixtral["active_params_b"]) == (46.7, 12.9)
    assert (mixtral["num_experts"], mixtral["num_experts_per_token"]) == (8, 2)
    # openai/gpt-oss-120b config.json: 36 layers alternating sliding (window 128) / full.
    oss = models["gpt-oss-120b"]
    assert (oss["num_layers"], oss["sliding_window_tokens"], oss["num_sliding_window_layers"]) == (
        36,
        128,
        18,
    )
    # EleutherAI/gpt-j-6b config.json: 16 heads of 256, plain multi-head attention.
    gptj = models["gpt-j-6b"]
    assert (gptj["num_attention_heads"], gptj["head_dim"], gptj["attention_kind"]) == (
        16,
        256,
        "mha",
    )


def test_model_invariants(models: dict[str, Row]) -> None:
    for slug, row in models.items():
        spec = open_model_spec_from_row(row)
        assert 0 < spec.active_params <= spec.total_params, slug
        assert spec.num_kv_heads <= spec.num_attention_heads, slug
        assert spec.num_attention_heads % spec.num_kv_heads == 0, slug
        if spec.is_moe:
            assert 1 <= spec.num_experts_per_token <= spec.num_experts, slug
            assert spec.active_params < spec.total_params, slug
        else:
            assert spec.num_experts_per_token == 0, slug
            assert spec.active_params == spec.total_params, slug
        if spec.attention_kind is AttentionKind.MHA:
            assert spec.num_kv_heads == spec.num_attention_heads, slug
        if spec.attention_kind is AttentionKind.GQA:
            assert spec.num_kv_heads < spec.num_attention_heads, slug
        if spec.attention_kind is AttentionKind.MLA:
            assert spec.kv_lora_rank > 0, slug
            assert spec.qk_rope_head_dim > 0, slug
        if spec.attention_kind is AttentionKind.SLIDING_WINDOW:
            assert spec.sliding_window_tokens > 0, slug
            assert 0 < spec.num_sliding_window_layers <= spec.num_layers, slug
        else:
            assert spec.sliding_window_tokens == 0, slug


def test_dense_param_counts_match_config_shapes(models: dict[str, Row]) -> None:
    # Llama-style dense decoder: attention q,o (h x H*d) + k,v (h x kv*d), gated MLP 3*h*ff,
    # untied embeddings 2*V*h; norms are negligible. Catches a mistyped layer count or width.
    for slug in ("llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "llama-2-70b"):
        spec = open_model_spec_from_row(models[slug])
        h, d = spec.hidden_size, spec.head_dim
        attn = 2 * h * spec.num_attention_heads * d + 2 * h * spec.num_kv_heads * d
        mlp = 3 * h * spec.intermediate_size
        params = spec.num_layers * (attn + mlp) + 2 * spec.vocab_size * h
        assert spec.total_params == pytest.approx(params, rel=0.005), slug


def test_malformed_cell_fails_loudly() -> None:
    header = (
        "slug,provider,instance_type,gpu_slug,gpu_count,region,usd_per_hour_on_demand,"
        "usd_per_hour_committed_1y,usd_per_hour_committed_3y,usd_per_hour_spot,source,as_of"
    )
    good = "x,aws,p5,h100-sxm-80gb,8,us-east-1,55.04,,,,src,2026-11-09"
    assert parse_catalog_csv(GPU_OFFERINGS_FILE, f"{header}\n{good}\n")[0]["gpu_count"] == 8
    bad_price = good.replace("55.04", "fifty")
    with pytest.raises(
        ValueError, match=r"gpu_offerings\.csv row 3 column 'usd_per_hour_on_demand'"
    ):
        parse_catalog_csv(
            GPU_OFFERINGS_FILE, f"{header}\n{good.replace('x,', 'y,', 1)}\n{bad_price}\n"
        )
    bad_date = good.replace("2026-11-09", "11/09/2026")
    with pytest.raises(ValueError, match=r"row 2 column 'as_of'"):
        parse_catalog_csv(GPU_OFFERINGS_FILE, f"{header}\n{bad_date}\n")
    missing_source = good.replace(",src,", ",,")
    with pytest.raises(ValueError, match=r"column 'source': empty required cell"):
        parse_catalog_csv(GPU_OFFERINGS_FILE, f"{header}\n{missing_source}\n")
    with pytest.raises(ValueError, match="duplicate"):
        parse_catalog_csv(GPU_OFFERINGS_FILE, f"{header}\n{good}\n{good}\n")
    with pytest.raises(ValueError, match="header"):
        parse_catalog_csv(GPUS_FILE, f"{header}\n{good}\n")


def test_bad_enum_value_fails_conversion(gpus: dict[str, Row], models: dict[str, Row]) -> None:
    with pytest.raises(ValueError, match="interconnect"):
        gpu_spec_from_row({**gpus["l4-24gb"], "interconnect": "infiniband"})
    with pytest.raises(ValueError, match="attention_kind"):
        open_model_spec_from_row({**models["gpt-j-6b"], "attention_kind": "linear"})


def test_aws_committed_and_spot_prices(offerings: dict[str, Row]) -> None:
    # instances.vantage.sh export in tsaol/aws-gpu@2d0108c7 data/gpu_instances_raw.json, us-east-1
    # Linux: p5.48xlarge on-demand 55.04, 1y Convertible RI no-upfront 43.344, 3y Standard RI
    # no-upfront 23.77728, spot_min 13.2182; p4d.24xlarge on-demand 21.957642, 1y/3y Standard RI
    # no-upfront 13.921094 / 9.374219, spot_min 8.0468.
    expected = {
        "aws-p5-48xlarge": ("55.04", "43.344", "23.77728", "13.2182"),
        "aws-p4d-24xlarge": ("21.957642", "13.921094", "9.374219", "8.0468"),
    }
    for slug, prices in expected.items():
        row = offerings[slug]
        assert tuple(row[column] for column in PRICE_COLUMNS) == tuple(map(Decimal, prices)), slug
        # A longer commitment is never dearer per hour than a shorter one.
        one_year, three_year = row["usd_per_hour_committed_1y"], row["usd_per_hour_committed_3y"]
        assert isinstance(one_year, Decimal)
        assert isinstance(three_year, Decimal)
        assert three_year < one_year, slug
        source = row["source"]
        assert isinstance(source, str)
        assert "committed 1y/3y and spot:" in source, slug


def test_list_prices_are_sourced(gpus: dict[str, Row]) -> None:
    # Per-GPU prices are press figures (CNBC, Reuters, Raymond James via TechSpot); README
    # gpus.csv section. Any figure outside 1k-100k USD would be a unit slip (per server/rack).
    priced = {slug: row for slug, row in gpus.items() if row["list_price_usd"] is not None}
    assert priced, "expected at least one sourced list price"
    for slug, row in priced.items():
        price = row["list_price_usd"]
        assert isinstance(price, Decimal), slug
        assert Decimal(1000) <= price <= Decimal(100000), slug
        source = row["source"]
        assert isinstance(source, str)
        assert "list_price_usd" in source, slug
