"""Request examples of the catalog entries (GPUs, offerings, open models, API models,
fine-tuning prices, quality scores) for the OpenAPI document.

Create examples are real catalog rows: they copy a packaged row (the hardware and model CSVs in
`app/catalog_data/`, the pinned genai-prices data for API models) and a test keeps them equal
to it; PATCH examples are named after the entry they change and cite their source.
"""

from __future__ import annotations

from typing import Final

from fastapi.openapi.models import Example

GPU_CREATE: Final[dict[str, Example]] = {
    "h200_sxm": {
        "summary": "A GPU with its datasheet figures (the catalog's H200 SXM row)",
        "value": {
            "slug": "h200-sxm-141gb",
            "name": "NVIDIA H200 SXM 141GB",
            "vendor": "nvidia",
            "memory_gb": 150.75,
            "memory_bandwidth_gb_per_s": 4800.0,
            "bf16_tflops": 989.0,
            "fp8_tflops": 1979.0,
            "int8_tops": 1979.0,
            "interconnect": "nvlink",
            "interconnect_gb_per_s": 450.0,
            "max_gpus_per_node": 8,
            "tdp_w": 700.0,
            "list_price_usd": 27000.0,
            "source": "NVIDIA H200 datasheet / nvidia.com/en-us/data-center/h200 (141 GB HBM3e, "
            "4.8 TB/s, BF16 1,979 and FP8 3,958 with sparsity, up to 700 W, NVLink 900 GB/s "
            "bidirectional); dense figures as in NVIDIA aiconfigurator h200_sxm.yaml and "
            "pytorch/torchtitan get_peak_flops; memory and 700 W TGP also in "
            "mlcommons/inference_results_v4.1 closed/NVIDIA/systems/H200-SXM-141GBx8_TRT.json | "
            "memory_gb = 143771 MiB x 2^20 / 10^9 = 150.75 GB. Driver-reported memory: "
            "nvidia-smi 'NVIDIA H200 ... / 143771MiB' in NVIDIA/TensorRT-LLM issue #9554 and "
            "sgl-project/sglang issue #3196; list_price_usd: Reuters (late Dec 2025), as "
            "reported by NewsBytes ('NVIDIA wants TSMC to make its H200 chips for China', "
            "2025-12-31) and Techzine ('Nvidia demands full prepayment for H200 chips to "
            "China', 2026-01-08): Nvidia is pricing H200 for Chinese customers 'at around "
            "$27,000 per chip' (8-GPU module about 1.5 million yuan, ~$215,000); single figure "
            "27000 used; it is an export price to China and does not name SXM vs NVL",
            "as_of": "2026-11-30",
        },
    }
}

GPU_UPDATE: Final[dict[str, Example]] = {
    "h100-sxm-80gb": {
        "summary": "PATCH /v1/gpus/h100-sxm-80gb: the low end of the reported price range",
        "value": {
            "list_price_usd": 25000.0,
            "source": "Barron's (Tae Kim) citing Raymond James: H100 'sold to end customers for "
            "a price ranging from $25,000 to $30,000'; low end of the range",
            "as_of": "2026-12-01",
        },
    }
}

GPU_OFFERING_CREATE: Final[dict[str, Example]] = {
    "aws_p5en": {
        "summary": "A cloud instance and its hourly prices (the catalog's AWS p5en row)",
        "value": {
            "slug": "aws-p5en-48xlarge",
            "provider": "aws",
            "instance_type": "p5en.48xlarge",
            "gpu_slug": "h200-sxm-141gb",
            "gpu_count": 8,
            "region": "us-east-1",
            "usd_per_hour_on_demand": 63.296,
            "source": "SECONDARY: tsaol/aws-gpu data/p5en_instances.js ('Auto-generated from "
            "instances.vantage.sh data, Last updated: 2025-12-21'; on-demand Linux us-east-1 "
            "63.296, i.e. 7.912 USD per H200-hour). Reserved and spot rates not captured "
            "(skypilot-org/skypilot-catalog@001367d2 catalogs/v7/aws/vms.csv lists spot 24.2902 "
            "in use1-az2 but next to the pre-June-2025 on-demand 84.8, so it is not used)",
            "as_of": "2025-12-21",
        },
    }
}

GPU_OFFERING_UPDATE: Final[dict[str, Example]] = {
    "aws-p5-48xlarge": {
        "summary": "PATCH /v1/gpu-offerings/aws-p5-48xlarge: price checked again",
        "value": {
            "usd_per_hour_on_demand": 55.04,
            "source": "AWS EC2 On-Demand pricing (aws.amazon.com/ec2/pricing/on-demand), "
            "p5.48xlarge, Linux, us-east-1",
            "as_of": "2026-12-01",
        },
    }
}

FINE_TUNING_PRICE_CREATE: Final[dict[str, Example]] = {
    "gpt_4o_mini": {
        "summary": "A provider's hosted fine-tuning price (the catalog's gpt-4o-mini row)",
        "value": {
            "slug": "openai--gpt-4o-mini-fine-tuning",
            "api_model_slug": "openai--gpt-4o-mini",
            "usd_per_mtok_training": 3.0,
            "usd_per_mtok_input": 0.3,
            "usd_per_mtok_output": 1.2,
            "usd_per_mtok_cached_input": 0.15,
            "source": (
                "OpenAI API pricing page (platform.openai.com/docs/pricing, 'Fine-tuning' table: "
                "gpt-4o-mini-2024-07-18 training $3.00, input $0.30, cached input $0.15, output $"
                "1.20 per 1M tokens). SECONDARY: TokenMix, 'OpenAI Fine-Tuning Pricing Guide' (to"
                "kenmix.ai/blog/openai-fine-tuning-pricing, April 2026, 'verified against OpenAI'"
                "s official documentation'): training $3.00, inference $0.30 / $1.20. OpenAI bill"
                "s no hosting for fine-tuned models (the hourly figures in that guide are Azure O"
                "penAI's), so hosting is empty"
            ),
            "as_of": "2026-04-01",
        },
    }
}

FINE_TUNING_PRICE_UPDATE: Final[dict[str, Example]] = {
    "openai--gpt-4o-fine-tuning": {
        "summary": "PATCH /v1/fine-tuning-prices/openai--gpt-4o-fine-tuning: price checked again",
        "value": {
            "usd_per_mtok_training": 25.0,
            "source": "OpenAI API pricing (platform.openai.com/docs/pricing), Fine-tuning table, "
            "gpt-4o-2024-08-06",
            "as_of": "2026-12-01",
        },
    }
}

OPEN_MODEL_CREATE: Final[dict[str, Example]] = {
    "qwen3_32b": {
        "summary": "An open model's architecture from its config.json (the catalog's Qwen3 32B)",
        "value": {
            "slug": "qwen3-32b",
            "name": "Qwen3 32B",
            "family": "qwen",
            "hf_repo": "Qwen/Qwen3-32B",
            "total_params_b": 32.8,
            "active_params_b": 32.8,
            "num_layers": 64,
            "hidden_size": 5120,
            "num_attention_heads": 64,
            "num_kv_heads": 8,
            "head_dim": 128,
            "intermediate_size": 25600,
            "vocab_size": 151936,
            "num_experts": 0,
            "num_experts_per_token": 0,
            "attention_kind": "gqa",
            "max_context_tokens": 40960,
            "license": "apache-2.0",
            "source": "huggingface.co/Qwen/Qwen3-32B config.json (64 layers, hidden 5120, 64 "
            "heads, 8 KV heads, head_dim 128, intermediate 25600, vocab 151936, "
            "max_position_embeddings 40960); 32.8B from the model card (shapes give 32.76)",
            "as_of": "2025-04-29",
        },
    }
}

OPEN_MODEL_UPDATE: Final[dict[str, Example]] = {
    "qwen3-32b": {
        "summary": "PATCH /v1/open-models/qwen3-32b: serve the long context with YaRN",
        "value": {
            "max_context_tokens": 131072,
            "source": "huggingface.co/Qwen/Qwen3-32B model card: 'Context Length: 32,768 "
            "natively and 131,072 tokens with YaRN'",
            "as_of": "2026-12-01",
        },
    }
}

API_MODEL_CREATE: Final[dict[str, Example]] = {
    "claude_sonnet_4_5": {
        "summary": "A hosted model's prices, with a long-context tier (the catalog's "
        "Claude Sonnet 4.5 row, from genai-prices)",
        "value": {
            "slug": "anthropic--claude-sonnet-4-5",
            "provider": "anthropic",
            "provider_name": "Anthropic",
            "model_id": "claude-sonnet-4-5",
            "name": "Claude Sonnet 4.5",
            "context_window_tokens": 200000,
            "usd_per_mtok_input": 3.0,
            "usd_per_mtok_output": 15.0,
            "usd_per_mtok_cached_input": 0.3,
            "usd_per_mtok_cache_write": 3.75,
            "batch_discount": 0.5,
            "batch_discount_source": "genai-prices: processing=batch price variant",
            "long_context_tiers": [
                {
                    "above_input_tokens": 200000,
                    "usd_per_mtok_input": 6.0,
                    "usd_per_mtok_output": 22.5,
                    "usd_per_mtok_cached_input": 0.6,
                }
            ],
            "source": "genai-prices 0.2.3 (pydantic/genai-prices data snapshot), provider "
            "pricing page: https://www.anthropic.com/pricing#api",
            "as_of": "2026-11-03",
        },
    }
}

API_MODEL_UPDATE: Final[dict[str, Example]] = {
    "openai--gpt-4o-mini": {
        "summary": "PATCH /v1/api-models/openai--gpt-4o-mini: a negotiated input price",
        "value": {
            "usd_per_mtok_input": 0.12,
            "source": "Enterprise agreement with OpenAI, 20% off list input price ($0.15)",
            "as_of": "2026-12-01",
        },
    }
}

QUALITY_SCORE_CREATE: Final[dict[str, Example]] = {
    "llama_3_3_70b": {
        "summary": "A model's published quality measures (the catalog's Llama 3.3 70B row)",
        "value": {
            "slug": "llama-3.3-70b",
            "name": "Llama 3.3 70B Instruct",
            "model_kind": "open",
            "mmlu_pro": 68.9,
            "gpqa_diamond": 50.5,
            "livecodebench": 33.3,
            "source": 'Meta Llama 4 model card, instruction-tuned benchmark table, column "Llama '
            '3.3 70B": MMLU Pro (0-shot), GPQA Diamond (0-shot, accuracy), LiveCodeBench '
            "(2024-10-01 to 2025-02-01, pass@1). "
            "https://github.com/meta-llama/llama-models/blob/main/models/llama4/MODEL_CARD.md",
            "as_of": "2025-04-05",
        },
    }
}

QUALITY_SCORE_UPDATE: Final[dict[str, Example]] = {
    "llama-3.1-405b": {
        "summary": "PATCH /v1/quality-scores/llama-3.1-405b: take MMLU-Pro from the 5-shot CoT "
        "table of the Llama 3.3 card instead",
        "value": {
            "mmlu_pro": 73.3,
            "source": 'Meta Llama 3.3 model card, instruction-tuned table, column "Llama 3.1 '
            '405B Instruct": MMLU Pro (CoT, 5-shot, macro_avg/acc) 73.3. '
            "https://github.com/meta-llama/llama-models/blob/main/models/llama3_3/MODEL_CARD.md",
            "as_of": "2024-12-06",
        },
    }
}
