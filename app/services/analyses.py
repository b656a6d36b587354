"""Saved analyses: run an estimate and keep it, list, change, re-run, compare and export.

A saved analysis keeps the request as sent, the catalog entries it was priced with and the result,
as JSON, so reading it later gives the same numbers whatever the catalog has become. Re-running
prices the same request with the current catalog and reports what moved. Services flush but never
commit: the request owns the transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from app.access import Principal
from app.db.orm import Analysis
from app.db.session import begin_write
from app.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from app.schemas.analyses import (
    AnalysisComparison,
    AnalysisCreate,
    AnalysisDiff,
    AnalysisUpdate,
    BreakEvenChange,
    CatalogValueChange,
    ComparedAnalysis,
    ComparisonRow,
    OptionCostChange,
)
from app.schemas.estimates import EstimateRequest, EstimateResponse
from app.services import estimates as estimates_service

#: Sort keys of `list_analyses`, by the column they order.
SORT_COLUMNS: dict[str, Any] = {
    "created_at": Analysis.created_at,
    "updated_at": Analysis.updated_at,
    "name": Analysis.name,
    "cheapest_monthly_cost_usd": Analysis.cheapest_monthly_cost_usd,
}
#: Catalog kinds in a snapshot, by the `kind` name used in diffs.
SNAPSHOT_KINDS: dict[str, str] = {
    "api_models": "api_model",
    "open_models": "open_model",
    "gpus": "gpu",
    "offerings": "offering",
}
#: Snapshot fields that record where a row sits in the catalog history, not a price or spec.
HISTORY_FIELDS = frozenset({"valid_from_version", "valid_to_version", "id"})
COMPARE_MAX = 10


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- create -----------------------------------------------------------------------------------


def fingerprint(data: AnalysisCreate) -> str:
    """SHA-256 of the create body in canonical form (defaults filled in, keys sorted)."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
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


def list_analyses(
    session: Session,
    *,
    q: str | None = None,
    tags: Sequence[str] = (),
    created_after: dt.datetime | None = None,
    created_before: dt.datetime | None = None,
    api_model: str | None = None,
    open_model: str | None = None,
    parent_id: uuid.UUID | None = None,
    sort: str = "-created_at",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Analysis], int]:
    """One page of analyses matching every given filter, with the total count.

    Rows come without their input, snapshot and result: a list shows summaries.
    """
    stmt = select(Analysis)
    if q:
        pattern = f"%{_escape_like(q.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Analysis.name).like(pattern, escape="\\"),
                func.lower(Analysis.description).like(pattern, escape="\\"),
            )
        )
    for tag in tags:
        stmt = stmt.where(_json_list_has(Analysis.tags, tag))
    if api_model:
        stmt = stmt.where(_json_list_has(Analysis.api_models, api_model))
    if open_model:
        stmt = stmt.where(_json_list_has(Analysis.open_models, open_model))
    if created_after is not None:
        stmt = stmt.where(Analysis.created_at >= _aware(created_after))
    if created_before is not None:
        stmt = stmt.where(Analysis.created_at < _aware(created_before))
    if parent_id is not None:
        stmt = stmt.where(Analysis.parent_id == parent_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0

    field = sort.lstrip("-")
    if field not in SORT_COLUMNS:
        raise InvalidInputError(
            f"cannot sort by {field!r}; choose one of {', '.join(SORT_COLUMNS)}",
            allowed=list(SORT_COLUMNS),
        )
    column = SORT_COLUMNS[field]
    ordering = column.desc() if sort.startswith("-") else column.asc()
    stmt = (
        stmt.options(
            defer(Analysis.input, raiseload=True),
            defer(Analysis.result, raiseload=True),
            defer(Analysis.catalog_snapshot, raiseload=True),
        )
        # NULLs last either way, then id so that pages never overlap.
        .order_by(column.is_(None), ordering, Analysis.id)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt).all()), total


def _json_list_has(column: Any, value: str) -> ColumnElement[bool]:
    # Portable containment for a JSON list of simple strings: both backends store the list as
    # JSON text, where every element appears in double quotes. Tags and slugs cannot contain
    # quotes or backslashes (their patterns forbid them), so `"value"` matches whole elements.
    pattern = f'%"{_escape_like(value)}"%'
    return cast(column, Text).like(pattern, escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
    if save:
        begin_write(session)
        # Locked, so a concurrent delete cannot remove the parent under the revision.
        original = get_analysis(session, analysis_id, for_update=True)
    diff = diff_results(
        before=EstimateResponse.model_validate(original.result),
        after=result,
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
        )
        session.add(revision)
        session.flush()
    return RerunOutcome(original=original, result=result, diff=diff, revision=revision)


def diff_results(*, before: EstimateResponse, after: EstimateResponse) -> AnalysisDiff:
    """What moved between two results of the same request: catalog values, costs, break-evens."""
    catalog = _catalog_changes(before, after)
    options = _option_changes(before, after)
    be_before = {b.api_model: b.requests_per_day for b in before.break_evens}
    be_after = {b.api_model: b.requests_per_day for b in after.break_evens}
    break_evens = [
        _break_even_change(model, be_before.get(model), be_after.get(model))
        for model in sorted(be_before.keys() | be_after.keys())
    ]
    reference = before.break_even.api_model if before.break_even else None
    break_even = next((b for b in break_evens if b.api_model == reference), None)
    unchanged = (
        not catalog
        and all(o.status == "both" and o.change_usd == 0 for o in options)
        and all(
            b.requests_per_day_before == b.requests_per_day_after
            and b.api_model in be_before
            and b.api_model in be_after
            for b in break_evens
        )
    )
    return AnalysisDiff(
        catalog_version_before=before.assumptions.catalog_version,
        catalog_version_after=after.assumptions.catalog_version,
        estimator_version_before=before.assumptions.estimator_version,
        estimator_version_after=after.assumptions.estimator_version,
        unchanged=unchanged,
        catalog_changes=catalog,
        options=options,
        cheapest_before=before.options[0].label if before.options else None,
        cheapest_after=after.options[0].label if after.options else None,
        break_even=break_even,
        break_evens=break_evens,
    )


def _by_slug(entries: Iterable[Mapping[str, object]]) -> dict[str, Mapping[str, object]]:
    return {str(e.get("slug")): e for e in entries}


def _catalog_changes(before: EstimateResponse, after: EstimateResponse) -> list[CatalogValueChange]:
    changes: list[CatalogValueChange] = []
    for attribute, kind in SNAPSHOT_KINDS.items():
        old = _by_slug(getattr(before.assumptions, attribute))
        new = _by_slug(getattr(after.assumptions, attribute))
        for slug in sorted(old.keys() | new.keys()):
            if slug not in new:
                changes.append(_entry_change(kind, slug, "removed"))
            elif slug not in old:
                changes.append(_entry_change(kind, slug, "added"))
            else:
                for field in sorted(old[slug].keys() | new[slug].keys()):
                    if field in HISTORY_FIELDS:
                        continue
                    a, b = old[slug].get(field), new[slug].get(field)
                    if a != b:
                        change, share = _numeric_change(a, b)
                        changes.append(
                            CatalogValueChange(
                                kind=kind,
                                slug=slug,
                                status="changed",
                                field=field,
                                before=a,
                                after=b,
                                change=change,
                                change_share=share,
                            )
                        )
    return changes


def _entry_change(kind: str, slug: str, status: str) -> CatalogValueChange:
    return CatalogValueChange.model_validate(
        {"kind": kind, "slug": slug, "status": status, "field": None}
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _numeric_change(before: object, after: object) -> tuple[float | None, float | None]:
    a, b = _number(before), _number(after)
    if a is None or b is None:
        return None, None
    return b - a, ((b - a) / a if a != 0 else None)


def _option_key(option: Any) -> str:
    # Option ids number candidates in the order the catalog lists them, which can shift between
    # runs; the label names the model, GPU, parallelism, precision and purchase mode, so it
    # identifies the same option across runs.
    return str(option.label)


def _option_changes(before: EstimateResponse, after: EstimateResponse) -> list[OptionCostChange]:
    old = {_option_key(o): (rank, o) for rank, o in enumerate(before.options, start=1)}
    new = {_option_key(o): (rank, o) for rank, o in enumerate(after.options, start=1)}
    rows: list[OptionCostChange] = []
    for key in old.keys() | new.keys():
        rank_a, a = old.get(key, (None, None))
        rank_b, b = new.get(key, (None, None))
        cost_a = a.monthly_cost_usd if a is not None else None
        cost_b = b.monthly_cost_usd if b is not None else None
        change, share = _numeric_change(cost_a, cost_b)
        either = b if b is not None else a
        assert either is not None  # the key came from one of the two
        rows.append(
            OptionCostChange(
                label=key,
                kind=either.kind,
                status="both" if a and b else ("only_before" if a else "only_after"),
                option_id_before=a.id if a else None,
                option_id_after=b.id if b else None,
                monthly_cost_usd_before=cost_a,
                monthly_cost_usd_after=cost_b,
                change_usd=change,
                change_share=share,
                rank_before=rank_a,
                rank_after=rank_b,
            )
        )
    rows.sort(
        key=lambda r: (
            r.rank_after is None,
            r.rank_after or 0,
            r.rank_before or 0,
            r.label,
        )
    )
    return rows


def _break_even_change(
    api_model: str, before: float | None, after: float | None
) -> BreakEvenChange:
    change, share = _numeric_change(before, after)
    return BreakEvenChange(
        api_model=api_model,
        requests_per_day_before=before,
        requests_per_day_after=after,
        change_requests_per_day=change,
        change_share=share,
    )


# --- compare and export -----------------------------------------------------------------------


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
    table: dict[str, ComparisonRow] = {}
    for column, result in enumerate(results):
        for option in result.options:
            key = _option_key(option)
            if key not in table:
                table[key] = ComparisonRow(
                    label=option.label,
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


CSV_COLUMNS = (
    "rank",
    "option_id",
    "kind",
    "label",
    "monthly_cost_usd",
    "usd_per_million_tokens",
    "api_model",
    "open_model",
    "gpu",
    "tensor_parallel",
    "precision",
    "purchase_mode",
    "offering",
    "gpus",
    "replicas",
    "self_hosted_request_share",
)


def export_csv(result: EstimateResponse) -> str:
    """One row per option, cheapest first, with each cost component as a `breakdown_` column."""
    components = sorted({name for o in result.options for name in o.breakdown})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, *(f"breakdown_{c}_usd" for c in components)])
    for rank, option in enumerate(result.options, start=1):
        fleet = option.fleet
        writer.writerow(
            [
                rank,
                _cell(option.id),
                option.kind,
                _cell(option.label),
                option.monthly_cost_usd,
                _blank(option.usd_per_million_tokens),
                _cell(option.api_model or ""),
                _cell(fleet.open_model if fleet else ""),
                _cell(fleet.gpu if fleet else ""),
                fleet.tensor_parallel if fleet else "",
                fleet.precision if fleet else "",
                fleet.purchase_mode if fleet else "",
                _cell((fleet.offering or "") if fleet else ""),
                fleet.gpus if fleet else "",
                fleet.replicas if fleet else "",
                option.self_hosted_request_share,
                *(_blank(option.breakdown.get(c)) for c in components),
            ]
        )
    return out.getvalue()


def _blank(value: float | None) -> object:
    return "" if value is None else value


def _cell(text: str) -> str:
    # Spreadsheets run cells that start with these as formulas (CSV injection, OWASP).
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text
