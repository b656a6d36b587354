"""What moved between two estimate results (re-runs), and results as CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from app.schemas.analyses import (
    AnalysisDiff,
    BreakEvenChange,
    CatalogValueChange,
    OptionCostChange,
    PlanCostChange,
)
from app.schemas.estimates import EstimateResponse, OptionOut
from app.schemas.plans import PlanResponse
from app.services import decisions

#: Catalog kinds in a snapshot, by the `kind` name used in diffs.
SNAPSHOT_KINDS: dict[str, str] = {
    "api_models": "api_model",
    "open_models": "open_model",
    "gpus": "gpu",
    "offerings": "offering",
}
#: Snapshot fields that record where a row sits in the catalog history, not a price or spec.
HISTORY_FIELDS = frozenset({"valid_from_version", "valid_to_version", "id"})


def diff_results(
    *,
    before: EstimateResponse,
    after: EstimateResponse,
    plan_before: PlanResponse | None = None,
    plan_after: PlanResponse | None = None,
) -> AnalysisDiff:
    """What moved between two results of the same request: catalog values, costs, break-evens
    and the procurement plan's cost (the given plans, else the estimates' own `plan`)."""
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
    ranges = decisions.range_changes(before.ranges, after.ranges)
    break_even_ranges = decisions.break_even_range_changes(before.ranges, after.ranges)
    plan_before = plan_before or before.plan
    plan_after = plan_after or after.plan
    plan = None
    if plan_before is not None and plan_after is not None:
        plan = plan_change(plan_before, plan_after)
    unchanged = (
        not catalog
        and all(o.status == "both" and o.change_usd == 0 for o in options)
        and all(
            r.monthly_cost_usd_before == r.monthly_cost_usd_after
            and r.probability_cheapest_change == 0
            for r in ranges
        )
        and all(b.before == b.after for b in break_even_ranges)
        and all(
            b.requests_per_day_before == b.requests_per_day_after
            and b.api_model in be_before
            and b.api_model in be_after
            for b in break_evens
        )
        and (plan is None or plan.change_usd == 0)
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
        ranges=ranges,
        break_even_ranges=break_even_ranges,
        plan=plan,
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


def option_identity(option: OptionOut) -> tuple[object, ...]:
    """What matches one option across runs: its structured key (labels are for people and
    may change). Results saved before options had keys fall back to the label."""
    if option.key is not None:
        return option.key.identity()
    return ("label", option.label)


def _option_changes(before: EstimateResponse, after: EstimateResponse) -> list[OptionCostChange]:
    old = {option_identity(o): (rank, o) for rank, o in enumerate(before.options, start=1)}
    new = {option_identity(o): (rank, o) for rank, o in enumerate(after.options, start=1)}
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
                label=either.label,
                key=either.key,
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


def export_csv(result: EstimateResponse, plan: PlanResponse | None = None) -> str:
    """One row per option, cheapest first, with each cost component as a `breakdown_` column.
    With a procurement plan (the analysis's, else the estimate's own `plan`), then a row for
    the plan (kind `plan`) and one per plan line (kind `plan_line`, id `plan:<n>`)."""
    plan = plan or result.plan
    names = {name for o in result.options for name in o.breakdown}
    if plan is not None:
        names |= set(plan.breakdown) | {name for line in plan.lines for name in line.breakdown}
    components = sorted(names)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, *(f"breakdown_{c}_usd" for c in components)])
    for rank, option in enumerate(result.options, start=1):
        writer.writerow([*_option_cells(rank, option), *_breakdown(option.breakdown, components)])
    if plan is not None:
        writer.writerows(_plan_rows(plan, components))
    return out.getvalue()


def _option_cells(rank: int, option: OptionOut) -> list[object]:
    fleet = option.fleet
    return [
        rank,
        _cell(option.id),
        option.kind,
        _cell(option.label),
        _cents(option.monthly_cost_usd),
        _blank(option.usd_per_million_tokens, places=4),
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
    ]


def _breakdown(breakdown: Mapping[str, float], components: Iterable[str]) -> list[str]:
    return [_blank(breakdown.get(c)) for c in components]


def _plan_rows(plan: PlanResponse, components: Sequence[str]) -> list[list[object]]:
    """The plan as a whole (its lines, staff and API overflow), then each line: what to buy,
    reserve or rent, with its share of the day's requests."""
    volume = plan.requests_per_day
    total: list[object] = [
        "",
        "plan",
        "plan",
        "Procurement plan (mixed fleet)",
        _cents(plan.monthly_cost_usd),
        "",
        _cell(plan.api_overflow_model or ""),
        *([""] * 6),
        sum(line.gpus for line in plan.lines),
        sum(line.replicas for line in plan.lines),
        1 - plan.api_requests_per_day / volume if volume else "",
        *_breakdown(plan.breakdown, components),
    ]
    rows = [total]
    for number, line in enumerate(plan.lines, start=1):
        served = sum(line.requests_per_day_by_bucket)
        rows.append(
            [
                "",
                f"plan:{number}",
                "plan_line",
                _cell(line.label),
                _cents(line.monthly_cost_usd),
                "",
                "",
                _cell(line.open_model),
                _cell(line.gpu),
                line.tensor_parallel,
                line.precision,
                line.purchase_mode,
                _cell(line.offering or ""),
                line.gpus,
                line.replicas,
                served / volume if volume else "",
                *_breakdown(line.breakdown, components),
            ]
        )
    return rows


def _cents(value: float, places: int = 2) -> str:
    """Money as text with `places` decimals, half up, after dropping float noise (the core's
    182.62499999999997 is $182.625, so $182.63)."""
    exact = Decimal(repr(round(value, 9)))
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _blank(value: float | None, places: int = 2) -> str:
    return "" if value is None else _cents(value, places)


def _cell(text: str) -> str:
    # Spreadsheets run cells that start with these as formulas (CSV injection, OWASP).
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text
