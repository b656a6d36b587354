"""Bytes per stored element at each precision: weights, KV cache, and the unquantized parts.

One table per fact, as dicts keyed by `Precision` for scalar code and as arrays indexed like
`PRECISIONS` for vectorised code (`memory.py`, `replica_batch.py`, `step_cost.py`).
See docs/performance-model.md for the sources.
"""

from __future__ import annotations

import numpy as np

from app.core.arrays import FloatArray, IntArray
from app.core.types import Precision

#: Precisions in a fixed order; vectorized code refers to a precision by its index here.
PRECISIONS: tuple[Precision, ...] = tuple(Precision)
PRECISION_INDEX: dict[Precision, int] = {p: i for i, p in enumerate(PRECISIONS)}

#: Stored bytes per quantized weight, scales included.
#: - 16- and 8-bit: per-channel or per-tensor scales are negligible.
#: - INT4 (GPTQ/AWQ): one 16-bit scale per group of 128 weights -> 0.5 + 2/128 bytes.
#: - FP4 (NVFP4, NVIDIA "Introducing NVFP4" blog, 2025): one FP8 scale per 16 weights -> 0.5 + 1/16.
WEIGHT_BYTES_PER_PARAM: dict[Precision, float] = {
    Precision.BF16: 2.0,
    Precision.FP16: 2.0,
    Precision.FP8: 1.0,
    Precision.INT8: 1.0,
    Precision.INT4: 0.5 + 2.0 / 128.0,
    Precision.FP4: 0.5 + 1.0 / 16.0,
}

#: Bytes per stored KV-cache element.
KV_BYTES_PER_ELEMENT: dict[Precision, float] = {
    Precision.BF16: 2.0,
    Precision.FP16: 2.0,
    Precision.FP8: 1.0,
    Precision.INT8: 1.0,
    Precision.INT4: 0.5,
    Precision.FP4: 0.5,
}

#: Embedding tables and the LM head stay at 16 bits in quantized checkpoints (vLLM and
#: TensorRT-LLM/ModelOpt leave `lm_head` and `embed_tokens` unquantized by default).
UNQUANTIZED_BYTES_PER_PARAM = 2.0

#: Activations and all-reduce payloads are 16-bit in every engine we model.
ACTIVATION_BYTES_PER_ELEMENT = 2.0


def default_kv_cache_precision(precision: Precision) -> Precision:
    """KV-cache precision an engine uses by default for weights at `precision`."""
    # FP8 and NVFP4 checkpoints (NVIDIA ModelOpt, the calibration data's "FP8 incl. FP8 KV
    # cache") quantize the KV cache to FP8; integer weight-only checkpoints (AWQ, GPTQ) keep it
    # at 16 bits, which is vLLM's `kv_cache_dtype="auto"`.
    if precision in (Precision.FP8, Precision.FP4):
        return Precision.FP8
    if precision is Precision.FP16:
        return Precision.FP16
    return Precision.BF16


#: The tables above as arrays indexed like PRECISIONS, for vectorised code: weight bytes per
#: parameter, KV bytes per element at each precision, and the KV precision an engine picks by
#: default for weights at each precision (as an index into PRECISIONS).
WEIGHT_BYTES_BY_PRECISION: FloatArray = np.asarray([WEIGHT_BYTES_PER_PARAM[p] for p in PRECISIONS])
KV_BYTES_BY_PRECISION: FloatArray = np.asarray([KV_BYTES_PER_ELEMENT[p] for p in PRECISIONS])
DEFAULT_KV_PRECISION_INDEX: IntArray = np.asarray(
    [PRECISION_INDEX[default_kv_cache_precision(p)] for p in PRECISIONS], dtype=np.intp
)
