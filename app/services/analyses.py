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

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.access import Principal
from app.db.orm import Analysis
from app.db.session import begin_write
from app.errors import ConflictError, ForbiddenError, NotFoundError
from app.schemas.analyses import (
    AnalysisCreate,
    AnalysisDiff,
    AnalysisUpdate,
)
from app.schemas.estimates import EstimateRequest, EstimateResponse
from app.schemas.plans import PlanResponse, PlanSettingsIn
from app.services import estimates as estimates_service
from app.services import plans as plans_service
from app.services.analysis_diff import diff_results


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
    saved = original.plan_result
    diff = diff_results(
        before=EstimateResponse.model_validate(original.result),
        after=result,
        plan_before=None if saved is None else PlanResponse.model_validate(saved),
        plan_after=None if plan is None else plan.result,
    )
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
