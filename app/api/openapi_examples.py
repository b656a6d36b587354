"""Request examples for the OpenAPI document: what `/docs` shows and generated clients carry.

Catalog entry examples are in `catalog_examples.py`; benchmark examples are real rows of the
calibration data and measured files.
Analysis examples wrap the estimate examples, so both stay one workload.
"""

from __future__ import annotations

from typing import Final

from fastapi.openapi.models import Example

from app.api.routes.estimates import DOCUMENT_SUMMARISATION, SUPPORT_CHATBOT

ANALYSIS_CREATE: Final[dict[str, Example]] = {
    "support_chatbot": {
        "summary": "Save the customer-support chatbot estimate",
        "description": SUPPORT_CHATBOT["description"],
        "value": {
            "name": "Support chatbot, Q3 platform review",
            "description": "Hosted APIs against self-hosted Llama and Qwen for the help desk.",
            "tags": ["support", "q3-review"],
            "input": SUPPORT_CHATBOT["value"],
        },
    },
    "document_summarisation": {
        "summary": "Save the batch document-summarisation estimate",
        "description": DOCUMENT_SUMMARISATION["description"],
        "value": {
            "name": "Nightly document summaries",
            "description": "Mostly batch traffic; owned H100 servers against cheap APIs.",
            "tags": ["batch", "documents"],
            "input": DOCUMENT_SUMMARISATION["value"],
        },
    },
}

ANALYSIS_UPDATE: Final[dict[str, Example]] = {
    "relabel": {
        "summary": "Rename and re-tag (the input and result never change)",
        "value": {"name": "Support chatbot, approved plan", "tags": ["support", "approved"]},
    }
}

API_KEY_CREATE: Final[dict[str, Example]] = {
    "team_member": {
        "summary": "A key for a member of the pricing team",
        "description": "May read and save analyses; may change those of anyone in `pricing`.",
        "value": {
            "name": "alice laptop",
            "principal": "alice@example.com",
            "team": "pricing",
            "scopes": ["read", "analyses:write"],
        },
    },
}
PERFORMANCE: Final[dict[str, Example]] = {
    "llama_70b_on_two_h100": {
        "summary": "Llama 3.1 70B in FP8 on two H100s, at its best throughput",
        "value": {
            "model": "llama-3.1-70b",
            "gpu": "h100-sxm-80gb",
            "tensor_parallel": 2,
            "precision": "fp8",
            "input_tokens": 1000,
            "output_tokens": 1000,
        },
    },
    "names_people_type": {
        "summary": "Catalog entries named as people write them, 32 requests in flight",
        "description": "`Llama-3.3-70B` and `h100` resolve to `llama-3.3-70b` and "
        "`h100-sxm-80gb`; the response lists both under `aliases_resolved`.",
        "value": {
            "model": "Llama-3.3-70B",
            "gpu": "h100",
            "tensor_parallel": 4,
            "precision": "bf16",
            "input_tokens": 2000,
            "output_tokens": 300,
            "concurrency": 32,
        },
    },
}

CATALOG_REFRESH: Final[dict[str, Example]] = {
    "api_prices": {
        "summary": "Re-read API prices from the installed genai-prices package",
        "value": {"catalogs": ["api-models"]},
    },
    "everything_as_of": {
        "summary": "Re-read every catalog, with API prices as they were on a date",
        "value": {
            "catalogs": ["api-models", "gpus", "gpu-offerings", "open-models"],
            "prices_as_of": "2026-11-30",
        },
    },
}

BENCHMARK_CREATE: Final[dict[str, Example]] = {
    "qwen3_32b_sglang": {
        "summary": "One measured point: Qwen3 32B on 2x H100 under SGLang, 16 requests in flight",
        "description": "A row of the calibration data (app/calibration_data/"
        "latency_sweeps_h100.csv): TTFT and TPOT as measured; throughput derived from them.",
        "value": {
            "slug": "qwen3-32b-h100-tp2-sglang-c16",
            "engine": "sglang",
            "engine_version": "sglang 0.5.1.post1",
            "tool": "manual",
            "gpu_slug": "h100-sxm-80gb",
            "open_model_slug": "qwen3-32b",
            "tensor_parallel": 2,
            "precision": "bf16",
            "input_tokens": 1024,
            "output_tokens": 128,
            "concurrency": 16,
            "output_tokens_per_s": 696.0,
            "ttft_s": 0.8408,
            "tpot_s": 0.01654,
            "notes": "throughput derived as c*OSL/(TTFT+(OSL-1)*TPOT), not published",
            "source": "NVIDIA aiconfigurator silicon samples (measured), ai-dynamo/aiconfigurator"
            "@095f58a51c4ca8e61b66ec108d86f223f8d559ce:aic-core/src/aiconfigurator_core/"
            "systems/silicon_sample.csv",
            "as_of": "2026-04-30",
        },
    }
}

BENCHMARK_UPDATE: Final[dict[str, Example]] = {
    "qwen3-32b-h100-tp2-sglang-c16": {
        "summary": "PATCH /v1/benchmarks/qwen3-32b-h100-tp2-sglang-c16: add the p95 latencies",
        "value": {
            "ttft_p95_s": 1.21,
            "tpot_p95_s": 0.0178,
            "notes": "p95 from the same run's percentile table",
        },
    }
}

BENCHMARK_IMPORT: Final[dict[str, Example]] = {
    "vllm_bench_serve": {
        "summary": "A `vllm bench serve --save-result` file, as written (abridged)",
        "description": "Llama 3.1 70B in FP8 on 2x H100 under vLLM, 32 requests in flight; the "
        "keys the importer reads (the project's test fixture carries the full file).",
        "value": {
            "format": "vllm-bench-serve",
            "slug_prefix": "llama-70b-h100-tp2-c32",
            "engine": "vllm",
            "engine_version": "vllm 0.12.0",
            "gpu_slug": "h100-sxm-80gb",
            "open_model_slug": "llama-3.1-70b",
            "tensor_parallel": 2,
            "precision": "fp8",
            "source": "Our staging cluster, node gpu-07, 2026-12-01 run",
            "as_of": "2026-12-01",
            "report": {
                "date": "20261201-101500",
                "model_id": "meta-llama/Llama-3.1-70B-Instruct",
                "num_prompts": 320,
                "request_rate": "inf",
                "max_concurrency": 32,
                "completed": 320,
                "total_input_tokens": 327680,
                "total_output_tokens": 327680,
                "request_throughput": 1.273,
                "output_throughput": 1303.6,
                "mean_ttft_ms": 271.9,
                "p95_ttft_ms": 512.6,
                "mean_tpot_ms": 23.61,
                "p95_tpot_ms": 24.9,
            },
        },
    }
}
