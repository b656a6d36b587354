"""Server-side latency of the two estimation endpoints, read from the `Server-Timing` header.

Starts the real service (`llm-cost-estimator serve`) on a temporary SQLite database, then:
- `POST /v1/performance` (Llama-3.1-70B, 2x H100, FP8, 1000/1000 tokens): target median <= 5 ms;
- `POST /v1/estimates` over every catalog candidate: all open models x all GPUs x five
  precisions x all purchase modes, against 20 API models: target median <= 200 ms;
- `POST /v1/estimates` with the OpenAPI chatbot example (quality bar, routing mix, 1,000 Monte
  Carlo samples and the tornado): target median <= 300 ms; the same example without those
  blocks is printed next to it (they must cost nothing when not asked for).

Run: `python -m benchmarks.api_speed` (exits 1 if a target is missed).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from app.api.routes.estimates import SUPPORT_CHATBOT

PERFORMANCE_BODY = {
    "model": "llama-3.1-70b",
    "gpu": "h100-sxm-80gb",
    "tensor_parallel": 2,
    "precision": "fp8",
    "input_tokens": 1000,
    "output_tokens": 1000,
    "concurrency": None,
}
ESTIMATE_BODY = {
    "workload": {
        "requests_per_day": 250_000,
        "input_tokens": 1200,
        "output_tokens": 350,
        "input_tokens_p95": 4000,
        "output_tokens_p95": 900,
        "cached_input_share": 0.3,
        "batch_share": 0.2,
        "peak_to_average": 2.5,
        "growth_per_month": 0.05,
        "latency": {"ttft_p95_s": 2.0, "tpot_p95_s": 0.08},
    },
    # api_models omitted: the default set of 20 flagship and open-model-host APIs.
    "self_hosting": {"precisions": ["bf16", "fp8", "int8", "fp4", "int4"]},
    "max_options": 50,
}


CHATBOT_BODY = SUPPORT_CHATBOT["value"]
CHATBOT_PLAIN_BODY = {
    k: v for k, v in CHATBOT_BODY.items() if k not in ("quality", "routing", "ranges")
}


def _server_ms(response: httpx.Response) -> float:
    timing = response.headers["server-timing"]
    return float(timing.split("dur=")[1])


def _measure(client: httpx.Client, path: str, body: object, runs: int) -> list[float]:
    client.post(path, json=body).raise_for_status()  # warm caches
    samples = []
    for _ in range(runs):
        response = client.post(path, json=body)
        response.raise_for_status()
        samples.append(_server_ms(response))
    return samples


def main() -> int:
    port = int(os.environ.get("BENCH_PORT", "18736"))
    with tempfile.TemporaryDirectory() as work:
        # Each call computes: the answer cache would serve repeats of one body in about 1 ms.
        env = {**os.environ, "DATA_DIR": work, "LOG_LEVEL": "WARNING", "ANSWER_CACHE_MB": "0"}
        env.pop("DATABASE_URL", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(work) / "server.log", "w"),  # noqa: SIM115 - lives as long as the server
        )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=60) as client:
                for _ in range(120):
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.5)
                perf = _measure(client, "/v1/performance", PERFORMANCE_BODY, 200)
                est = _measure(client, "/v1/estimates", ESTIMATE_BODY, 15)
                ranged = _measure(client, "/v1/estimates", CHATBOT_BODY, 15)
                plain = _measure(client, "/v1/estimates", CHATBOT_PLAIN_BODY, 15)
                sample = client.post("/v1/estimates", json=ESTIMATE_BODY).json()
        finally:
            server.terminate()
            server.wait(timeout=30)
    candidates = sample["options_total"] + len(sample["infeasible"])
    print(
        f"/v1/performance  median {statistics.median(perf):7.2f} ms  p95 "
        f"{sorted(perf)[int(0.95 * len(perf))]:7.2f} ms  (target median <= 5 ms)"
    )
    print(
        f"/v1/estimates    median {statistics.median(est):7.1f} ms  max {max(est):7.1f} ms  "
        f"(target median <= 200 ms)"
    )
    print(
        f"  estimate size: {len(sample['assumptions']['api_models'])} API models, "
        f"{len(sample['assumptions']['open_models'])} open models, "
        f"{len(sample['assumptions']['gpus'])} GPUs, 5 precisions; "
        f"{sample['options_total']} priced options, {len(sample['infeasible'])} infeasible "
        f"entries ({candidates} rows)"
    )
    print(
        f"/v1/estimates    chatbot example with ranges (1,000 samples) and tornado: median "
        f"{statistics.median(ranged):7.1f} ms  max {max(ranged):7.1f} ms  (target median <= 300 ms)"
    )
    print(
        f"/v1/estimates    chatbot example without quality/routing/ranges: median "
        f"{statistics.median(plain):7.1f} ms"
    )
    ok = (
        statistics.median(perf) <= 5.0
        and statistics.median(est) <= 200.0
        and statistics.median(ranged) <= 300.0
    )
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
