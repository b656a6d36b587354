"""Core estimate results -> the `POST /v1/estimates` response schema (small mappers only).

Field names of the core results and the schemas are aligned, so most objects are copied by
`model_validate(..., from_attributes=True)`; what remains here is selection and ordering.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from app.core.breakeven_search import BreakEvenOutcome
from app.core.candidates import InfeasibleCandidate
from app.core.estimate_types import BreakEvenAnswer, EstimateResult
from app.core.options import CostOption, OptionKind
from app.schemas.estimates import (
    BreakEvenOut,
    CrossingOut,
    CurveOptionOut,
    CurvePoint,
    InfeasibleOut,
    OptionOut,
    ProjectionOut,
    ProjectionSeriesOut,
)
from app.schemas.whole_cost import OptionWholeCostOut, TeamOut


def finite_or_minus_one(value: float) -> float:
    """The schema's marker for "no value" in cost curves (kept for response compatibility)."""
    return value if math.isfinite(value) else -1.0


@dataclass(frozen=True, slots=True)
class RankedOptions:
    """The feasible options returned, how many there were, and the cheapest API model."""

    returned: list[OptionOut]
    total: int
    cheapest_api: str | None


def _requested(
    feasible: list[CostOption], api_models: Sequence[str], open_models: Sequence[str]
) -> list[tuple[CostOption, str]]:
    """Each requested API model's option and each requested open model's cheapest option."""
    out = [
        (o, "requested API model")
        for o in feasible
        if o.kind is OptionKind.API and o.api_model in set(api_models)
    ]
    for model in dict.fromkeys(open_models):
        best = next(
            (o for o in feasible if o.kind is OptionKind.SELF_HOSTED and o.key.open_model == model),
            None,
        )
        if best is not None:
            out.append((best, "cheapest option of a requested open model"))
    return out


#: The returned options validated in one call: a quarter cheaper than one `model_validate`
#: per option (fifty options, each with its fleet, key and whole cost).
_OPTIONS = TypeAdapter(list[OptionOut])
#: What `OptionOut` and `OptionWholeCostOut` read of a core option and its whole cost.
_OPTION_FIELDS = tuple(name for name in OptionOut.model_fields if hasattr(CostOption, name))
_WHOLE_FIELDS = tuple(OptionWholeCostOut.model_fields)


def _options_in(options: Sequence[CostOption]) -> list[dict[str, Any]]:
    """`options` as `OptionOut` reads them, each team already a `TeamOut`: options of the same
    fleet size share one core `Team`, and validating a team (lines, sums) was half the cost
    of an option, so each is validated once (the same numbers, written out the same)."""
    teams: dict[int, TeamOut] = {}
    inputs = []
    for option in options:
        values = {name: getattr(option, name) for name in _OPTION_FIELDS}
        whole = option.whole_cost
        if whole is not None:
            parts = {name: getattr(whole, name) for name in _WHOLE_FIELDS}
            team = whole.team
            if team is not None:
                if id(team) not in teams:
                    teams[id(team)] = TeamOut.model_validate(team)
                parts["team"] = teams[id(team)]
            values["whole_cost"] = parts
        inputs.append(values)
    return inputs


def options_out(
    result: EstimateResult,
    max_options: int,
    *,
    api_models: Sequence[str] = (),
    open_models: Sequence[str] = (),
) -> RankedOptions:
    """The cheapest `max_options` feasible options, plus every requested API model and each
    requested open model's cheapest option wherever they rank; all feasible ones are counted."""
    feasible = [o for o in result.options if o.feasible]
    total = result.feasible_self_hosted_total + sum(
        1 for o in feasible if o.kind is not OptionKind.SELF_HOSTED
    )
    cheapest_api = next((o.api_model for o in feasible if o.kind is OptionKind.API), None)
    returned = _OPTIONS.validate_python(_options_in(feasible[:max_options]))
    shown = {o.id for o in returned}
    for option, why in _requested(feasible, api_models, open_models):
        if option.id not in shown:
            shown.add(option.id)
            extra = OptionOut.model_validate(option)
            returned.append(extra.model_copy(update={"included_because": why}))
    return RankedOptions(returned, total, cheapest_api)


def _unpriced_option(option: CostOption) -> InfeasibleCandidate:
    key = option.key
    return InfeasibleCandidate(
        label=option.label,
        api_model=key.api_model,
        gpu=key.gpu,
        reason=option.reason or "infeasible",
        open_model=key.open_model,
        tensor_parallel=key.tensor_parallel,
        precision=key.precision,
        purchase_mode=key.purchase_mode,
    )


def infeasible_out(
    unpriced: Iterable[InfeasibleCandidate], result: EstimateResult
) -> list[InfeasibleOut]:
    """What could not be priced, once per (model, GPU, TP, precision, mode): candidates that
    cannot run or be paid for, then options the core found infeasible."""
    every = [
        _unpriced_option(o) for o in result.options if o.kind is OptionKind.API and not o.feasible
    ]
    every += list(unpriced) + [
        _unpriced_option(o)
        for o in result.options
        if not o.feasible and o.kind is OptionKind.SELF_HOSTED
    ]
    seen: dict[tuple[object, ...], InfeasibleCandidate] = {}
    for item in every:
        identity = (item.api_model, item.open_model, item.gpu, item.tensor_parallel, item.precision)
        seen.setdefault((*identity, item.purchase_mode), item)
    return _INFEASIBLE.validate_python(list(seen.values()), from_attributes=True)


#: The infeasible list validated in one call: up to a hundred entries (decision blocks add
#: candidates), a third cheaper than one `model_validate` each.
_INFEASIBLE = TypeAdapter(list[InfeasibleOut])


def _volume(value: float) -> str:
    return f"{value:,.0f}"


def conclusion(answer: BreakEvenAnswer) -> str:
    """The break-even outcome in one sentence, with the range searched (req/day)."""
    result = answer.result
    api = result.api_slug
    lo, hi = result.searched_requests_per_day_min, result.searched_requests_per_day_max
    searched = f"searched {_volume(lo)} to {_volume(hi)} requests/day"
    above = result.self_hosting_cheaper_above_requests_per_day
    if answer.outcome is BreakEvenOutcome.SELF_HOSTING_CHEAPER_ABOVE and above is not None:
        return (
            f"Self-hosting is cheaper than {api} above {_volume(above)} requests/day ({searched})."
        )
    if answer.outcome is BreakEvenOutcome.SELF_HOSTING_CHEAPER_THROUGHOUT:
        return f"Self-hosting is cheaper than {api} at every volume ({searched})."
    if answer.outcome is BreakEvenOutcome.API_CHEAPER_AT_THE_TOP:
        last = result.crossings[-1].requests_per_day
        return (
            f"Self-hosting is cheaper than {api} only in the bands listed in `crossings`; above "
            f"{_volume(last)} requests/day {api} is cheaper again ({searched})."
        )
    return f"No crossing below {_volume(hi)} requests/day: {api} is cheaper ({searched})."


def _break_even_out(answer: BreakEvenAnswer) -> BreakEvenOut:
    result = answer.result
    throughout = answer.outcome is BreakEvenOutcome.SELF_HOSTING_CHEAPER_THROUGHOUT
    return BreakEvenOut(
        api_model=result.api_slug,
        requests_per_day=None if throughout else result.self_hosting_cheaper_above_requests_per_day,
        outcome=answer.outcome.value,
        conclusion=conclusion(answer),
        crossings=[CrossingOut.model_validate(c) for c in result.crossings],
        searched_requests_per_day_min=result.searched_requests_per_day_min,
        searched_requests_per_day_max=result.searched_requests_per_day_max,
        exact=result.exact,
    )


#: The curve's points validated in one call: a few hundred `CurvePoint(...)` constructions
#: cost several times more than one list validation of the same values.
_CURVE_POINTS = TypeAdapter(list[CurvePoint])


def _curve(answer: BreakEvenAnswer) -> list[CurvePoint]:
    result = answer.result
    return _CURVE_POINTS.validate_python(
        [
            {
                "requests_per_day": volume,
                "api_usd_per_month": api_usd,
                "self_hosted_usd_per_month": self_usd if option is not None else None,
                "self_hosted_option": option.id if option is not None else None,
            }
            for volume, api_usd, self_usd, option in zip(
                result.curve_requests_per_day,
                result.curve_api_usd_per_month,
                result.curve_self_hosted_usd_per_month,
                answer.curve_options,
                strict=True,
            )
        ]
    )


def break_evens_out(
    result: EstimateResult, reference: str | None
) -> tuple[list[BreakEvenOut], BreakEvenOut | None]:
    """Break-evens against every API model, and the one against `reference` with its curve
    and the options the curve names."""
    every, chosen = [], None
    for answer in result.break_evens:
        out = _break_even_out(answer)
        every.append(out)
        if answer.result.api_slug == reference:
            named = {o.id: o for o in answer.curve_options if o is not None}
            chosen = out.model_copy(
                update={
                    "curve": _curve(answer),
                    "curve_options": [CurveOptionOut.model_validate(o) for o in named.values()],
                }
            )
    return every, chosen


def projection_out(result: EstimateResult) -> ProjectionOut:
    labels = {o.id: o.label for o in result.options}
    return ProjectionOut(
        months=list(range(len(result.projection_requests_per_day))),
        requests_per_day=list(result.projection_requests_per_day),
        series=[
            ProjectionSeriesOut(
                option_id=s.option_id,
                label=labels.get(s.option_id, s.option_id),
                monthly_cost_usd=[finite_or_minus_one(v) for v in s.monthly_cost_usd],
                stranded_usd=None if s.stranded_usd is None else list(s.stranded_usd),
                cash_usd=None if s.cash_usd is None else list(s.cash_usd),
            )
            for s in result.projection
        ],
    )


def jsonable_spec(spec: Any) -> dict[str, object]:
    """A core spec dataclass as JSON-ready values (tuples as lists, enums as values, inf as
    null)."""
    out: dict[str, object] = {}
    for key, value in asdict(spec).items():
        if isinstance(value, float) and not math.isfinite(value):
            out[key] = None
        elif isinstance(value, tuple):
            out[key] = list(value)
        elif hasattr(value, "value"):
            out[key] = value.value
        else:
            out[key] = value
    return out


def _tier_numbers(tier: dict[str, Any]) -> dict[str, object]:
    """A long-context tier with its prices as numbers, as the catalog endpoints return them
    (the JSON column keeps them as exact decimal strings)."""
    return {
        key: float(value) if key.startswith("usd_") and isinstance(value, str) else value
        for key, value in tier.items()
    }


def catalog_dict(row: dict[str, Any]) -> dict[str, object]:
    """A catalog entry's columns as JSON-ready values (money as numbers, dates as ISO)."""
    out: dict[str, object] = {}
    for key, value in row.items():
        if key == "id":
            continue
        if isinstance(value, Decimal):
            out[key] = float(value)
        elif key == "long_context_tiers" and isinstance(value, list):
            out[key] = [_tier_numbers(tier) for tier in value]
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out
