"""Read the result files of the benchmark tools people already run into measured points.

* `vllm bench serve --save-result` JSON (vllm/benchmarks/serve.py): one run per file, with
  `max_concurrency`, `request_rate` ("inf" or a number), `completed`, `total_input_tokens`,
  `total_output_tokens`, `output_throughput`, `request_throughput` and `mean_/p95_ttft_ms`,
  `mean_/p95_tpot_ms` (the p95 keys exist when `--metric-percentiles` includes 95).
* GuideLLM report JSON (`guidellm benchmark --output-path x.json`): `benchmarks`, each with its
  scheduling strategy (`args.strategy` or `config.strategy`: synchronous, concurrent with
  `streams`, constant or poisson with `rate`) and `metrics.<name>.successful` distributions
  (`mean`, `percentiles.p95`) of `requests_per_second`, `output_tokens_per_second`,
  `time_to_first_token_ms`, `time_per_output_token_ms`, `prompt_token_count` and
  `output_token_count`. Sweeps' `throughput` runs (no fixed load) are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from app.errors import InvalidInputError

MS = 1e-3


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(f"The result file's {name!r} is not a finite number.", field=name)
    return float(value)


def _optional(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value) if value > 0 else None
    return None


def from_vllm_bench_serve(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The one measured point of a `vllm bench serve` result file."""
    completed = _number(report.get("completed"), "completed")
    if completed < 1:
        raise InvalidInputError("The run completed no requests.", completed=completed)
    rate = report.get("request_rate")
    concurrency = report.get("max_concurrency")
    closed = rate in (None, "inf") or (isinstance(rate, float) and math.isinf(rate))
    if closed and not isinstance(concurrency, int):
        raise InvalidInputError(
            "A run at an infinite request rate needs max_concurrency (a closed loop); "
            "all-at-once bursts have no steady load to compare with.",
            request_rate=str(rate),
        )
    ms = MS
    return [
        {
            "concurrency": concurrency if closed else None,
            "request_rate_per_s": None if closed else _number(rate, "request_rate"),
            "input_tokens": _mean_tokens(report, "total_input_tokens", completed),
            "output_tokens": _mean_tokens(report, "total_output_tokens", completed),
            "output_tokens_per_s": _number(report.get("output_throughput"), "output_throughput"),
            "requests_per_s": _optional(report.get("request_throughput")),
            "ttft_s": _scaled(report.get("mean_ttft_ms"), ms),
            "tpot_s": _scaled(report.get("mean_tpot_ms"), ms),
            "ttft_p95_s": _scaled(report.get("p95_ttft_ms"), ms),
            "tpot_p95_s": _scaled(report.get("p95_tpot_ms"), ms),
            "notes": f"vllm bench serve {report.get('date', '')}, {int(completed)} requests, "
            f"model {report.get('model_id', '?')}",
        }
    ]  # fmt: skip


def _mean_tokens(report: Mapping[str, Any], name: str, completed: float) -> int:
    return max(1, round(_number(report.get(name), name) / completed))


def _scaled(value: Any, factor: float) -> float | None:
    number = _optional(value)
    return None if number is None else number * factor


def _distribution(metrics: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    entry = metrics.get(name)
    if not isinstance(entry, Mapping):
        return {}
    for status in ("successful", "total"):
        if isinstance(entry.get(status), Mapping):
            return entry[status]  # type: ignore[no-any-return]
    return entry


def _mean(metrics: Mapping[str, Any], name: str) -> float | None:
    return _optional(_distribution(metrics, name).get("mean"))


def _p95(metrics: Mapping[str, Any], name: str) -> float | None:
    dist = _distribution(metrics, name)
    percentiles = dist.get("percentiles")
    value = percentiles.get("p95") if isinstance(percentiles, Mapping) else dist.get("p95")
    return _optional(value)


def _strategy(benchmark: Mapping[str, Any]) -> Mapping[str, Any]:
    for holder in ("args", "config"):
        section = benchmark.get(holder)
        if isinstance(section, Mapping) and isinstance(section.get("strategy"), Mapping):
            return section["strategy"]  # type: ignore[no-any-return]
    return {}


def from_guidellm(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One measured point per GuideLLM benchmark run at a fixed load."""
    benchmarks = report.get("benchmarks")
    if not isinstance(benchmarks, list) or not benchmarks:
        raise InvalidInputError("A GuideLLM report has a non-empty 'benchmarks' list.")
    points = []
    for benchmark in benchmarks:
        strategy = _strategy(benchmark)
        kind = strategy.get("type_") or strategy.get("type")
        metrics = benchmark.get("metrics", {})
        concurrency, rate = None, None
        if kind == "synchronous":
            concurrency = 1
        elif kind == "concurrent":
            concurrency = int(_number(strategy.get("streams"), "streams"))
        elif kind in ("constant", "poisson"):
            rate = _number(strategy.get("rate"), "rate")
        else:
            continue  # "throughput": everything at once, no fixed load
        tokens_per_s = _mean(metrics, "output_tokens_per_second")
        prompt, output = _mean(metrics, "prompt_token_count"), _mean(metrics, "output_token_count")
        if tokens_per_s is None or prompt is None or output is None:
            raise InvalidInputError(
                "A GuideLLM benchmark lacks output_tokens_per_second or token counts.",
                strategy=str(kind),
            )
        ttft, tpot = (
            _mean(metrics, "time_to_first_token_ms"),
            _mean(metrics, "time_per_output_token_ms"),
        )
        ttft95, tpot95 = (
            _p95(metrics, "time_to_first_token_ms"),
            _p95(metrics, "time_per_output_token_ms"),
        )
        points.append(
            {
                "concurrency": concurrency,
                "request_rate_per_s": rate,
                "input_tokens": max(1, round(prompt)),
                "output_tokens": max(1, round(output)),
                "output_tokens_per_s": tokens_per_s,
                "requests_per_s": _mean(metrics, "requests_per_second"),
                "ttft_s": None if ttft is None else ttft * MS,
                "tpot_s": None if tpot is None else tpot * MS,
                "ttft_p95_s": None if ttft95 is None else ttft95 * MS,
                "tpot_p95_s": None if tpot95 is None else tpot95 * MS,
                "notes": f"GuideLLM {kind} benchmark",
            }
        )  # fmt: skip
    if not points:
        raise InvalidInputError("The GuideLLM report has no run at a fixed load.")
    return points


IMPORTERS = {"vllm-bench-serve": from_vllm_bench_serve, "guidellm": from_guidellm}
