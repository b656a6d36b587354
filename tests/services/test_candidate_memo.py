"""The per-worker memo of self-hosted candidates: the candidates depend on the spec and the
workload's token lengths only, so a remembered set is exactly what a fresh evaluation gives;
a different length, model or price is a different entry."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session

from app.core.economics import CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.fleet import SizingPolicySpec
from app.core.option_table import OptionTable, build_option_table
from app.core.self_hosting import SelfHostingSpec, self_hosting_candidates
from app.core.workload import WorkloadSpec
from app.schemas.estimates import EstimateRequest
from app.services.candidate_memo import (
    MEMO_REQUESTS,
    CandidateMemo,
    _content,
    _key,
    lengths_only,
)
from app.services.estimate_catalog import load_catalog
from app.services.estimate_specs import resolve_inputs
from app.services.estimates import run_estimate

BODY: dict[str, Any] = {
    "workload": {
        "requests_per_day": 40_000,
        "input_tokens": 1500,
        "output_tokens": 250,
        "input_tokens_p95": 4000,
        "output_tokens_p95": 600,
        "latency": {"ttft_p95_s": 1.5, "tpot_p95_s": 0.05},
    },
    "api_models": ["openai--gpt-4o-mini"],
    "self_hosting": {
        "open_models": ["llama-3.1-8b", "llama-3.3-70b"],
        "gpus": ["h100-sxm-80gb", "l40s-48gb"],
        "precisions": ["bf16", "fp8"],
    },
}


@pytest.fixture
def resolved(session: Session) -> tuple[SelfHostingSpec, WorkloadSpec]:
    request = EstimateRequest.model_validate(BODY)
    inputs = resolve_inputs(request, load_catalog(session, request))
    return inputs.self_hosting, inputs.workload


def _same(a: object, b: object) -> bool:
    """Equal content: dataclasses field by field (capacity curves too, whose own `==` is
    identity), arrays element by element, sequences item by item."""
    if is_dataclass(a) and type(a) is type(b):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, tuple | list):
        return isinstance(b, tuple | list) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _default_table(
    memo: CandidateMemo, candidates: tuple[SelfHostedCandidateSpec, ...], workload: WorkloadSpec
) -> OptionTable:
    """The memo's option table of `candidates` under the default assumptions and policy."""
    return memo.table(candidates, workload, CostAssumptionsSpec(), SizingPolicySpec(), None)


def test_volume_shape_and_growth_share_one_entry_equal_to_a_fresh_evaluation(
    resolved: tuple[SelfHostingSpec, WorkloadSpec],
) -> None:
    spec, workload = resolved
    memo = CandidateMemo()
    first = memo.candidates(spec, workload)
    assert first.candidates
    assert any(c.capacity is not None for c in first.candidates)
    variants = [
        replace(workload, requests_per_day=7.0),
        replace(workload, requests_per_day=3e6, growth_per_month=0.2, horizon_months=24),
        replace(workload, peak_to_average=4.0, batch_share=0.5, redundancy_replicas=2, zones=2),
        replace(workload, hourly_weights=tuple(float(1 + h % 5) for h in range(24))),
    ]
    for variant in variants:
        assert memo.candidates(spec, variant) is first
        # ... and what the core gives for the whole workload, volume and all.
        assert _same(first, self_hosting_candidates(spec, variant))


def test_lengths_models_and_prices_are_different_entries(
    resolved: tuple[SelfHostingSpec, WorkloadSpec],
) -> None:
    spec, workload = resolved
    memo = CandidateMemo()
    first = memo.candidates(spec, workload)
    longer = replace(workload, input_tokens_p95=8000.0)
    assert memo.candidates(spec, longer) is not first
    assert _same(memo.candidates(spec, longer), self_hosting_candidates(spec, longer))
    fewer = replace(spec, models=spec.models[:1])
    assert memo.candidates(fewer, workload) is not first
    offering = spec.offerings[0]
    prices = {mode: usd * 2 for mode, usd in offering.usd_per_instance_hour.items()}
    dearer = replace(
        spec, offerings=(replace(offering, usd_per_instance_hour=prices), *spec.offerings[1:])
    )
    assert _key(dearer, lengths_only(workload)) != _key(spec, lengths_only(workload))
    assert memo.candidates(dearer, workload) is not first
    assert memo.candidates(spec, workload) is first


def test_shared_arrays_are_read_only(resolved: tuple[SelfHostingSpec, WorkloadSpec]) -> None:
    spec, workload = resolved
    capacity = next(c.capacity for c in CandidateMemo().candidates(spec, workload).candidates)
    assert capacity is not None
    with pytest.raises(ValueError, match="read-only"):
        capacity.requests_per_s[0] = 0.0


def test_least_recently_used_entries_are_evicted(
    resolved: tuple[SelfHostingSpec, WorkloadSpec],
) -> None:
    spec, workload = resolved
    memo = CandidateMemo(max_entries=2)
    a = memo.candidates(spec, workload)
    b = memo.candidates(spec, replace(workload, input_tokens_mean=1000.0))
    assert memo.candidates(spec, workload) is a  # a is now the most recent
    memo.candidates(spec, replace(workload, input_tokens_mean=900.0))  # evicts b
    assert memo.candidates(spec, workload) is a
    assert memo.candidates(spec, replace(workload, input_tokens_mean=1000.0)) is not b


def test_content_keys() -> None:
    assert _content({"b": 1, "a": [1, {2: 3}]}) == (("a", (1, ((2, 3),))), ("b", 1))
    assert _content({"x": 1}) == _content({"x": 1})
    assert _content({"x": 1}) != _content({"x": 2})
    with pytest.raises(TypeError):
        _content({1, 2})  # unhashable and no content rule: the memo computes, keeps nothing


def test_option_tables_are_shared_across_volumes_and_equal_a_fresh_build(
    resolved: tuple[SelfHostingSpec, WorkloadSpec],
) -> None:
    spec, workload = resolved
    memo = CandidateMemo()
    candidates = memo.candidates(spec, workload).candidates
    assumptions, policy = CostAssumptionsSpec(), SizingPolicySpec()
    cached = replace(workload, cached_input_share=0.6, cache_write_share=0.01)
    first = memo.table(candidates, cached, assumptions, policy, None)
    for variant in (
        replace(cached, requests_per_day=9e5, cache_write_share=0.002),
        replace(cached, growth_per_month=0.1, horizon_months=36, cached_input_share=0.0),
    ):
        assert memo.table(candidates, variant, assumptions, policy, None) is first
        fresh = build_option_table(candidates, variant, assumptions, policy, None)
        assert _same(first, fresh)
    peaky = replace(cached, peak_to_average=4.0)
    other = memo.table(candidates, peaky, assumptions, policy, None)
    assert other is not first
    assert _same(other, build_option_table(candidates, peaky, assumptions, policy, None))
    assert not _same(other, first)  # the shape is read: a different table
    copy = (*candidates[:-1], candidates[-1])  # equal content, another object
    assert memo.table(copy, cached, assumptions, policy, None) is not first
    assert memo.table(candidates, cached, replace(assumptions, pue=1.5), policy, None) is not first
    with pytest.raises(ValueError, match="read-only"):
        first.kappa_hour[0] = 0.0


def test_candidates_kept_in_all_are_bounded(
    resolved: tuple[SelfHostingSpec, WorkloadSpec],
) -> None:
    spec, workload = resolved
    size = len(CandidateMemo().candidates(spec, workload).candidates)
    memo = CandidateMemo(max_candidates=size + size // 2)
    a = memo.candidates(spec, workload)
    assert memo.candidates(spec, workload) is a
    memo.candidates(spec, replace(workload, input_tokens_mean=900.0))  # a second set: a goes
    assert memo.candidates(spec, workload) is not a
    table = _default_table(memo, a.candidates, workload)
    assert _default_table(memo, a.candidates, workload) is table
    tiny = CandidateMemo(max_candidates=size - 1)  # one set is over the bound: never kept
    assert tiny.candidates(spec, workload) is not tiny.candidates(spec, workload)
    t = _default_table(tiny, a.candidates, workload)
    assert _default_table(tiny, a.candidates, workload) is not t


def test_derived_candidates_are_one_object_per_base_and_change(
    resolved: tuple[SelfHostingSpec, WorkloadSpec],
) -> None:
    spec, workload = resolved
    memo = CandidateMemo()
    base = memo.candidates(spec, workload).candidates
    marked = tuple(replace(c, infeasible_reason="below the bar") for c in base)
    built: list[int] = []

    def build() -> tuple[SelfHostedCandidateSpec, ...]:
        built.append(1)
        return marked

    first = memo.derived(base, ("quality bar", "all"), build)
    assert first is marked
    assert memo.derived(base, ("quality bar", "all"), build) is first
    assert len(built) == 1
    assert memo.derived(base, ("quality bar", "none"), lambda: base[:1]) == base[:1]
    copy = (*base[:-1], base[-1])  # equal content, another object: not the same entry
    assert memo.derived(copy, ("quality bar", "all"), build) is marked
    assert len(built) == 2
    # ... and the kept object finds its option table again.
    table = _default_table(memo, first, workload)
    again = memo.derived(base, ("quality bar", "all"), build)
    assert _default_table(memo, again, workload) is table


def test_estimates_with_a_quality_bar_find_their_option_table_again(session: Session) -> None:
    body = {
        **BODY,
        "api_models": ["openai--gpt-4o-mini", "openai--gpt-4o"],
        "quality": {"match": "openai--gpt-4o", "measure": "gpqa_diamond", "tolerance": 1.0},
    }
    hits = MEMO_REQUESTS.labels(result="table hit")
    bodies, table_hits = [], []
    for requests_per_day in (40_000, 41_000, 40_000):
        workload = {**BODY["workload"], "requests_per_day": requests_per_day}
        request = EstimateRequest.model_validate({**body, "workload": workload})
        before = hits._value.get()
        bodies.append(run_estimate(session, request).model_dump_json())
        table_hits.append(hits._value.get() > before)
    assert table_hits[1:] == [True, True]  # the marked candidates were the memo's object again
    assert bodies[0] == bodies[2]
    # Some open model is below the bar, so the marked candidates differ from the kept set.
    assert "below_quality" in bodies[0]
