"""Saved analyses: run an estimate and keep it, list, change, re-run, compare and export.

A saved analysis keeps the request as sent, the catalog entries it was priced with and the result,
as JSON, so reading it later gives the same numbers whatever the catalog has become. Re-running
prices the same request with the current catalog and reports what moved. Services flush but never
commit: the request owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from app.access import Principal
from app.db.orm import Analysis
from app.db.queries import escape_like
from app.db.session import begin_write
from app.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from app.schemas.analyses import (
    AnalysisComparison,
    AnalysisCreate,
    AnalysisDiff,
    AnalysisListQuery,
    AnalysisUpdate,
    ComparedAnalysis,
    ComparisonRow,
    PlanCostChange,
)
from app.schemas.estimates import EstimateRequest, EstimateResponse
from app.schemas.plans import PlanResponse, PlanSettingsIn
from app.services import estimates as estimates_service
from app.services import plans as plans_service
from app.services.analysis_diff import diff_results, option_identity

#: Sort keys of `list_analyses`, by the column they order.
SORT_COLUMNS: dict[str, Any] = {
    "created_at": Analysis.created_at,
    "updated_at": Analysis.updated_at,
    "name": Analysis.name,
    "cheapest_monthly_cost_usd": Analysis.cheapest_monthly_cost_usd,
}
COMPARE_MAX = 10


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- create -----------------------------------------------------------------------------------


def fingerprint(data: AnalysisCreate) -> str:
    """SHA-256 of the create body in canonical form (defaults filled in, keys sorted)."""
    # Without a plan the body hashes as it did before plans existed (same keys for old retries).
    exclude: dict[str, Any] = {}
    if data.plan is None:
        exclude["plan"] = True
    if data.input.plan is None:
        exclude["input"] = {"plan"}
    body = data.model_dump(mode="json", exclude=exclude or None)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_analysis(
    session: Session,
    data: AnalysisCreate,
    *,
    idempotency_key: str | None = None,
    owner: str | None = None,
    team: str | None = None,
    read_session: Session | None = None,
) -> tuple[Analysis, bool]:
    """Run the estimate and store it; returns the analysis and whether it is new.

    With an `idempotency_key` already used for the same body, returns that analysis instead; for
    a different body, raises `ConflictError`. A failing estimate raises before anything is added.
    With a `read_session`, the estimate reads the catalog there and `session`'s write
    transaction begins only once the result is known, so no write lock is held while it runs.
    """
    digest = fingerprint(data)
    reader = read_session if read_session is not None else session
    if idempotency_key is not None:
        existing = _find_by_key(reader, idempotency_key)
        if existing is not None:
            return _replay(existing, digest, idempotency_key), False
    result = estimates_service.run_estimate(reader, data.input)
    plan = _run_plan(reader, data.input, data.plan)
    begin_write(session)
    row = _new_row(
        name=data.name,
        description=data.description,
        tags=data.tags,
        request=data.input,
        result=result,
        parent_id=None,
        idempotency_key=idempotency_key,
        digest=digest,
        owner=owner,
        team=team,
        plan=plan,
    )
    try:
        # A savepoint, so that losing a race on the key leaves the transaction usable.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        if idempotency_key is None:
            raise
        # A concurrent request with the same key committed first: its analysis is the answer.
        winner = _find_by_key(session, idempotency_key)
        if winner is None:
            raise
        return _replay(winner, digest, idempotency_key), False
    return row, True


@dataclass(frozen=True, slots=True)
class _Plan:
    settings: PlanSettingsIn
    result: PlanResponse


def _run_plan(
    session: Session, request: EstimateRequest, settings: PlanSettingsIn | None
) -> _Plan | None:
    """The procurement plan for the estimate's input, when settings ask for one."""
    if settings is None:
        return None
    return _Plan(
        settings, plans_service.run_plan(session, plans_service.plan_request(request, settings))
    )


def _find_by_key(session: Session, key: str) -> Analysis | None:
    return session.scalar(select(Analysis).where(Analysis.idempotency_key == key))


def _replay(existing: Analysis, digest: str, key: str) -> Analysis:
    if existing.request_sha256 != digest:
        raise ConflictError(
            "this Idempotency-Key was already used with a different request body; "
            "use a new key for a new analysis",
            idempotency_key=key,
            analysis_id=str(existing.id),
        )
    return existing


def _new_row(
    *,
    name: str,
    description: str,
    tags: Sequence[str],
    request: EstimateRequest,
    result: EstimateResponse,
    parent_id: uuid.UUID | None,
    idempotency_key: str | None,
    digest: str,
    owner: str | None = None,
    team: str | None = None,
    plan: _Plan | None = None,
) -> Analysis:
    now = _now()
    assumptions = result.assumptions
    cheapest = result.options[0] if result.options else None
    return Analysis(
        id=uuid.uuid4(),
        name=name,
        description=description,
        tags=list(tags),
        # As sent: fields the caller left out stay out, so a re-run applies today's defaults
        # to them exactly as a fresh request would, and the record shows what was asked.
        input=request.model_dump(mode="json", exclude_unset=True),
        catalog_snapshot=snapshot_of(result),
        result=result.model_dump(mode="json"),
        catalog_version=assumptions.catalog_version,
        estimator_version=assumptions.estimator_version[:64],
        parent_id=parent_id,
        idempotency_key=idempotency_key,
        request_sha256=digest,
        api_models=sorted({str(m["slug"]) for m in assumptions.api_models}),
        open_models=sorted({str(m["slug"]) for m in assumptions.open_models}),
        cheapest_option=cheapest.label if cheapest else None,
        cheapest_monthly_cost_usd=cheapest.monthly_cost_usd if cheapest else None,
        plan_input=None
        if plan is None
        else plan.settings.model_dump(mode="json", exclude_unset=True),
        plan_result=None if plan is None else plan.result.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
        owner=owner,
        team=team,
    )


def snapshot_of(result: EstimateResponse) -> dict[str, Any]:
    """The resolved catalog entries an estimate used, with the catalog version."""
    a = result.assumptions
    return {
        "catalog_version": a.catalog_version,
        "api_models": a.api_models,
        "open_models": a.open_models,
        "gpus": a.gpus,
        "offerings": a.offerings,
    }


# --- read -------------------------------------------------------------------------------------


def find_analysis(
    session: Session, analysis_id: uuid.UUID, *, for_update: bool = False
) -> Analysis | None:
    stmt = select(Analysis).where(Analysis.id == analysis_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def get_analysis(session: Session, analysis_id: uuid.UUID, *, for_update: bool = False) -> Analysis:
    row = find_analysis(session, analysis_id, for_update=for_update)
    if row is None:
        raise NotFoundError(f"no analysis with id {analysis_id}", analysis_id=str(analysis_id))
    return row


def list_analyses(session: Session, query: AnalysisListQuery) -> tuple[list[Analysis], int]:
    """One page of analyses matching every given filter, with the total count.

    Rows come without their input, snapshot and result: a list shows summaries.
    """
    stmt = _filtered(query)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    field = query.sort.lstrip("-")
    if field not in SORT_COLUMNS:
        raise InvalidInputError(
            f"cannot sort by {field!r}; choose one of {', '.join(SORT_COLUMNS)}",
            allowed=list(SORT_COLUMNS),
        )
    column = SORT_COLUMNS[field]
    ordering = column.desc() if query.sort.startswith("-") else column.asc()
    stmt = (
        stmt.options(
            defer(Analysis.input, raiseload=True),
            defer(Analysis.result, raiseload=True),
            defer(Analysis.catalog_snapshot, raiseload=True),
        )
        # NULLs last either way, then id so that pages never overlap.
        .order_by(column.is_(None), ordering, Analysis.id)
        .limit(query.limit)
        .offset(query.offset)
    )
    return list(session.scalars(stmt).all()), total


def _filtered(query: AnalysisListQuery) -> Select[Any]:
    stmt = select(Analysis)
    if query.q:
        pattern = f"%{escape_like(query.q.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Analysis.name).like(pattern, escape="\\"),
                func.lower(Analysis.description).like(pattern, escape="\\"),
            )
        )
    for tag in query.tag or ():
        stmt = stmt.where(_json_list_has(Analysis.tags, tag))
    if query.api_model:
        stmt = stmt.where(_json_list_has(Analysis.api_models, query.api_model))
    if query.open_model:
        stmt = stmt.where(_json_list_has(Analysis.open_models, query.open_model))
    if query.created_after is not None:
        stmt = stmt.where(Analysis.created_at >= _aware(query.created_after))
    if query.created_before is not None:
        stmt = stmt.where(Analysis.created_at < _aware(query.created_before))
    if query.parent_id is not None:
        stmt = stmt.where(Analysis.parent_id == query.parent_id)
    return stmt


def _json_list_has(column: Any, value: str) -> ColumnElement[bool]:
    # Portable containment for a JSON list of simple strings: both backends store the list as
    # JSON text, where every element appears in double quotes. Tags and slugs cannot contain
    # quotes or backslashes (their patterns forbid them), so `"value"` matches whole elements.
    pattern = f'%"{escape_like(value)}"%'
    return cast(column, Text).like(pattern, escape="\\")


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


# --- update and delete ------------------------------------------------------------------------


def check_owner(row: Analysis, principal: Principal | None) -> None:
    """Raise `ForbiddenError` unless `principal` (None: not checked) may change `row`."""
    if principal is None or principal.owns(owner=row.owner, team=row.team):
        return
    whose = f"belongs to {row.owner}" if row.owner else "has no owner"
    raise ForbiddenError(
        f"analysis {row.id} {whose}; this API key may only change its own (or its team's)",
        analysis_id=str(row.id),
    )


def update_analysis(
    session: Session,
    analysis_id: uuid.UUID,
    patch: AnalysisUpdate,
    *,
    principal: Principal | None = None,
) -> Analysis:
    """Change name, description or tags; a patch that changes nothing keeps `updated_at`."""
    row = get_analysis(session, analysis_id, for_update=True)
    check_owner(row, principal)
    changed = False
    for name, value in patch.model_dump(exclude_unset=True).items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.updated_at = _now()
        session.flush()
    return row


def delete_analysis(
    session: Session, analysis_id: uuid.UUID, *, principal: Principal | None = None
) -> None:
    """Delete for good. Revisions made from it stay, with `parent_id` cleared."""
    row = get_analysis(session, analysis_id, for_update=True)
    check_owner(row, principal)
    session.delete(row)
    session.flush()


# --- re-run -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RerunOutcome:
    original: Analysis
    result: EstimateResponse
    diff: AnalysisDiff
    revision: Analysis | None
    plan_result: PlanResponse | None = None


def rerun_analysis(
    session: Session,
    analysis_id: uuid.UUID,
    *,
    save: bool,
    owner: str | None = None,
    team: str | None = None,
    read_session: Session | None = None,
) -> RerunOutcome:
    """Price the saved request with the current catalog; with `save`, store a linked revision
    owned by `owner` and `team`. With a `read_session`, the estimate runs there before
    `session`'s write transaction begins."""
    reader = read_session if read_session is not None else session
    original = get_analysis(reader, analysis_id)
    # A pinned catalog version would make the re-run repeat the old prices.
    sent = {k: v for k, v in original.input.items() if k != "catalog_version"}
    request = EstimateRequest.model_validate(sent)
    result = estimates_service.run_estimate(reader, request)
    settings = (
        None if original.plan_input is None else PlanSettingsIn.model_validate(original.plan_input)
    )
    plan = _run_plan(reader, request, settings)
    if save:
        begin_write(session)
        # Locked, so a concurrent delete cannot remove the parent under the revision.
        original = get_analysis(session, analysis_id, for_update=True)
    diff = diff_results(
        before=EstimateResponse.model_validate(original.result),
        after=result,
    )
    if plan is not None and original.plan_result is not None:
        saved = PlanResponse.model_validate(original.plan_result)
        diff = diff.model_copy(update={"plan": plan_change(saved, plan.result)})
    revision = None
    if save:
        revision = _new_row(
            name=original.name,
            description=original.description,
            tags=original.tags,
            request=request,
            result=result,
            parent_id=original.id,
            idempotency_key=None,
            digest="",
            owner=owner,
            team=team,
            plan=plan,
        )
        session.add(revision)
        session.flush()
    return RerunOutcome(
        original=original,
        result=result,
        diff=diff,
        revision=revision,
        plan_result=None if plan is None else plan.result,
    )


def plan_change(before: PlanResponse, after: PlanResponse) -> PlanCostChange:
    """How a saved plan's cost and lines moved on a re-run."""
    change = after.monthly_cost_usd - before.monthly_cost_usd
    return PlanCostChange(
        monthly_cost_usd_before=before.monthly_cost_usd,
        monthly_cost_usd_after=after.monthly_cost_usd,
        change_usd=change,
        change_share=change / before.monthly_cost_usd if before.monthly_cost_usd else None,
        lines_before=[line.label for line in before.lines],
        lines_after=[line.label for line in after.lines],
    )


def compare_analyses(session: Session, analysis_ids: Sequence[uuid.UUID]) -> AnalysisComparison:
    """Several analyses side by side: headline numbers and every option's cost in each."""
    ids = list(dict.fromkeys(analysis_ids))
    if not 2 <= len(ids) <= COMPARE_MAX:
        raise InvalidInputError(
            f"compare between 2 and {COMPARE_MAX} different analyses; got {len(ids)}",
            count=len(ids),
        )
    rows = {r.id: r for r in session.scalars(select(Analysis).where(Analysis.id.in_(ids))).all()}
    missing = [str(i) for i in ids if i not in rows]
    if missing:
        raise NotFoundError(f"no analysis with id {', '.join(missing)}", missing=missing)
    ordered = [rows[i] for i in ids]
    results = [EstimateResponse.model_validate(r.result) for r in ordered]
    analyses = [
        ComparedAnalysis(
            id=row.id,
            name=row.name,
            created_at=row.created_at,
            catalog_version=row.catalog_version,
            estimator_version=row.estimator_version,
            requests_per_day=result.requests_per_day,
            tokens_per_month=result.tokens_per_month,
            cheapest_option=row.cheapest_option,
            cheapest_monthly_cost_usd=row.cheapest_monthly_cost_usd,
            break_even_api_model=result.break_even.api_model if result.break_even else None,
            break_even_requests_per_day=(
                result.break_even.requests_per_day if result.break_even else None
            ),
        )
        for row, result in zip(ordered, results, strict=True)
    ]
    table: dict[tuple[object, ...], ComparisonRow] = {}
    for column, result in enumerate(results):
        for option in result.options:
            key = option_identity(option)
            if key not in table:
                table[key] = ComparisonRow(
                    label=option.label,
                    key=option.key,
                    kind=option.kind,
                    monthly_cost_usd=[None] * len(results),
                    usd_per_million_tokens=[None] * len(results),
                )
            table[key].monthly_cost_usd[column] = option.monthly_cost_usd
            table[key].usd_per_million_tokens[column] = option.usd_per_million_tokens
    ordered_rows = sorted(
        table.values(),
        key=lambda r: (min(c for c in r.monthly_cost_usd if c is not None), r.label),
    )
    return AnalysisComparison(analyses=analyses, rows=ordered_rows)
