"""Starting the service on a new database migrates and seeds it; starting again changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.orm import (
    ApiModel,
    CatalogVersion,
    FineTuningPrice,
    Gpu,
    GpuOffering,
    OpenModel,
    QualityScore,
)
from app.db.session import build_engine
from app.main import prepare_database
from tests.conftest import make_settings


def _counts(session: Session) -> dict[str, int]:
    return {
        orm.__tablename__: session.scalar(select(func.count()).select_from(orm)) or 0
        for orm in (
            CatalogVersion,
            Gpu,
            GpuOffering,
            OpenModel,
            ApiModel,
            QualityScore,
            FineTuningPrice,
        )
    }


def test_prepare_database_seeds_once(empty_database_url: str) -> None:
    url = empty_database_url
    settings = make_settings(url)
    prepare_database(settings)
    engine = build_engine(url)
    with Session(engine) as session:
        first = _counts(session)
        versions = session.scalars(select(CatalogVersion)).all()
    assert first["catalog_versions"] == 1
    assert versions[0].action == "seed"
    assert versions[0].rows_changed == sum(
        n for table, n in first.items() if table != "catalog_versions"
    )
    assert first["api_models"] > 1000
    assert first["gpus"] >= 13
    prepare_database(settings)
    with Session(engine) as session:
        assert _counts(session) == first
    engine.dispose()
