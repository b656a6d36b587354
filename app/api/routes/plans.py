"""`/v1/plans`: the cheapest mix of GPU types, ways of paying and API overflow under limits."""

from __future__ import annotations

from fastapi import APIRouter, Body, Request
from fastapi.openapi.models import Example

from app.api.deps import ReaderDep, read_session
from app.schemas.plans import PlanRequest, PlanResponse
from app.services.plans import run_plan

router = APIRouter(prefix="/v1/plans", tags=["plans"], dependencies=[ReaderDep])

#: The worked example of docs/plans.md; its figures are pinned by tests/api/test_plans_api.py.
CHAT_PLUS_DOCUMENTS: Example = {
    "summary": "Chat plus documents: a mixed fleet beats every single-type fleet",
    "description": "Llama 3.3 70B serving 5M requests a day: mostly short chat turns with a "
    "long tail of documents (mean 1,500 input tokens, p95 12,000), 4 s p95 TTFT, peak at "
    "twice the mean. Four GPU types, on-demand or 1-year committed. The plan splits the length "
    "buckets between B200 and H200 pools and saves about 10% against the best single-type "
    "fleet (docs/plans.md has the figures).",
    "value": {
        "workload": {
            "requests_per_day": 5_000_000,
            "input_tokens": 1500,
            "output_tokens": 250,
            "input_tokens_p95": 12000,
            "output_tokens_p95": 600,
            "peak_to_average": 2.0,
            "latency": {"ttft_p95_s": 4.0, "tpot_p95_s": 0.06},
            "availability": {"redundancy_replicas": 1, "zones": 1},
        },
        "self_hosting": {
            "open_models": ["llama-3.3-70b"],
            "gpus": ["h100-sxm-80gb", "a100-sxm-40gb", "b200-180gb", "h200-sxm-141gb"],
            "precisions": ["fp8"],
            "purchase_modes": ["on_demand", "committed_1y"],
        },
        "length_buckets": {"count": 3},
        "api_models": ["openai--gpt-4o-mini", "google--gemini-2.5-flash"],
    },
}


@router.post("", summary="Plan a mixed fleet")
def create_plan(
    request: Request,
    body: PlanRequest = Body(  # noqa: B008 - FastAPI's way to attach examples
        openapi_examples={"chat_plus_documents": CHAT_PLUS_DOCUMENTS}
    ),
) -> PlanResponse:
    """Find the cheapest fleet that serves the workload within its latency targets: requests
    split into length buckets, each served by the GPU type and configuration that suits it;
    committed or owned capacity as the base with on-demand and spot above it and, if allowed,
    API overflow; limits on offering availability, owned power (kW), up-front budget and spot
    share honoured. Solved as one mixed-integer programme with HiGHS under a time limit (the
    optimality gap is reported). Binding limits come with what lifting each would save; limits
    that admit no plan give a 422 naming them. Stateless: nothing is stored."""
    with read_session(request) as session:
        return run_plan(session, body)
