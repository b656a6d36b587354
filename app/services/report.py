"""The HTML report of a saved analysis: one self-contained page with inline CSS and SVG charts.

Nothing on the page loads from elsewhere (no CDN, fonts, scripts or images by URL), so it works
offline, prints the same everywhere, and can be saved as a file. Everything is escaped by Jinja2's
autoescape; only the SVG that matplotlib drew from numbers is inserted as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from app import __version__
from app.schemas.analyses import AnalysisRead, ChartName
from app.services.charts import TITLES, render_chart, render_plan_chart, svg_for_html

CATALOG_GROUPS: tuple[tuple[str, str], ...] = (
    ("api_models", "Hosted API prices"),
    ("open_models", "Open-weights models"),
    ("gpus", "GPUs"),
    ("offerings", "GPU cloud offerings"),
)
#: Fields shown in their own column, or that only say where a row sits in catalog history.
NOT_VALUES = frozenset({"slug", "source", "as_of", "valid_from_version", "valid_to_version", "id"})
CAPTIONS: dict[ChartName, str] = {
    "cost-vs-volume": "API options scale with tokens; the self-hosted line is the cheapest fleet "
    "at each volume, stepping up as replicas are added. Dashed red: the break-even volume.",
    "breakdown": "Each option's monthly cost split into its components (cheapest first).",
    "projection": "Monthly cost per option over the horizon, with the traffic growth assumed.",
    "tornado": "Each uncertain input moved alone to the low (blue) and high (orange) end of its "
    "range, everything else at its point value: how far the cheapest option's cost moves.",
}
PLAN_CAPTION = (
    "GPUs held by each plan line in each hour of the day; committed and owned lines hold the "
    "base all day, on-demand and spot lines follow the traffic."
)


@dataclass(frozen=True, slots=True)
class _Chart:
    name: str
    caption: str
    svg: Markup


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("app", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["usd"] = _usd
    env.filters["number"] = _number
    env.filters["top_costs"] = _top_costs
    return env


def _usd(value: float | None, places: int = 0) -> str:
    if value is None:
        return "–"
    return f"${value:,.{places}f}"


def _top_costs(breakdown: dict[str, float], count: int = 3) -> str:
    """The largest cost components, e.g. `staff $8,333, compute $808`."""
    largest = sorted(((usd, name) for name, usd in breakdown.items() if usd > 0), reverse=True)
    return ", ".join(f"{name.replace('_', ' ')} {_usd(usd)}" for usd, name in largest[:count])


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) if value else "–"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_text(v)}" for k, v in value.items()) if value else "–"
    return str(value)


def _rows(values: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key.replace("_", " "), _text(value)) for key, value in values.items()]


def _catalog_entry(entry: dict[str, Any]) -> dict[str, str]:
    return {
        "slug": str(entry.get("slug", "")),
        # Not "values": Jinja2 would find the dict's `values` method first.
        "values_used": "; ".join(
            f"{k.replace('_', ' ')} {_text(v)}"
            for k, v in entry.items()
            if k not in NOT_VALUES and v not in (None, [], "")
        ),
        "source": str(entry.get("source", "")),
        "as_of": str(entry.get("as_of", "")),
    }


#: Request blocks of the whole cost of building, shown with the inputs.
_WHOLE_COST_BLOCKS = ("team", "infrastructure", "time_to_production", "adaptation", "constraints")


def render_report(analysis: AnalysisRead) -> str:
    """The report page of a saved analysis, as HTML."""
    result = analysis.result
    charts = [
        _Chart(
            name=name,
            caption=f"{TITLES[name]}. {CAPTIONS[name]}",
            # Trusted markup: matplotlib's SVG output, labels in it escaped by matplotlib.
            svg=Markup(svg_for_html(render_chart(result, name, "svg"))),
        )
        for name in CAPTIONS
        if name != "tornado" or result.sensitivity is not None
    ]
    assumptions = result.assumptions
    request = analysis.input.model_dump(mode="json", exclude_none=True)
    inputs = [
        ("Workload (as entered)", _rows(request.get("workload", {}))),
        ("Workload (as modelled)", _rows(dict(assumptions.workload))),
        ("Costs", _rows(dict(assumptions.costs))),
        ("Sizing", _rows(dict(assumptions.sizing))),
        ("Self-hosting choices", _rows(request.get("self_hosting", {}))),
        (
            "Team, infrastructure, time to production, adaptation, constraints (as entered)",
            _rows({k: request[k] for k in _WHOLE_COST_BLOCKS if request.get(k)}),
        ),
    ]
    catalog = [
        {
            "title": title,
            "entries": [_catalog_entry(entry) for entry in getattr(assumptions, attribute)],
        }
        for attribute, title in CATALOG_GROUPS
        if getattr(assumptions, attribute)
    ]
    if result.quality is not None and result.quality.sources:
        catalog.append(
            {
                "title": "Model quality scores",
                "entries": [_catalog_entry(entry) for entry in result.quality.sources],
            }
        )
    # The plan saved with the analysis, else the one its estimate asked for.
    plan = analysis.plan_result or result.plan
    template = _environment().get_template("report.html.j2")
    return template.render(
        plan=plan,
        plan_chart=Markup(svg_for_html(render_plan_chart(plan, "svg"))) if plan else None,
        plan_caption=f"{TITLES['plan-mix']}. {PLAN_CAPTION}",
        a=analysis,
        r=result,
        best=result.options[0] if result.options else None,
        charts=charts,
        inputs=inputs,
        catalog=catalog,
        app_version=__version__,
    )
