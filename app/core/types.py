"""Plain, frozen input types shared by the estimation core.

Units are in the field names and are base units (bytes, FLOP/s, seconds, tokens).
The web and database layers convert catalog rows into these; the core never sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Precision(StrEnum):
    """Numeric format of weights (and, unless stated otherwise, activations and KV cache)."""

    BF16 = "bf16"
    FP16 = "fp16"
    FP8 = "fp8"
    INT8 = "int8"
    FP4 = "fp4"
    INT4 = "int4"


class Engine(StrEnum):
    """Inference engine serving a replica; its scheduler and kernels change speed and latency."""

    VLLM = "vllm"
    SGLANG = "sglang"
    TRTLLM = "trtllm"


class AttentionKind(StrEnum):
    MHA = "mha"  # multi-head: num_kv_heads == num_attention_heads
    GQA = "gqa"  # grouped-query: num_kv_heads < num_attention_heads
    MLA = "mla"  # multi-head latent attention (DeepSeek-V2/V3): cache kv_lora_rank + rope dim
    SLIDING_WINDOW = "sliding_window"  # some or all layers attend to a fixed window only


class Interconnect(StrEnum):
    NVLINK = "nvlink"
    PCIE = "pcie"
    XGMI = "xgmi"  # AMD Infinity Fabric


@dataclass(frozen=True, slots=True)
class GpuSpec:
    """One accelerator, as the performance model needs it."""

    slug: str
    memory_bytes: float
    memory_bandwidth_bytes_per_s: float
    # Dense tensor-core peaks; None where the GPU has no native support for the format.
    bf16_flops_per_s: float
    fp8_flops_per_s: float | None
    fp4_flops_per_s: float | None
    int8_ops_per_s: float | None
    # Per-GPU, per-direction bandwidth of the scale-up fabric (NVLink, XGMI) or of PCIe.
    interconnect_bandwidth_bytes_per_s: float
    interconnect: Interconnect
    max_gpus_per_node: int
    tdp_w: float


@dataclass(frozen=True, slots=True)
class OpenModelSpec:
    """An open-weights transformer's architecture, from its published config."""

    slug: str
    total_params: float
    active_params: float
    num_layers: int
    hidden_size: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    attention_kind: AttentionKind
    max_context_tokens: int
    # Mixture of experts: 0 experts means a dense model.
    num_experts: int = 0
    num_experts_per_token: int = 0
    # MLA only: the compressed KV latent and the decoupled RoPE key cached per token per layer.
    kv_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    # Sliding window: window length and how many of num_layers use it (the rest are global).
    sliding_window_tokens: int = 0
    num_sliding_window_layers: int = 0

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0
