"""Latency under load from a model of the engine's scheduler (continuous batching).

Given the time of one scheduler step as a function of the decodes and prefill tokens it carries
(app/core/performance.py), this module derives mean and p95 TTFT and TPOT, and request
throughput, for a closed loop of `c` requests in flight (benchmark sweeps) and for open-loop
Poisson arrivals at a request rate (production traffic). docs/performance-model.md derives it:

* every step processes at most `budget` tokens (chunked prefill); decodes go first, prompts are
  cut into chunks that fill the rest;
* a request lives `out + k - 1` steps at least (`k` = its prompt's chunks); when the offered
  tokens exceed the budget the cycle stretches to `c (in + out - 1) / budget` steps and the
  surplus steps are spent waiting for prefill (decode-first scheduling);
* admission is limited by free KV cache; requests beyond it queue (Little's law in a closed
  loop, an M/M/c approximation for Poisson arrivals);
* prefill waits: in a closed loop of fixed-length requests arrivals cluster, and a new request
  waits a fitted number of steps per other request in flight; under Poisson arrivals the
  prefill queue is M/D/1 (Pollaczek-Khinchine);
* an engine that runs prompts in prefill batches apart from the decodes, prefill first
  (SGLang), turns a closed loop into waves: half the others' prompts run before a request's
  first token and only the other half slow its decode steps.

All functions are vectorized over configurations (numpy arrays of equal length).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.core.arrays import FloatArray

#: One step's time (s) and compute-minus-memory balance, for (decodes, prefill tokens).
StepFunction = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]

#: z-score of the 95th percentile of a normal distribution.
Z95 = 1.6448536269514722
#: Share of requests above the 95th percentile.
TAIL_95 = 0.05
#: Share of the other requests' prompts that, with prefill batches run apart and first, run
#: before a request's first token in a closed loop: its position in its wave is uniform.
WAVE_AHEAD_SHARE = 0.5
#: Bisection steps that solve the open-loop operating point (relative precision 2^-40).
BISECTION_STEPS = 40


@dataclass(frozen=True, slots=True)
class SchedulerInputs:
    """Per-configuration inputs of the scheduler model (arrays of equal length)."""

    input_tokens: FloatArray
    output_tokens: FloatArray
    budget_tokens: FloatArray  # tokens per step
    request_overhead_s: FloatArray
    prefill_wait_steps_per_request: FloatArray
    prefill_wait_prompts_per_request: FloatArray
    prefill_cluster_requests: FloatArray
    capacity: FloatArray  # requests the KV cache (and scheduler cap) admits at once, >= 1
    prefill_apart: np.ndarray | None = None  # bool: prefill batches run apart, prefill first


@dataclass(frozen=True, slots=True)
class LoadPoint:
    """Latencies (s) and request throughput (1/s) at one load, vectorized."""

    concurrency: FloatArray  # requests in the engine
    requests_per_s: FloatArray
    ttft_s: FloatArray
    ttft_p95_s: FloatArray
    tpot_s: FloatArray
    tpot_p95_s: FloatArray
    queue_s: FloatArray  # mean wait for admission (KV cache full)
    balance: FloatArray  # compute minus memory time of a mean step (> 0: compute-bound)
    saturated: np.ndarray  # open loop: offered rate at or beyond what the replica serves


@dataclass(frozen=True, slots=True)
class _Engine:
    """In-engine service at `c` requests in flight, before any waiting."""

    t_mean: FloatArray
    t_decode: FloatArray  # a step of the same decodes without prefill
    tpot: FloatArray
    tpot_p95: FloatArray
    t_own_prefill: FloatArray  # the request's own prefill steps
    budget_wait: FloatArray  # steps waiting for prefill budget (decode-first), in seconds
    balance: FloatArray

    def service_s(self, inputs: SchedulerInputs) -> FloatArray:
        """Request time in the engine without prefill-queue waits (s)."""
        result: FloatArray = (
            inputs.request_overhead_s
            + self.budget_wait
            + self.t_own_prefill
            + (inputs.output_tokens - 1.0) * self.tpot
        )
        return result


def _in_engine(step: StepFunction, inputs: SchedulerInputs, c: FloatArray) -> _Engine:
    prompt, out, budget = inputs.input_tokens, inputs.output_tokens, inputs.budget_tokens
    chunks = np.ceil(prompt / budget)
    min_steps = out + chunks - 1.0
    steps = np.maximum(min_steps, c * (prompt + out - 1.0) / budget)
    decodes = c * (out - 1.0) / steps
    prefill_tokens = c * prompt / steps
    others = np.maximum(c - 1.0, 0.0) / np.maximum(c, 1.0)
    t_mean, balance = step(decodes, prefill_tokens)
    tpot, _ = step(decodes, prefill_tokens * others)
    own_chunk = prompt / chunks
    t_chunk, _ = step(decodes * others, own_chunk + prefill_tokens * others)
    # Per-request TPOT varies with how many of its decode steps carry a prefill chunk: a share
    # f of steps takes t_mixed, the rest t_decode; the mean of out-1 such steps has standard
    # deviation (t_mixed - t_decode) sqrt(f (1 - f) / (out - 1)).
    t_decode, _ = step(decodes, np.zeros_like(c))
    t_mixed, _ = step(decodes, np.minimum(np.maximum(budget - decodes, 0.0), prompt))
    spread = np.maximum(t_mixed - t_decode, 1e-15)
    share = np.clip((tpot - t_decode) / spread, 0.0, 1.0)
    std = spread * np.sqrt(share * (1.0 - share) / np.maximum(out - 1.0, 1.0))
    return _Engine(
        t_mean=t_mean,
        t_decode=t_decode,
        tpot=np.where(out > 1.0, tpot, t_mean),
        tpot_p95=np.where(out > 1.0, tpot + Z95 * std, t_mean),
        t_own_prefill=chunks * t_chunk,
        budget_wait=(steps - min_steps) * t_mean,
        balance=balance,
    )


def closed_loop(
    step: StepFunction, inputs: SchedulerInputs, offered: FloatArray, *, offline: np.ndarray
) -> LoadPoint:
    """`offered` requests kept in flight by clients; `offline` entries model a queued batch.

    Offline (maximum-throughput) entries have no client-side arrival clustering, so the
    prefill wait is left out of their throughput; closed-loop throughput is
    `c / e2e` exactly as benchmark tools report it.
    """
    c = np.minimum(offered, inputs.capacity)
    engine = _in_engine(step, inputs, c)
    # Arrivals of fixed-length requests cluster (those started together end together): a new
    # request finds the prompts of up to `prefill_cluster_requests` others ahead of it (the
    # hyperbola n0 (c-1) / (n0 + c-1) grows like c-1, then saturates at n0), and waits a fitted
    # number of steps per other request in flight.
    others = np.maximum(c - 1.0, 0.0)
    cluster = inputs.prefill_cluster_requests
    ahead = inputs.prefill_wait_prompts_per_request * cluster * others / (cluster + others)
    wait = np.where(
        offline,
        0.0,
        ahead * engine.t_own_prefill
        + inputs.prefill_wait_steps_per_request * others * engine.t_mean,
    )
    ttft = inputs.request_overhead_s + engine.budget_wait + wait + engine.t_own_prefill
    # Over one cycle of a closed loop each other slot prefills one new request. Where prompts
    # run in prefill batches of their own, first (SGLang), the loop runs in waves: the prompts
    # ahead of a request in its wave all run before its first token, and only those behind it
    # (half the others, on average) interrupt its decode.
    apart = np.zeros(c.shape, bool) if inputs.prefill_apart is None else inputs.prefill_apart
    ahead_share = np.where(offline | ~apart, 0.0, WAVE_AHEAD_SHARE)
    relief = ahead_share * np.maximum(engine.tpot - engine.t_decode, 0.0)
    tpot, tpot_p95 = engine.tpot - relief, engine.tpot_p95 - relief
    e2e = ttft + (inputs.output_tokens - 1.0) * tpot
    # Offline, requests are already queued: their HTTP/tokenization overhead overlaps with the
    # engine's work and does not hold a slot.
    rps = c / (e2e - np.where(offline, inputs.request_overhead_s, 0.0))
    # Requests beyond the admission limit wait for a free slot: (offered - c) / rps on average
    # (Little's law); in a closed loop of identical requests that wait is nearly deterministic.
    queue = (offered - c) / rps
    # Position in a cluster of arrivals is uniform, so the p95 wait is 1.9x the mean.
    ttft_p95 = ttft + (2.0 * (1.0 - TAIL_95) - 1.0) * (wait + engine.budget_wait)
    return LoadPoint(
        concurrency=c,
        requests_per_s=rps,
        ttft_s=ttft + queue,
        ttft_p95_s=ttft_p95 + queue,
        tpot_s=tpot,
        tpot_p95_s=tpot_p95,
        queue_s=queue,
        balance=engine.balance,
        saturated=np.zeros(c.shape, dtype=bool),
    )


def _exponential_tail_p95(p_wait: FloatArray, conditional_mean_s: FloatArray) -> FloatArray:
    """p95 of a wait that is 0 with probability 1 - p_wait and exponential otherwise (s)."""
    result: FloatArray = np.maximum(np.log(np.maximum(p_wait, 1e-300) / TAIL_95), 0.0) * (
        conditional_mean_s
    )
    return result


def open_loop(step: StepFunction, inputs: SchedulerInputs, rate_per_s: FloatArray) -> LoadPoint:
    """Poisson arrivals at `rate_per_s` requests/s; saturated entries get infinite latency."""
    cap = inputs.capacity

    def served(c: FloatArray) -> FloatArray:
        result: FloatArray = c / _in_engine(step, inputs, c).service_s(inputs)
        return result

    # The in-engine concurrency c solves c / service(c) = rate (Little's law), and c / service
    # grows with c; bisection on [0, cap] is vectorized and monotone.
    saturated = rate_per_s >= served(cap)
    low, high = np.zeros_like(cap), cap.copy()
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (low + high)
        below = served(mid) < rate_per_s
        low, high = np.where(below, mid, low), np.where(below, high, mid)
    c = np.where(saturated, cap, high)
    engine = _in_engine(step, inputs, np.maximum(c, 1e-9))
    service = engine.service_s(inputs)
    # Prefill queue, M/D/1: the prefill "server" is busy rate x own-prefill time.
    rho = np.minimum(rate_per_s * engine.t_own_prefill, 1.0)
    prefill_wait = np.where(rho < 1.0, rho / (2.0 * (1.0 - rho)) * engine.t_own_prefill, np.inf)
    # Admission queue, M/M/c with cap slots (Sakasegawa's approximation of Erlang C).
    use = np.minimum(c / cap, 1.0)
    p_wait = use ** (np.sqrt(2.0 * (cap + 1.0)) - 1.0)
    slot_mean = np.where(use < 1.0, service / (cap * (1.0 - use)), np.inf)
    queue = p_wait * slot_mean
    ttft = inputs.request_overhead_s + engine.budget_wait + engine.t_own_prefill
    ttft_p95 = (
        ttft
        + _exponential_tail_p95(rho, prefill_wait / np.maximum(rho, 1e-300))
        + _exponential_tail_p95(p_wait, slot_mean)
    )
    # A wait that is rarely non-zero has a p95 below its mean; report at least the mean.
    ttft_p95 = np.maximum(ttft_p95, ttft + prefill_wait + queue)
    saturated = saturated | (rho >= 1.0)
    inf = np.full(c.shape, np.inf)
    return LoadPoint(
        concurrency=c,
        requests_per_s=np.where(saturated, served(cap), rate_per_s),
        ttft_s=np.where(saturated, inf, ttft + prefill_wait + queue),
        ttft_p95_s=np.where(saturated, inf, ttft_p95),
        tpot_s=engine.tpot,
        tpot_p95_s=engine.tpot_p95,
        queue_s=np.where(saturated, inf, queue),
        balance=engine.balance,
        saturated=saturated,
    )
