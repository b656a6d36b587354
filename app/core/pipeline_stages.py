"""Replicas that span servers: the fewest pipeline stages (8-GPU servers over the inter-node
network) that hold a model no single server holds, and the memory of a grid of replicas.

The performance of such a replica (a hop per stage, micro-batches in flight) is modelled in
app/core/step_cost.py; its memory (1/pp of the layers and of every sequence's KV cache per
GPU) in app/core/memory.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core import memory as core_memory
from app.core.arrays import BoolArray, FloatArray, IntArray
from app.core.performance import DEFAULT_CALIBRATION
from app.core.precision_bytes import (
    DEFAULT_KV_PRECISION_INDEX,
    KV_BYTES_BY_PRECISION,
    WEIGHT_BYTES_BY_PRECISION,
)
from app.core.types import GpuSpec, Interconnect, OpenModelSpec

#: Most servers (pipeline stages) one replica spans. Serving deployments of the largest open
#: models use two to four 8-GPU servers (vLLM's and SGLang's multi-node guides run DeepSeek-V3
#: and Llama-3.1-405B on 2 nodes with TP 8 x PP 2); 4 stages is our cap, a judgement as of
#: 2026-12: deeper pipelines add a hop per stage and the model is not checked there.
MAX_PIPELINE_STAGES = 4
#: Servers pipelined over the network must be HGX/DGX-class boards (NVLink or Infinity Fabric
#: inside, one 400 Gb/s RDMA NIC per GPU between servers: app/core/step_cost.py
#: INTER_NODE_BANDWIDTH_BYTES_PER_S); PCIe cards and smaller nodes are not spanned.
MULTI_SERVER_MIN_GPUS_PER_NODE = 8


@dataclass(frozen=True, slots=True)
class GridRows:
    """Model x GPU x precision x TP points as parallel arrays (indices into specs)."""

    model: IntArray
    gpu: IntArray
    precision: IntArray  # into precision_bytes.PRECISIONS
    tp: IntArray


def grid_memory(
    models: Sequence[OpenModelSpec],
    gpus: Sequence[GpuSpec],
    rows: GridRows,
    context_tokens: float,
    pipeline_parallel: float = 1.0,
) -> core_memory.MemoryArrays:
    """Memory of every row holding one `context_tokens` sequence (default KV precision), each
    replica spanning `pipeline_parallel` servers."""
    return core_memory.memory_arrays(
        core_memory.ModelArrays.from_specs(models).take(rows.model),
        core_memory.GpuArrays.from_specs(gpus).take(rows.gpu),
        rows.tp.astype(np.float64),
        WEIGHT_BYTES_BY_PRECISION[rows.precision],
        KV_BYTES_BY_PRECISION[DEFAULT_KV_PRECISION_INDEX[rows.precision]],
        np.full(rows.model.size, float(context_tokens)),
        DEFAULT_CALIBRATION.kv_cache_memory_fraction,
        pipeline_parallel,
    )


@dataclass(frozen=True, slots=True)
class PipelineStages:
    """Per row: the fewest servers that hold it (0: none up to the cap, or not tried)."""

    stages: IntArray
    concurrency: FloatArray  # KV-limited sequences at that depth
    tried: BoolArray  # a full server of a GPU whose servers may be spanned


def pipeline_stages(
    models: Sequence[OpenModelSpec],
    gpus: Sequence[GpuSpec],
    rows: GridRows,
    context_tokens: float,
) -> PipelineStages:
    """For rows that fit no single server: the fewest pipeline stages
    (2..MAX_PIPELINE_STAGES) of full servers (TP = GPUs per node) that hold the weights and
    one `context_tokens` sequence, on GPUs whose servers may be spanned."""
    spannable = np.asarray(
        [
            g.interconnect is not Interconnect.PCIE
            and g.max_gpus_per_node >= MULTI_SERVER_MIN_GPUS_PER_NODE
            for g in gpus
        ],
        dtype=bool,
    )
    node = np.asarray([g.max_gpus_per_node for g in gpus], dtype=np.intp)
    tried = spannable[rows.gpu] & (rows.tp == node[rows.gpu])
    stages = np.zeros(rows.tp.size, dtype=np.intp)
    concurrency = np.zeros(rows.tp.size)
    if not tried.any():
        return PipelineStages(stages, concurrency, tried)
    # Deepest first, so the fewest servers that fit are the ones kept.
    for depth in range(MAX_PIPELINE_STAGES, 1, -1):
        mem = grid_memory(models, gpus, rows, context_tokens, float(depth))
        fits = tried & (mem.infeasible_reason == core_memory.FEASIBLE)
        stages = np.where(fits, depth, stages)
        concurrency = np.where(fits, mem.max_concurrency, concurrency)
    return PipelineStages(stages, concurrency, tried)
