"""`/v1/performance`: what one GPU replica of an open model serves."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ReaderDep, ReadSessionDep
from app.metrics import timed
from app.schemas.performance import PerformanceRequest, PerformanceResponse
from app.services.performance import evaluate_performance

router = APIRouter(prefix="/v1/performance", tags=["performance"], dependencies=[ReaderDep])


@router.post("", summary="Model one replica")
def evaluate_replica(session: ReadSessionDep, body: PerformanceRequest) -> PerformanceResponse:
    """Throughput, time to first token, time per output token and memory of one replica (an
    open model on `tensor_parallel` GPUs at one precision) at a concurrency, or at its
    maximum-throughput point when `concurrency` is null. A model that does not fit, or a TP
    degree the GPU or model cannot use, is a 422 problem with the numbers."""
    with timed("performance"):
        return evaluate_performance(session, body)
