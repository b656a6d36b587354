"""Listing saved analyses: filters, sorting and pages over summaries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, cast, func, or_, select
from sqlalchemy.orm import Session, defer

from app.db.orm import Analysis
from app.db.queries import escape_like
from app.errors import InvalidInputError
from app.schemas.analyses import AnalysisListQuery

#: Sort keys of `list_analyses`, by the column they order.
SORT_COLUMNS: dict[str, Any] = {
    "created_at": Analysis.created_at,
    "updated_at": Analysis.updated_at,
    "name": Analysis.name,
    "cheapest_monthly_cost_usd": Analysis.cheapest_monthly_cost_usd,
}


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
