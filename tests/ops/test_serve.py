"""The production start (`llm-cost-estimator serve`): workers per CPU under a supervisor, one
migration before they start, quiet start-up, a killed worker replaced, and liveness that stays
fast while hostile payloads arrive."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import body
from tests.ops.hostile_client import ROUND_S
from tests.ops.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children |= {int(c) for c in text}
    return children


#: Thread-count variables of OpenBLAS, OpenMP and MKL (removed from the test server's
#: environment, so that the service must set them itself).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _workers(pid: int) -> set[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    found = set()
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in command:
            found.add(child)
    return found


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    work = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(work / "data"),
        "LOG_LEVEL": "INFO",
        "WORKERS": "2",
        "ANONYMOUS_SCOPES": "read,analyses:write",
    }
    for name in ("DATABASE_URL", "AUTO_MIGRATE", "PROMETHEUS_MULTIPROC_DIR", *THREAD_VARIABLES):
        env.pop(name, None)
    log = work / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start:\n" + log.read_text())
            time.sleep(0.25)
        while len(_workers(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield base, process, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_migrates_once_and_starts_quietly(
    served: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    base, process, log = served
    assert len(_workers(process.pid)) == 2
    httpx.post(f"{base}/v1/estimates", json=body()["input"], timeout=60)  # runs HiGHS
    time.sleep(0.5)
    text = log.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is a JSON object
    events = [r["event"] for r in records]
    # Migrated once, before the workers started (not again in each worker).
    assert sum(e.startswith("database schema at") for e in events) == 1
    assert sum(e.startswith("seeded the catalogs") for e in events) == 1
    seeded = next(i for i, e in enumerate(events) if e.startswith("seeded the catalogs"))
    supervisor = next(i for i, e in enumerate(events) if e.startswith("Started parent process"))
    assert seeded < supervisor
    assert "HiGHS" not in text
    assert "setup plugin" not in text


def test_workers_run_numeric_libraries_on_one_thread(
    served: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    # One worker per core already uses every core: OpenBLAS's own threads (two per worker on
    # two cores) spin against the other worker's, and the chatbot estimate at 8 in flight fell
    # to 10/s against 15/s at 1 in flight. Each worker starts with the thread counts at 1.
    _, process, _ = served
    workers = _workers(process.pid)
    assert len(workers) == 2
    for worker in workers:
        environ = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
        for name in THREAD_VARIABLES:
            assert f"{name}=1".encode() in environ, (worker, name)


def _sockets(pid: int, port: int, state: str) -> int:
    """TCP sockets on the server's `port` in `state` (01 established, 0A listening) that
    process `pid` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == state and fields[9] in inodes:
            held += 1
    return held


def _held_connections(pid: int, port: int) -> int:
    return _sockets(pid, port, "01")


def _wait_until_every_worker_listens(process: subprocess.Popen[bytes], port: int) -> None:
    """Until two workers each listen on a socket (a worker that has started but still imports
    the app is not listening yet, and the kernel hands it nothing)."""
    deadline = time.monotonic() + 60
    while True:
        workers = _workers(process.pid)
        listening = [w for w in workers if _sockets(w, port, "0A")]
        if len(workers) == 2 and len(listening) == 2:
            return
        assert time.monotonic() < deadline, f"workers {workers}, listening {listening}"
        time.sleep(0.1)


def test_connections_opened_together_are_spread_over_the_workers(
    served: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    # Before: with one listening socket shared by the workers, the first worker to wake
    # accepted every connection of a burst (8 keep-alive clients: one worker at 100 % of a
    # core, the other idle, /v1/performance at 295/s). Each worker now has its own
    # SO_REUSEPORT socket and the kernel spreads connections over them (16 connections all
    # on one of two workers: odds 1 in 32,768 per burst).
    base, process, _ = served
    port = int(base.rsplit(":", 1)[1])
    _wait_until_every_worker_listens(process, port)
    for _ in range(5):  # whether one worker wins a burst is a race: five bursts, each spread
        # Connected all at once, as a pool of keep-alive clients does, before any request.
        connections = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(16)]
        try:
            for connection in connections:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            for connection in connections:
                assert connection.recv(65536).startswith(b"HTTP/1.1 200")
            held = sorted(_held_connections(pid, port) for pid in _workers(process.pid))
            assert sum(held) == 16, held
            assert held[0] >= 1, held
        finally:
            for connection in connections:
                connection.close()


def test_a_killed_worker_is_replaced(served: tuple[str, subprocess.Popen[bytes], Path]) -> None:
    base, process, _ = served
    before = _workers(process.pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        now = _workers(process.pid)
        if len(now) == 2 and victim not in now:
            break
        assert time.monotonic() < deadline, f"no replacement worker: {now}"
        # The other worker keeps serving meanwhile, new connections included: the dead
        # worker's socket closed with it. (Before, the supervisor kept that socket open, and a
        # connection hashed to it waited for the replacement to import the app: 2.3 s on a
        # quiet machine, over 5 s in CI.)
        started = time.perf_counter()
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        assert time.perf_counter() - started < 1.0
        time.sleep(0.2)
    for _ in range(10):
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200


def test_healthz_stays_fast_under_hostile_payloads(
    served: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    base, _, _ = served
    rounds = 5
    start = time.time() + 3.0  # time for the attacking process to start and build its bodies
    attack = subprocess.Popen(
        [sys.executable, "-m", "tests.ops.hostile_client", base, str(start), str(rounds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    latencies_s = []
    with httpx.Client(base_url=base, timeout=10) as probe:
        probe.get("/healthz")
        for round_index in range(rounds):
            # Just after the burst of 16 lands, and while it is being answered.
            time.sleep(max(0.0, start + round_index * ROUND_S + 0.005 - time.time()))
            for _ in range(3):
                started = time.perf_counter()
                assert probe.get("/healthz").status_code == 200
                latencies_s.append(time.perf_counter() - started)
    output, _ = attack.communicate(timeout=120)
    statuses = {int(line) for line in output.split()}
    assert statuses == {413, 422}, statuses
    latencies_s.sort()
    print(
        f"healthz under {16 * rounds} hostile requests: median "
        f"{latencies_s[len(latencies_s) // 2] * 1000:.1f} ms, max {latencies_s[-1] * 1000:.1f} ms"
    )
    # Before: 16 such bodies at once stalled /healthz for up to 6.3 s. Now every probe is
    # answered within 100 ms (measured: worst 6-11 ms on a quiet machine, 17-20 ms with two
    # busy processes competing for the two cores).
    assert latencies_s[-1] < 0.1, latencies_s
