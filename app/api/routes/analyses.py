"""`/v1/analyses`: saved estimates, their re-runs, comparisons, exports, charts and reports."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query, Response, status
from fastapi.responses import HTMLResponse

from app.access import Scope
from app.api import openapi_examples as ex
from app.api.deps import (
    AnalysesWriter,
    DeferredWriteSessionDep,
    PrincipalDep,
    ReaderDep,
    ReadSessionDep,
    SessionDep,
    ensure_scope,
)
from app.errors import NotFoundError
from app.schemas.analyses import (
    AnalysisComparison,
    AnalysisCreate,
    AnalysisListQuery,
    AnalysisPage,
    AnalysisRead,
    AnalysisRerun,
    AnalysisUpdate,
    ChartFormat,
    ChartName,
    ExportFormat,
)
from app.services import analyses as analyses_service
from app.services import analysis_compare, analysis_list
from app.services import analysis_views as views
from app.services.analysis_diff import export_csv
from app.services.charts import MEDIA_TYPES, render_chart, render_plan_chart
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
    body: Annotated[AnalysisCreate, Body(openapi_examples=ex.ANALYSIS_CREATE)],
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
    return views.to_read(row)


@analyses_router.get("", summary="List analyses")
def list_analyses(
    session: SessionDep, query: Annotated[AnalysisListQuery, Query()]
) -> AnalysisPage:
    """Summaries of saved analyses (without input and result), newest first by default."""
    rows, total = analysis_list.list_analyses(session, query)
    return AnalysisPage(
        items=[views.to_summary(r) for r in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
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
    return analysis_compare.compare_analyses(session, ids)


@analyses_router.get("/{analysis_id}", summary="Get an analysis")
def get_analysis(session: SessionDep, analysis_id: AnalysisId) -> AnalysisRead:
    """The stored input, catalog snapshot and result, exactly as saved."""
    return views.to_read(analyses_service.get_analysis(session, analysis_id))


@analyses_router.patch("/{analysis_id}", summary="Rename, describe or re-tag an analysis")
def update_analysis(
    session: SessionDep,
    analysis_id: AnalysisId,
    body: Annotated[AnalysisUpdate, Body(openapi_examples=ex.ANALYSIS_UPDATE)],
    principal: AnalysesWriter,
) -> AnalysisRead:
    """Only the analysis's owner (or team, or an `analyses:admin` key) may change it."""
    return views.to_read(
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
    break-even volumes moved. The saved analysis itself never changes. The estimate runs
    before any write transaction begins (only `save=true` writes)."""
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
        revision=views.to_read(outcome.revision) if outcome.revision is not None else None,
        plan_result=outcome.plan_result,
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
        read = views.to_read(row)
        csv_text = export_csv(read.result, read.plan_result)
        return Response(csv_text, media_type=CSV_MEDIA_TYPE, headers=headers)
    body = views.to_read(row).model_dump(mode="json")
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
            "monthly cost over the horizon; `tornado`: what moves the cheapest option's cost "
            "(analyses saved with `ranges`); `plan-mix`: GPUs of each plan line hour by hour "
            "(analyses saved with a plan).",
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
    analysis = views.to_read(analyses_service.get_analysis(session, analysis_id))
    if chart == "plan-mix":
        # The plan saved with the analysis, else the one its estimate asked for.
        plan = analysis.plan_result or analysis.result.plan
        if plan is None:
            raise NotFoundError(
                "this analysis has no plan: save it with `plan` to chart one",
                analysis_id=str(analysis_id),
            )
        image = render_plan_chart(plan, format)
    else:
        image = render_chart(analysis.result, chart, format)
    return Response(
        image,
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
    return HTMLResponse(
        render_report(views.to_read(analyses_service.get_analysis(session, analysis_id)))
    )


router = APIRouter()
router.include_router(comparisons_router)
router.include_router(analyses_router)
