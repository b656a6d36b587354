"""The started app collects garbage rarely and leaves startup's objects out of collections."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from app.main import GC_YOUNG_THRESHOLD


def test_a_started_app_froze_startup_objects_and_raised_the_threshold(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] >= GC_YOUNG_THRESHOLD
    assert gc.isenabled()  # cyclic garbage is still collected
