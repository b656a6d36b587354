"""Saved analyses side by side, and how a saved plan moved on a re-run."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.orm import Analysis
from app.errors import InvalidInputError, NotFoundError
from app.schemas.analyses import (
    AnalysisComparison,
    ComparedAnalysis,
    ComparisonRow,
)
from app.schemas.estimates import EstimateResponse
from app.schemas.plans import PlanResponse
from app.services.analysis_diff import option_identity

COMPARE_MAX = 10


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
    plans = [saved_plan(row, result) for row, result in zip(ordered, results, strict=True)]
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
            plan_monthly_cost_usd=None if plan is None else plan.monthly_cost_usd,
            plan_lines=[] if plan is None else [line.label for line in plan.lines],
        )
        for row, result, plan in zip(ordered, results, plans, strict=True)
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
    if any(plan is not None for plan in plans):
        table[("plan",)] = _plan_row(plans, results)
    ordered_rows = sorted(
        table.values(),
        key=lambda r: (min(c for c in r.monthly_cost_usd if c is not None), r.label),
    )
    return AnalysisComparison(analyses=analyses, rows=ordered_rows)


def saved_plan(row: Analysis, result: EstimateResponse) -> PlanResponse | None:
    """The analysis's procurement plan: the one saved with `plan`, else the one its estimate
    asked for (`input.plan`), else none."""
    if row.plan_result is not None:
        return PlanResponse.model_validate(row.plan_result)
    return result.plan


def _plan_row(
    plans: Sequence[PlanResponse | None], results: Sequence[EstimateResponse]
) -> ComparisonRow:
    """The plans' costs as one more row of the table (null where an analysis has none)."""
    return ComparisonRow(
        label="Procurement plan (mixed fleet)",
        key=None,
        kind="plan",
        monthly_cost_usd=[None if p is None else p.monthly_cost_usd for p in plans],
        usd_per_million_tokens=[
            None
            if p is None or not r.tokens_per_month
            else p.monthly_cost_usd / r.tokens_per_month * 1e6
            for p, r in zip(plans, results, strict=True)
        ],
    )
