"""`/v1/estimates`: what a workload costs on each hosted API and on self-hosted fleets."""

from __future__ import annotations

from fastapi import APIRouter, Body
from fastapi.openapi.models import Example

from app.api.deps import ReaderDep, ReadSessionDep
from app.metrics import timed
from app.schemas.estimates import EstimateRequest, EstimateResponse
from app.services.estimates import run_estimate

router = APIRouter(prefix="/v1/estimates", tags=["estimates"], dependencies=[ReaderDep])

SUPPORT_CHATBOT: Example = {
    "summary": "Customer-support chatbot",
    "description": "5,000 users, 8 chats a day each; prompts carry a long shared system prompt "
    "(so 60% of input is cached); interactive latency targets; traffic peaks at 2.5x the mean.",
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


@router.post("", summary="Estimate costs")
def create_estimate(
    session: ReadSessionDep,
    body: EstimateRequest = Body(  # noqa: B008 - FastAPI's way to attach examples
        openapi_examples={
            "support_chatbot": SUPPORT_CHATBOT,
            "document_summarisation": DOCUMENT_SUMMARISATION,
        }
    ),
) -> EstimateResponse:
    """Price the workload on every hosted API model and every self-hosted candidate (open model
    x GPU x TP x precision x way of paying), plus hybrid splits, the break-even volume and a
    projection over the horizon. Stateless: nothing is stored. The response repeats every
    catalog value (with source and catalog version) and every default it used."""
    with timed("estimate"):
        return run_estimate(session, body)
