"""Scale-out: two replicas on one PostgreSQL behind nginx (a real load balancer, from the
distribution's packages). An Idempotency-Key retried on the other replica returns the first
result; a catalog change made through one replica is served by the other at once; killing a
replica under load loses no acknowledged write."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.main import prepare_database
from tests.conftest import ADMIN_KEY, make_settings
from tests.factories import body
from tests.ops.servers import TemporaryPostgres, free_port

ROOT = Path(__file__).resolve().parents[2]
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    upstream estimator {{
        server 127.0.0.1:{first} max_fails=1 fail_timeout=5s;
        server 127.0.0.1:{second} max_fails=1 fail_timeout=5s;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_header_timeout 10s;
        client_body_timeout 10s;
        location / {{
            proxy_pass http://estimator;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Request-ID $request_id;
            # Only requests that cannot have reached the app are retried on the other replica;
            # a POST that may have run is answered 502 and retried by the client, whose
            # Idempotency-Key makes that safe.
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


@dataclass
class Cluster:
    balancer: str
    replicas: list[str]
    processes: list[subprocess.Popen[bytes]]


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{url} did not start:\n{log.read_text()}")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        if os.environ.get("REQUIRE_NGINX"):
            pytest.fail("REQUIRE_NGINX is set but nginx is missing (apt-get install nginx-light)")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    work = tmp_path_factory.mktemp("replicas")
    postgres = TemporaryPostgres()
    postgres.start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        url = postgres.create_database("estimator")
        prepare_database(make_settings(url))  # migrations once, before any replica starts
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "AUTO_MIGRATE": "false",
            "ADMIN_API_KEYS": ADMIN_KEY,
            "ANONYMOUS_SCOPES": "read,analyses:write",
            "LOG_LEVEL": "WARNING",
            "WORKERS": "1",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        replicas = []
        for index in range(2):
            port = free_port()
            log = work / f"replica-{index}.log"
            command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
                )
            replicas.append(f"http://127.0.0.1:{port}")
        for index, replica in enumerate(replicas):
            _wait_ready(replica, processes[index], work / f"replica-{index}.log")
        port = free_port()
        conf = work / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                work=work,
                port=port,
                first=replicas[0].rsplit(":", 1)[1],
                second=replicas[1].rsplit(":", 1)[1],
            )
        )
        processes.append(
            subprocess.Popen([nginx, "-c", str(conf), "-p", str(work)], stderr=subprocess.DEVNULL)
        )
        balancer = f"http://127.0.0.1:{port}"
        _wait_ready(balancer, processes[-1], work / "nginx-error.log")
        yield Cluster(balancer=balancer, replicas=replicas, processes=processes)
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        postgres.remove()


def test_an_idempotent_retry_on_the_other_replica_returns_the_first_result(
    cluster: Cluster,
) -> None:
    key = {"Idempotency-Key": f"replicas-{uuid.uuid4()}"}
    first = httpx.post(f"{cluster.replicas[0]}/v1/analyses", json=body(), headers=key, timeout=60)
    retry = httpx.post(f"{cluster.replicas[1]}/v1/analyses", json=body(), headers=key, timeout=60)
    assert first.status_code == 201, first.text
    assert retry.status_code == 200, retry.text
    assert retry.json() == first.json()


def test_a_catalog_change_through_one_replica_is_served_by_the_other_at_once(
    cluster: Cluster,
) -> None:
    one, other = cluster.replicas
    path = "/v1/gpus/h100-sxm-80gb"
    assert httpx.get(f"{other}{path}").status_code == 200  # the other has read it (and cached)
    bandwidth = httpx.get(f"{one}{path}").json()["memory_bandwidth_gb_per_s"] + 1.5
    changed = httpx.patch(
        f"{one}{path}", json={"memory_bandwidth_gb_per_s": bandwidth}, headers=ADMIN
    )
    assert changed.status_code == 200, changed.text
    assert httpx.get(f"{other}{path}").json()["memory_bandwidth_gb_per_s"] == bandwidth
    estimate = httpx.post(f"{other}/v1/estimates", json=body()["input"], timeout=60).json()
    assert estimate["assumptions"]["catalog_version"] == changed.json()["valid_from_version"]


def test_killing_a_replica_under_load_loses_no_acknowledged_write(cluster: Cluster) -> None:
    acknowledged: dict[str, str] = {}
    failures: list[str] = []
    stop = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=cluster.balancer, timeout=60) as client:
            sequence = 0
            while not stop.is_set():
                key = f"w{worker}-{sequence}-{uuid.uuid4().hex[:8]}"
                sequence += 1
                for _attempt in range(20):
                    try:
                        response = client.post(
                            "/v1/analyses",
                            json=body(name=key),
                            headers={"Idempotency-Key": key},
                        )
                    except httpx.TransportError:
                        time.sleep(0.2)
                        continue
                    if response.status_code in (200, 201):
                        acknowledged[key] = response.json()["id"]
                        break
                    if response.status_code not in (502, 503, 504):
                        failures.append(f"{response.status_code} {response.text[:200]}")
                        break
                    time.sleep(0.2)

    baseline = httpx.get(f"{cluster.balancer}/v1/analyses", params={"limit": 1}).json()["total"]
    writers = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in writers:
        thread.start()
    time.sleep(4)
    before_kill = len(acknowledged)
    victim = cluster.processes[0]
    for child in _descendants(victim.pid):
        os.kill(child, signal.SIGKILL)
    victim.kill()
    time.sleep(6)
    stop.set()
    for thread in writers:
        thread.join()

    assert not failures, failures
    assert before_kill > 0
    assert len(acknowledged) > before_kill  # writes went on through the surviving replica
    with httpx.Client(base_url=cluster.balancer, timeout=60) as client:
        for key, analysis_id in acknowledged.items():
            stored = client.get(f"/v1/analyses/{analysis_id}")
            assert stored.status_code == 200, (key, stored.text)
            assert stored.json()["name"] == key
        listed = client.get("/v1/analyses", params={"limit": 1}).json()["total"]
    # Nothing acknowledged was lost, and no retry saved twice: one analysis per key.
    assert listed == baseline + len(acknowledged)


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found.append(int(child))
            found.extend(_descendants(int(child)))
    return found
