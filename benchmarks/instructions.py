"""CPU instructions per computed estimate, counted by Valgrind's callgrind: a measure of what a
request costs that, unlike time on a shared machine, does not drift with the host (the same
code and input give the same count to within a fraction of a percent).

Seeds a temporary SQLite database, then runs this file under callgrind, collecting only inside
`functools.reduce` (which wraps the measured requests): each request is the OpenAPI chatbot
example with a user count of its own (never an answer-cache hit; the self-hosted candidates
and option table, which do not depend on the volume, come from the worker's memo after the
first, as they do in the server), validated, estimated through
`services.estimates.run_estimate` and serialised, as the server does (gc frozen as at its
start). Middleware and HTTP are not included. Needs `valgrind` (Debian package `valgrind`);
a run takes a minute or two per case (callgrind runs code ~50x slower).

Run: `python -m benchmarks.instructions [--requests 5]`.
"""

from __future__ import annotations

import argparse
import functools
import gc
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, cast

from app.api.routes.estimates import SUPPORT_CHATBOT

CHATBOT: dict[str, Any] = cast(dict[str, Any], SUPPORT_CHATBOT["value"])
CASES = {
    "chatbot example (quality, routing, 1,000-sample ranges)": CHATBOT,
    "chatbot as filed (without those blocks)": {
        k: v for k, v in CHATBOT.items() if k not in ("quality", "routing", "ranges")
    },
}
#: Untimed requests first: imports, the catalog cache and numpy's first calls.
WARM_UP = 3


def _child(url: str, case: str, requests: int) -> None:
    """Inside callgrind: warm up, then the measured requests inside functools.reduce."""
    from app.db.session import build_engine, build_sessionmaker
    from app.schemas.estimates import EstimateRequest
    from app.services.estimates import run_estimate

    body = CASES[case]
    sessions = build_sessionmaker(build_engine(url))
    users = itertools.count(5001)
    gc.freeze()
    gc.set_threshold(10_000)

    def one(*_: object) -> None:
        request = EstimateRequest.model_validate(
            {**body, "workload": {**body["workload"], "users": next(users)}}
        )
        with sessions() as session:
            run_estimate(session, request).model_dump_json()

    for _ in range(WARM_UP):
        one()
    functools.reduce(one, range(requests), None)


def _count(url: str, case: str, requests: int, work: Path) -> float:
    out = work / "callgrind.out"
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--toggle-collect=functools_reduce",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            "--child",
            url,
            case,
            str(requests),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    total = re.search(r"^(?:summary|totals):\s+(\d+)", out.read_text(), re.MULTILINE)
    if total is None:
        raise RuntimeError("callgrind wrote no instruction total")
    return int(total.group(1)) / requests


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("URL", "CASE", "REQUESTS"))
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "DATA_DIR": tmp, "LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        subprocess.run(
            [sys.executable, "-m", "app.cli", "migrate"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"sqlite:///{work / 'estimator.db'}"
        for case in CASES:
            per_request = _count(url, case, args.requests, work)
            print(f"{case:60s} {per_request / 1e6:8.1f} M instructions per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
