"""`/v1/analyses`: saved estimates, their re-runs, comparisons, exports, charts and reports."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response, status
from fastapi.responses import HTMLResponse

from app.access import Scope
from app.api.deps import (
    AnalysesWriter,
    DeferredWriteSessionDep,
    Limit,
    Offset,
    PrincipalDep,
    ReaderDep,
    ReadSessionDep,
    SearchText,
    SessionDep,
    ensure_scope,
)
from app.db.orm import Analysis
from app.schemas.analyses import (
    AnalysisComparison,
    AnalysisCreate,
    AnalysisLinks,
    AnalysisPage,
    AnalysisRead,
    AnalysisRerun,
    AnalysisSort,
    AnalysisSummary,
    AnalysisUpdate,
    ChartFormat,
    ChartName,
    ExportFormat,
    Instant,
    Tag,
)
from app.schemas.common import Slug
from app.services import analyses as analyses_service
from app.services.charts import MEDIA_TYPES, render_chart
from app.services.report import render_report

analyses_router = APIRouter(prefix="/v1/analyses", tags=["analyses"], dependencies=[ReaderDep])
comparisons_router = APIRouter(
    prefix="/v1/analysis-comparisons", tags=["analyses"], dependencies=[ReaderDep]
)

AnalysisId = Annotated[uuid.UUID, Path(description="The analysis's UUID.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (e.g. a UUID). A retry with the same key and body returns "
        "the analysis the first request created, with status 200; the same key with a "
        "different body is a 409 problem.",
    ),
]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


#: OpenAPI links: the id a create returns is what these operations take.
_ANALYSIS_LINKS = {
    operation: {
        "operationId": operation,
        "parameters": {"analysis_id": "$response.body#/id"},
    }
    for operation in (
        "get_analysis",
        "update_analysis",
        "delete_analysis",
        "rerun_analysis",
        "export_analysis",
        "get_analysis_chart",
        "get_analysis_report",
    )
}


def links_for(analysis_id: uuid.UUID) -> AnalysisLinks:
    base = f"/v1/analyses/{analysis_id}"
    return AnalysisLinks(
        analysis=base,
        report=f"{base}/report",
        export_json=f"{base}/export?format=json",
        export_csv=f"{base}/export?format=csv",
        chart_cost_vs_volume=f"{base}/charts/cost-vs-volume",
        chart_breakdown=f"{base}/charts/breakdown",
        chart_projection=f"{base}/charts/projection",
    )


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
    )


@analyses_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Save an analysis",
    responses={
        200: {
            "model": AnalysisRead,
            "description": "A retry with a known `Idempotency-Key`: the analysis it created.",
        },
        201: {"links": _ANALYSIS_LINKS},
    },
)
def create_analysis(
    read_session: ReadSessionDep,
    session: DeferredWriteSessionDep,
    body: AnalysisCreate,
    response: Response,
    principal: AnalysesWriter,
    idempotency_key: IdempotencyKey = None,
) -> AnalysisRead:
    """Run the estimate in `input` and store it with the catalog values it used, owned by the
    caller's principal and team (needs the `analyses:write` scope).

    Nothing is stored when the estimate fails.
    """
    row, created = analyses_service.create_analysis(
        session,
        body,
        idempotency_key=idempotency_key,
        owner=principal.name,
        team=principal.team,
        read_session=read_session,
    )
    response.headers["Location"] = f"/v1/analyses/{row.id}"
    if not created:
        response.status_code = status.HTTP_200_OK
    return to_read(row)


@analyses_router.get("", summary="List analyses")
def list_analyses(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    q: SearchText = None,
    tag: Annotated[
        list[Tag] | None, Query(max_length=20, description="Has every one of these tags.")
    ] = None,
    api_model: Annotated[Slug | None, Query(description="Priced this API model.")] = None,
    open_model: Annotated[Slug | None, Query(description="Considered this open model.")] = None,
    created_after: Annotated[
        Instant | None, Query(description="Saved at or after this instant (ISO 8601).")
    ] = None,
    created_before: Annotated[
        Instant | None, Query(description="Saved before this instant (ISO 8601).")
    ] = None,
    parent_id: Annotated[
        uuid.UUID | None, Query(description="Revisions re-run from this analysis.")
    ] = None,
    sort: Annotated[
        AnalysisSort, Query(description="Field to sort by, `-` first for descending.")
    ] = "-created_at",
) -> AnalysisPage:
    """Summaries of saved analyses (without input and result), newest first by default."""
    rows, total = analyses_service.list_analyses(
        session,
        q=q,
        tags=tag or (),
        api_model=api_model,
        open_model=open_model,
        created_after=created_after,
        created_before=created_before,
        parent_id=parent_id,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return AnalysisPage(
        items=[to_summary(r) for r in rows], total=total, limit=limit, offset=offset
    )


# Outside `/v1/analyses/`, where every segment is an analysis id.
@comparisons_router.get("", summary="Compare analyses")
def compare_analyses(
    session: SessionDep,
    ids: Annotated[
        list[uuid.UUID],
        Query(min_length=2, max_length=10, description="Two to ten analysis ids, in order."),
    ],
) -> AnalysisComparison:
    """Several analyses side by side: headline numbers, and every option's cost in each."""
    return analyses_service.compare_analyses(session, ids)


@analyses_router.get("/{analysis_id}", summary="Get an analysis")
def get_analysis(session: SessionDep, analysis_id: AnalysisId) -> AnalysisRead:
    """The stored input, catalog snapshot and result, exactly as saved."""
    return to_read(analyses_service.get_analysis(session, analysis_id))


@analyses_router.patch("/{analysis_id}", summary="Rename, describe or re-tag an analysis")
def update_analysis(
    session: SessionDep, analysis_id: AnalysisId, body: AnalysisUpdate, principal: AnalysesWriter
) -> AnalysisRead:
    """Only the analysis's owner (or team, or an `analyses:admin` key) may change it."""
    return to_read(
        analyses_service.update_analysis(session, analysis_id, body, principal=principal)
    )


@analyses_router.delete(
    "/{analysis_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an analysis"
)
def delete_analysis(
    session: SessionDep, analysis_id: AnalysisId, principal: AnalysesWriter
) -> Response:
    """Delete for good. Revisions re-run from it stay, with `parent_id` cleared. Only the
    owner (or team, or an `analyses:admin` key) may delete."""
    analyses_service.delete_analysis(session, analysis_id, principal=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@analyses_router.post("/{analysis_id}/rerun", summary="Re-run an analysis with the current catalog")
def rerun_analysis(
    read_session: ReadSessionDep,
    session: DeferredWriteSessionDep,
    analysis_id: AnalysisId,
    response: Response,
    principal: PrincipalDep,
    save: Annotated[
        bool,
        Query(
            description="Store the re-run as a new analysis linked by `parent_id`, owned by "
            "the caller (needs the `analyses:write` scope)."
        ),
    ] = False,
) -> AnalysisRerun:
    """Price the saved input with today's catalog and show which prices, specs, costs and
    break-even volumes moved. The saved analysis itself never changes."""
    if save:
        ensure_scope(principal, Scope.ANALYSES_WRITE)
    outcome = analyses_service.rerun_analysis(
        session,
        analysis_id,
        save=save,
        owner=principal.name,
        team=principal.team,
        read_session=read_session,
    )
    if outcome.revision is not None:
        response.headers["Location"] = f"/v1/analyses/{outcome.revision.id}"
    return AnalysisRerun(
        analysis_id=outcome.original.id,
        result=outcome.result,
        diff=outcome.diff,
        revision=to_read(outcome.revision) if outcome.revision is not None else None,
    )


@analyses_router.get(
    "/{analysis_id}/export",
    summary="Export an analysis as JSON or CSV",
    response_class=Response,
    responses={
        200: {
            "description": "JSON: the whole analysis. CSV: one row per option, cheapest first.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/AnalysisRead"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
def export_analysis(
    session: SessionDep,
    analysis_id: AnalysisId,
    format: Annotated[ExportFormat, Query(description="`json` or `csv`.")] = "json",
) -> Response:
    """Download the analysis as a file (`Content-Disposition: attachment`)."""
    row = analyses_service.get_analysis(session, analysis_id)
    filename = f"analysis-{row.id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        result = to_read(row).result
        return Response(
            analyses_service.export_csv(result), media_type=CSV_MEDIA_TYPE, headers=headers
        )
    body = to_read(row).model_dump(mode="json")
    return Response(
        json.dumps(body, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers=headers,
    )


@analyses_router.get(
    "/{analysis_id}/charts/{chart}",
    summary="Chart an analysis (SVG or PNG)",
    response_class=Response,
    responses={
        200: {
            "description": "`cost-vs-volume`: monthly cost against requests per day with the "
            "break-even marked; `breakdown`: stacked monthly cost per option; `projection`: "
            "monthly cost over the horizon.",
            "content": {
                "image/svg+xml": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def get_analysis_chart(
    session: SessionDep,
    analysis_id: AnalysisId,
    chart: ChartName,
    format: Annotated[ChartFormat, Query(description="`svg` (default) or `png`.")] = "svg",
) -> Response:
    """Drawn from the stored result: the same analysis always gives the same picture."""
    result = to_read(analyses_service.get_analysis(session, analysis_id)).result
    return Response(
        render_chart(result, chart, format),
        media_type=MEDIA_TYPES[format],
        headers={"Cache-Control": "private, max-age=300"},
    )


@analyses_router.get(
    "/{analysis_id}/report",
    summary="Read an analysis as an HTML report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
def get_analysis_report(session: SessionDep, analysis_id: AnalysisId) -> HTMLResponse:
    """A self-contained page (no external resources) with inputs, ranked options, charts and
    every assumption with its source. Prints cleanly."""
    return HTMLResponse(render_report(to_read(analyses_service.get_analysis(session, analysis_id))))


router = APIRouter()
router.include_router(comparisons_router)
router.include_router(analyses_router)
