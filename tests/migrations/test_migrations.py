"""Migrations on a fresh database: upgrade, no drift from the ORM, downgrade to base, upgrade."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from app.db import migrations
from app.db.base import Base
from app.db.session import build_engine


@pytest.fixture
def fresh_engine(empty_database_url: str) -> Iterator[Engine]:
    """An engine on an empty database of the kind under test."""
    engine = build_engine(empty_database_url)
    yield engine
    engine.dispose()


def _drift(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_round_trip_has_no_drift(fresh_engine: Engine) -> None:
    migrations.upgrade(fresh_engine)
    assert migrations.current_revision(fresh_engine) == migrations.head_revision()
    assert _tables(fresh_engine) == set(Base.metadata.tables)
    assert _drift(fresh_engine) == []

    migrations.downgrade(fresh_engine, "base")
    assert _tables(fresh_engine) == set()
    assert migrations.current_revision(fresh_engine) is None

    migrations.upgrade(fresh_engine)
    assert _drift(fresh_engine) == []
    assert migrations.current_revision(fresh_engine) == migrations.head_revision()


def test_partial_unique_index_allows_history_but_one_current_row(fresh_engine: Engine) -> None:
    """The index that keeps one current row per slug must exist after migrating."""
    migrations.upgrade(fresh_engine)
    indexes = {ix["name"]: ix for ix in inspect(fresh_engine).get_indexes("gpus")}
    assert indexes["uq_gpus_current_slug"]["unique"]
