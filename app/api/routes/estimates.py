"""`/v1/estimates`: what a workload costs on each hosted API and on self-hosted fleets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.openapi.models import Example

from app.api.cache_status import CACHE_STATUS_HEADER, json_answer
from app.api.deps import ReaderDep, read_session
from app.api.routes.plans import CHAT_PLUS_DOCUMENTS
from app.schemas.estimates import EstimateRequest, EstimateResponse
from app.services.estimates import estimate_json
from app.services.response_cache import ResponseCache

router = APIRouter(prefix="/v1/estimates", tags=["estimates"], dependencies=[ReaderDep])

SUPPORT_CHATBOT: Example = {
    "summary": "Customer-support chatbot",
    "description": "5,000 users, 8 chats a day each; prompts carry a long shared system prompt "
    "(so 60% of input is cached); interactive latency targets; traffic peaks at 2.5x the mean. "
    "Only models as good as GPT-4o on GPQA Diamond (within a point) are compared; half the "
    "chats could go to a smaller model; costs come with P10-P90 ranges and a tornado.",
    "value": {
        "workload": {
            "users": 5000,
            "requests_per_user_per_day": 8,
            "input_tokens": 1500,
            "output_tokens": 250,
            "input_tokens_p95": 4000,
            "output_tokens_p95": 600,
            "cached_input_share": 0.6,
            "peak_to_average": 2.5,
            "growth_per_month": 0.05,
            "horizon_months": 12,
            "latency": {"ttft_p95_s": 1.5, "tpot_p95_s": 0.05},
            "availability": {"redundancy_replicas": 1, "zones": 1},
        },
        "api_models": [
            "openai--gpt-4o-mini",
            "openai--gpt-4o",
            "anthropic--claude-haiku-4-5",
            "google--gemini-2.5-flash",
        ],
        "self_hosting": {
            "open_models": ["llama-3.1-8b", "llama-3.3-70b", "qwen3-30b-a3b"],
            "gpus": ["h100-sxm-80gb", "l40s-48gb", "a100-sxm-80gb"],
            "precisions": ["bf16", "fp8"],
        },
        "quality": {"match": "openai--gpt-4o", "measure": "gpqa_diamond", "tolerance": 1.0},
        "routing": {"small_model_share": 0.5},
        "ranges": {"samples": 1000, "seed": 1},
    },
}
DOCUMENT_SUMMARISATION: Example = {
    "summary": "Batch document-summarisation pipeline",
    "description": "200,000 documents a day of ~6,000 tokens, 400-token summaries; 90% can wait "
    "for batch processing, no interactive latency target; compare owned H100s.",
    "value": {
        "workload": {
            "requests_per_day": 200000,
            "input_tokens": 6000,
            "output_tokens": 400,
            "input_tokens_p95": 12000,
            "batch_share": 0.9,
            "hourly_profile": [1] * 8 + [3] * 10 + [1] * 6,
            "availability": {"redundancy_replicas": 0},
        },
        "api_models": [
            "openai--gpt-4o-mini",
            "google--gemini-2.5-flash-lite",
            "deepseek--deepseek-chat",
        ],
        "self_hosting": {
            "open_models": ["llama-3.1-8b", "qwen3-14b", "gpt-oss-20b"],
            "gpus": ["h100-sxm-80gb", "l4-24gb"],
            "gpu_prices": [{"gpu": "h100-sxm-80gb", "owned_usd_per_gpu": 27000}],
            "owned": {"server_usd_per_gpu": 6000, "amortization_years": 4},
        },
        "costs": {"usd_per_kwh": 0.09, "staff_fte": 0.25},
    },
}

CODING_ASSISTANT: Example = {
    "summary": "Coding assistant for 20 million users: hosted API or a model of your own",
    "description": "20 million developers, 40 completions a day each; long code context, short "
    "completions, tight latency. Compares hosted APIs with a custom 8B-class model trained "
    "from scratch and served in-house (owned servers or 3-year commitments), with the team, "
    "a 3-month hiring lead and a 6-month build-out (the workload runs on the API meanwhile), "
    "two retrains a year, and serving infrastructure included.",
    "value": {
        "workload": {
            "users": 20_000_000,
            "requests_per_user_per_day": 40,
            "input_tokens": 2000,
            "output_tokens": 120,
            "input_tokens_p95": 6000,
            "output_tokens_p95": 400,
            "cached_input_share": 0.5,
            "peak_to_average": 2.0,
            "growth_per_month": 0.03,
            "horizon_months": 24,
            "latency": {"ttft_p95_s": 0.5, "tpot_p95_s": 0.02},
            "availability": {"redundancy_replicas": 2, "zones": 2},
        },
        "api_models": ["openai--gpt-4o-mini", "anthropic--claude-haiku-4-5"],
        "self_hosting": {
            "open_models": ["llama-3.1-8b"],
            "gpus": ["h100-sxm-80gb", "h200-sxm-141gb"],
            "precisions": ["fp8"],
            "purchase_modes": ["committed_3y", "owned"],
        },
        "adaptation": {
            "method": "from_scratch",
            "training_tokens": 2e12,
            "retrains_per_year": 2,
            "eval_tokens_per_run": 1e9,
            "data_prep_usd_per_run": 250_000,
        },
        "time_to_production": {"hiring_lead_months": 3, "build_out_months": 6},
        "team": {"models_served": 1, "location_cost_factor": 1.3},
    },
}

#: The plans worked example (docs/plans.md) as an estimate that asks for its plan: the response
#: carries the options as usual and `plan`, the answer `POST /v1/plans` gives for that input.
_PLAN_SETTINGS = ("length_buckets", "limits", "api_overflow_model", "time_limit_s")
_PLANNED: dict[str, Any] = dict(CHAT_PLUS_DOCUMENTS.get("value") or {})
CHAT_PLUS_DOCUMENTS_PLANNED: Example = {
    "summary": "Chat plus documents, with a procurement plan",
    "description": "The chat-plus-documents workload of the plans example, priced option by "
    "option and planned as one mixed fleet (`plan`: three length buckets); the plan mixes B200 "
    "and H200 pools and beats every single-type fleet (docs/plans.md).",
    "value": {
        **{k: v for k, v in _PLANNED.items() if k not in _PLAN_SETTINGS},
        "plan": {k: v for k, v in _PLANNED.items() if k in _PLAN_SETTINGS},
    },
}


@router.post(
    "",
    summary="Estimate costs",
    response_model=EstimateResponse,
    responses={200: {"headers": CACHE_STATUS_HEADER}},
)
def create_estimate(
    request: Request,
    body: EstimateRequest = Body(  # noqa: B008 - FastAPI's way to attach examples
        openapi_examples={
            "support_chatbot": SUPPORT_CHATBOT,
            "document_summarisation": DOCUMENT_SUMMARISATION,
            "coding_assistant": CODING_ASSISTANT,
            "chat_plus_documents_planned": CHAT_PLUS_DOCUMENTS_PLANNED,
        }
    ),
) -> Response:
    """Price the workload on every hosted API model and every self-hosted candidate (open model
    x GPU x TP x precision x way of paying), plus hybrid splits, the break-even volume and a
    projection over the horizon; with `plan`, also the cheapest mixed fleet under the plan's
    limits (as `POST /v1/plans`). Stateless: nothing is stored. The response repeats every
    catalog value (with source and catalog version) and every default it used.

    The same request asked again while the catalog is unchanged is answered from the worker's
    response cache (`Cache-Status: llm-cost-estimator; hit`), byte for byte what was computed
    the first time; `ANSWER_CACHE_MB=0` turns it off."""
    cache: ResponseCache = request.app.state.answer_cache
    with read_session(request) as session:
        return json_answer(*estimate_json(session, body, cache), cache)
