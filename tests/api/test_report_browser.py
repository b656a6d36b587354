"""The HTML report in a real browser: headless Chromium loads it from a running server.

The server is the real command (`llm-cost-estimator serve`) on a temporary SQLite database. The
test reads the DOM Chromium built, takes a screenshot and prints the page to PDF; the screenshot
and PDF are kept under `.artifacts/`. Skipped when Chromium is missing, unless REQUIRE_CHROMIUM
is set (CI sets it, so there a missing browser fails the run).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import body

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("REQUIRE_CHROMIUM"):
        pytest.fail("REQUIRE_CHROMIUM is set but Chromium is missing (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("browser")
    port = _free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(work),
        "LOG_LEVEL": "WARNING",
        "AUTO_MIGRATE": "true",
        "REQUIRE_API_KEY_FOR_READS": "false",
    }
    env.pop("DATABASE_URL", None)
    log = (work / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
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
                pytest.fail("the server did not start:\n" + (work / "server.log").read_text())
            time.sleep(0.25)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_report_renders_in_chromium(live_server: str, tmp_path: Path) -> None:
    browser = _browser()
    created = httpx.post(
        f"{live_server}/v1/analyses",
        json=body(name="Support bot for the Q3 review", tags=["review"]),
        timeout=60,
    )
    assert created.status_code == 201, created.text
    analysis = created.json()
    url = f"{live_server}{analysis['links']['report']}"

    # The page is served under a strict content security policy (no scripts, nothing
    # external), and Chromium enforces it: a violation would be logged to the console.
    policy = httpx.get(url, timeout=60).headers["content-security-policy"]
    assert "default-src 'none'" in policy
    dom = _chromium(browser, tmp_path / "p1", "--enable-logging=stderr", "--v=0", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Content Security Policy" not in dom.stderr, dom.stderr[-2000:]
    assert "Refused to" not in dom.stderr, dom.stderr[-2000:]
    html = dom.stdout
    assert "<title>Support bot for the Q3 review · LLM cost analysis</title>" in html
    assert 'id="summary"' in html
    cheapest = analysis["result"]["options"][0]
    assert cheapest["label"].replace("&", "&amp;") in html
    assert "Break-even against" in html
    assert len(re.findall(r"<svg\b", html)) == 3
    for entry in analysis["catalog_snapshot"]["gpus"]:
        assert entry["slug"] in html
    # The browser built the DOM from our page alone: nothing was injected by scripts.
    assert "<script" not in html

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-screenshot.png"
    shot.unlink(missing_ok=True)
    taken = _chromium(
        browser,
        tmp_path / "p2",
        "--hide-scrollbars",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        url,
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert _png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 50_000  # a page of text and charts, not a blank canvas

    pdf = ARTIFACTS / "report.pdf"
    pdf.unlink(missing_ok=True)
    printed = _chromium(
        browser, tmp_path / "p3", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", url
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))
    assert 2 <= pages <= 30, pages
