"""Saved analyses (ORM rows) -> their read schemas, with the links a client follows."""

from __future__ import annotations

import uuid
from typing import Any

from app.db.orm import Analysis
from app.schemas.analyses import AnalysisLinks, AnalysisRead, AnalysisSummary


def links_for(analysis_id: uuid.UUID, *, has_plan: bool = False) -> AnalysisLinks:
    base = f"/v1/analyses/{analysis_id}"
    return AnalysisLinks(
        analysis=base,
        report=f"{base}/report",
        export_json=f"{base}/export?format=json",
        export_csv=f"{base}/export?format=csv",
        chart_cost_vs_volume=f"{base}/charts/cost-vs-volume",
        chart_breakdown=f"{base}/charts/breakdown",
        chart_projection=f"{base}/charts/projection",
        chart_tornado=f"{base}/charts/tornado",
        chart_plan_mix=f"{base}/charts/plan-mix" if has_plan else None,
    )


def _has_plan(row: Analysis) -> bool:
    """A plan saved with the analysis, or one its estimate asked for (`input.plan`)."""
    return row.plan_result is not None or (row.result or {}).get("plan") is not None


def _summary_fields(row: Analysis) -> dict[str, Any]:
    return {
        name: getattr(row, name) for name in AnalysisSummary.model_fields if name != "links"
    } | {"links": links_for(row.id)}


def to_summary(row: Analysis) -> AnalysisSummary:
    return AnalysisSummary.model_validate(_summary_fields(row))


def to_read(row: Analysis) -> AnalysisRead:
    return AnalysisRead.model_validate(
        _summary_fields(row)
        | {"input": row.input, "catalog_snapshot": row.catalog_snapshot, "result": row.result}
        | {"plan": row.plan_input, "plan_result": row.plan_result}
        | {"links": links_for(row.id, has_plan=_has_plan(row))}
    )
