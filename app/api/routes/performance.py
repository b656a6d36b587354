"""`/v1/performance`: what one GPU replica of an open model serves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from app.api import openapi_examples as ex
from app.api.cache_status import CACHE_STATUS_HEADER, json_answer
from app.api.deps import ReaderDep, read_session
from app.schemas.performance import AccuracyResponse, PerformanceRequest, PerformanceResponse
from app.services.performance import performance_accuracy, performance_json
from app.services.response_cache import ResponseCache

router = APIRouter(prefix="/v1/performance", tags=["performance"], dependencies=[ReaderDep])


@router.post(
    "",
    summary="Model one replica",
    response_model=PerformanceResponse,
    responses={200: {"headers": CACHE_STATUS_HEADER}},
)
def evaluate_replica(
    request: Request,
    body: Annotated[PerformanceRequest, Body(openapi_examples=ex.PERFORMANCE)],
) -> Response:
    """Throughput, time to first token, time per output token and memory of one replica (an
    open model on `tensor_parallel` GPUs at one precision) at a concurrency, or at its
    maximum-throughput point when `concurrency` is null. A model that does not fit, or a TP
    degree the GPU or model cannot use, is a 422 problem with the numbers. The same request
    asked again while the catalog is unchanged is answered from the worker's response cache
    (`Cache-Status`)."""
    cache: ResponseCache = request.app.state.answer_cache
    with read_session(request) as session:
        return json_answer(*performance_json(session, body, cache), cache)


@router.get("/accuracy", summary="The model's accuracy on its calibration data")
def get_accuracy() -> AccuracyResponse:
    """Median error, share within +-25%, bias and P10-P90 band coverage of the performance
    model's throughput, TTFT and TPOT on its calibration data, by load, engine, GPU and regime,
    with the targets and the data's sources. Computed by the same code as the accuracy
    benchmark (`python -m benchmarks.performance_accuracy`)."""
    return performance_accuracy()
