"""Per-request cost of the hot paths, in process: N sequential requests through the whole ASGI
app (every middleware, routing, validation, the service and the database) on a temporary SQLite
database, with no server and no network.

On a shared machine a load run is noisy; this measures what one request costs, so a change can
be judged before and after. `--profile` prints the cProfile functions with the most cumulative
time for each endpoint.

The client (httpx over ASGI) runs in the same process and is part of both figures.

Run: `python -m benchmarks.request_cost [--runs 200] [--profile] [--log-level INFO]`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from app.api.routes.estimates import SUPPORT_CHATBOT
from app.logs import configure_logging
from app.main import create_app
from app.settings import Settings
from benchmarks.api_speed import CHATBOT_PLAIN_BODY, PERFORMANCE_BODY

CASES = {
    "chatbot estimate": ("/v1/estimates", SUPPORT_CHATBOT["value"]),
    "chatbot estimate without quality/routing/ranges": ("/v1/estimates", CHATBOT_PLAIN_BODY),
    "performance": ("/v1/performance", PERFORMANCE_BODY),
}


async def _measure(
    client: httpx.AsyncClient, path: str, body: object, runs: int
) -> tuple[list[float], float]:
    """Wall times of `runs` requests (ms), and the process's CPU time per request (ms: all
    threads, so the worker threads' work counts; other processes' load does not)."""
    for _ in range(5):  # warm caches
        (await client.post(path, json=body)).raise_for_status()
    samples = []
    cpu_started = time.process_time()
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.post(path, json=body)
        samples.append((time.perf_counter() - started) * 1000.0)
        response.raise_for_status()
    return samples, (time.process_time() - cpu_started) * 1000.0 / runs


async def _run(settings: Settings, runs: int, profile: bool) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, (path, body) in CASES.items():
                count = runs if name == "performance" else max(runs // 4, 20)
                profiler = cProfile.Profile() if profile else None
                if profiler:
                    profiler.enable()
                samples, cpu_ms = await _measure(client, path, body, count)
                if profiler:
                    profiler.disable()
                print(
                    f"{name:<18} n={count:4d}  median {statistics.median(samples):7.2f} ms  "
                    f"mean {statistics.fmean(samples):7.2f} ms  "
                    f"min {min(samples):7.2f} ms  CPU {cpu_ms:7.2f} ms/request"
                )
                if profiler:
                    out = io.StringIO()
                    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
                    stats.print_stats(r"/app/", 60)
                    stats.sort_stats("tottime").print_stats(25)
                    print(out.getvalue())


def _run_threads_inline() -> None:
    """Run what FastAPI sends to worker threads in the event loop's thread instead, so that
    cProfile (which sees one thread) sees the routes, dependencies and services."""
    import anyio.to_thread

    async def inline(func: Any, *args: Any, **_options: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    if args.profile:
        _run_threads_inline()
    # Access lines go nowhere: the formatting cost is measured, not the terminal's.
    configure_logging(args.log_level, json=True, stream=io.StringIO())
    with tempfile.TemporaryDirectory() as work:
        # Each request computes (the answer cache would serve the repeats without computing).
        settings = Settings(
            data_dir=Path(work), log_level=args.log_level, database_url="", answer_cache_mb=0
        )
        asyncio.run(_run(settings, args.runs, args.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
