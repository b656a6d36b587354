"""Domain errors raised by the estimation core. They carry the numbers behind the refusal."""

from __future__ import annotations


class EstimationError(Exception):
    """Base of every refusal by the core; `data` holds the numbers a caller needs to act."""

    def __init__(self, detail: str, **data: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.data: dict[str, object] = dict(data)


class ModelDoesNotFitError(EstimationError):
    """The weights, runtime overhead and one sequence's KV cache exceed the replica's GPU memory."""

    def __init__(self, detail: str, *, required_bytes: float, available_bytes: float) -> None:
        super().__init__(detail, required_bytes=required_bytes, available_bytes=available_bytes)
        self.required_bytes = required_bytes
        self.available_bytes = available_bytes


class InvalidParallelismError(EstimationError):
    """The tensor-parallel degree cannot be used with this GPU or model."""


class InvalidEstimateInputError(EstimationError):
    """A workload, price or fleet input is out of range (negative volume, share above 1, ...)."""


class InvalidWorkloadError(EstimationError):
    """Request lengths or concurrency outside what the performance model accepts."""
