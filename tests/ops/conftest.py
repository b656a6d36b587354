"""Operational tests run real servers (their own PostgreSQL, nginx, `serve`), whatever `--db`
says: they run once, in the SQLite pass, and are skipped in the PostgreSQL pass."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") != "postgres":
        return
    skip = pytest.mark.skip(reason="operational tests run once, in the SQLite pass")
    for item in items:
        if "tests/ops/" in str(item.path):
            item.add_marker(skip)
