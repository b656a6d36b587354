"""Saved analyses: an estimate's input, the catalog values it used and its result, kept."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from app.schemas.common import InputModel, Name, Page, PatchModel, ReadModel, Slug, unchanged
from app.schemas.decisions import BreakEvenRangeChange, RangeChange
from app.schemas.estimates import EstimateRequest, EstimateResponse, OptionKeyOut
from app.schemas.plans import PlanResponse, PlanSettingsIn

TAG_PATTERN = r"^[a-z0-9][a-z0-9._:-]{0,63}$"

Tag = Annotated[
    str,
    Field(
        pattern=TAG_PATTERN,
        min_length=1,
        max_length=64,
        description="Lower-case label: letters, digits, '.', '_', ':' and '-'.",
        examples=["q3-review"],
    ),
]


def _distinct(tags: list[str]) -> list[str]:
    # Order is the caller's; a repeated tag says nothing twice.
    return list(dict.fromkeys(tags))


def _written_instant(value: object) -> object:
    # Lax parsing would read a bare number as seconds since 1970; an instant must be written out.
    if isinstance(value, int | float) or (
        isinstance(value, str) and re.fullmatch(r"\s*[-+]?[0-9.eE+-]+\s*", value)
    ):
        raise ValueError("give an ISO 8601 date-time, e.g. 2026-11-30T12:00:00Z")
    return value


Instant = Annotated[dt.datetime, BeforeValidator(_written_instant)]
Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_distinct)]
Description = Annotated[str, Field(max_length=4000)]

AnalysisSort = Literal[
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "name",
    "-name",
    "cheapest_monthly_cost_usd",
    "-cheapest_monthly_cost_usd",
]


class AnalysisListQuery(BaseModel):
    """Query parameters of `GET /v1/analyses`: every given filter must match."""

    limit: int = Field(default=50, ge=1, le=500, description="Page size.")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="Items to skip.")
    q: str | None = Field(default=None, max_length=200, description="Case-insensitive text search.")
    tag: list[Tag] | None = Field(
        default=None, max_length=20, description="Has every one of these tags."
    )
    api_model: Slug | None = Field(default=None, description="Priced this API model.")
    open_model: Slug | None = Field(default=None, description="Considered this open model.")
    created_after: Instant | None = Field(
        default=None, description="Saved at or after this instant (ISO 8601)."
    )
    created_before: Instant | None = Field(
        default=None, description="Saved before this instant (ISO 8601)."
    )
    parent_id: uuid.UUID | None = Field(
        default=None, description="Revisions re-run from this analysis."
    )
    sort: AnalysisSort = Field(
        default="-created_at", description="Field to sort by, `-` first for descending."
    )


ChartName = Literal["cost-vs-volume", "breakdown", "projection", "tornado", "plan-mix"]
ChartFormat = Literal["svg", "png"]
ExportFormat = Literal["json", "csv"]


class AnalysisCreate(InputModel):
    """Run an estimate and keep it under a name."""

    name: Name
    description: Description = ""
    tags: Tags = Field(default_factory=list)
    input: EstimateRequest = Field(description="The estimate to run, as for `POST /v1/estimates`.")
    plan: PlanSettingsIn | None = Field(
        default=None,
        description="Also solve a procurement plan (`POST /v1/plans`) for the same input with "
        "these settings, and keep it with the analysis.",
    )


class AnalysisUpdate(PatchModel):
    """Rename, describe or re-tag an analysis. Its input and result never change."""

    name: Name = unchanged()
    description: Description = unchanged()
    tags: Tags = unchanged()


class AnalysisLinks(BaseModel):
    """Where to read this analysis in other forms (paths on this server)."""

    analysis: str
    report: str = Field(description="Readable HTML report with charts; prints cleanly.")
    export_json: str
    export_csv: str
    chart_cost_vs_volume: str
    chart_breakdown: str
    chart_projection: str
    chart_tornado: str
    chart_plan_mix: str | None = Field(
        default=None,
        # Present only for analyses saved with a plan, so every link given resolves.
        exclude_if=lambda value: value is None,
        description="GPUs of each plan line hour by hour (only for analyses with a plan).",
    )


class AnalysisSummary(ReadModel):
    """An analysis without its bulky input and result (list items)."""

    id: uuid.UUID
    name: str
    description: str
    tags: list[str]
    catalog_version: int = Field(description="Catalog version whose prices and specs were used.")
    estimator_version: str
    parent_id: uuid.UUID | None = Field(
        description="The analysis this one re-ran, when saved as a revision."
    )
    api_models: list[str] = Field(description="API models priced (catalog slugs).")
    open_models: list[str] = Field(description="Open models considered (catalog slugs).")
    cheapest_option: str | None = Field(description="Label of the cheapest feasible option.")
    cheapest_monthly_cost_usd: float | None
    created_at: dt.datetime
    updated_at: dt.datetime
    owner: str | None = Field(
        default=None, description="Principal whose key saved it; only it may change it."
    )
    team: str | None = Field(default=None, description="Team whose members may change it.")
    links: AnalysisLinks


class CatalogSnapshot(BaseModel):
    """The exact catalog entries (prices, specs, sources, dates) the estimate used."""

    catalog_version: int
    api_models: list[dict[str, object]]
    open_models: list[dict[str, object]]
    gpus: list[dict[str, object]]
    offerings: list[dict[str, object]]


class AnalysisRead(AnalysisSummary):
    input: EstimateRequest
    catalog_snapshot: CatalogSnapshot
    result: EstimateResponse
    plan: PlanSettingsIn | None = Field(default=None, description="Plan settings, if any.")
    plan_result: PlanResponse | None = Field(
        default=None, description="The procurement plan solved for the input, if asked for."
    )


class AnalysisPage(Page[AnalysisSummary]):
    pass


# --- re-run -----------------------------------------------------------------------------------


class CatalogValueChange(BaseModel):
    """One catalog entry that differs between the saved run and the re-run."""

    kind: Literal["api_model", "open_model", "gpu", "offering"]
    slug: str
    status: Literal["changed", "added", "removed"] = Field(
        description="`added`: used only by the re-run; `removed`: used only by the saved run."
    )
    field: str | None = Field(description="The value that moved (null for added/removed).")
    before: object | None = None
    after: object | None = None
    change: float | None = Field(default=None, description="after - before, for numbers.")
    change_share: float | None = Field(
        default=None, description="(after - before) / before, for non-zero numbers."
    )


class OptionCostChange(BaseModel):
    """One option's monthly cost, saved and re-run (matched by its key, not its label)."""

    label: str = Field(description="The option's label (the re-run's, when it has the option).")
    key: OptionKeyOut | None = Field(
        default=None, description="The option's structured key (null for old saved results)."
    )
    kind: str
    status: Literal["both", "only_before", "only_after"]
    option_id_before: str | None
    option_id_after: str | None
    monthly_cost_usd_before: float | None
    monthly_cost_usd_after: float | None
    change_usd: float | None
    change_share: float | None
    rank_before: int | None = Field(description="1 is the cheapest.")
    rank_after: int | None


class BreakEvenChange(BaseModel):
    """The volume at which self-hosting gets cheaper than one API model, saved and re-run."""

    api_model: str
    requests_per_day_before: float | None
    requests_per_day_after: float | None
    change_requests_per_day: float | None
    change_share: float | None


class PlanCostChange(BaseModel):
    """The procurement plan's monthly cost, saved and re-run."""

    monthly_cost_usd_before: float
    monthly_cost_usd_after: float
    change_usd: float
    change_share: float | None
    lines_before: list[str] = Field(description="Labels of the saved plan's lines.")
    lines_after: list[str] = Field(description="Labels of the re-run plan's lines.")


class AnalysisDiff(BaseModel):
    catalog_version_before: int
    catalog_version_after: int
    estimator_version_before: str
    estimator_version_after: str
    unchanged: bool = Field(description="True when no price, spec or cost moved.")
    catalog_changes: list[CatalogValueChange]
    options: list[OptionCostChange] = Field(description="Cheapest after the re-run first.")
    cheapest_before: str | None
    cheapest_after: str | None
    break_even: BreakEvenChange | None = Field(
        description="For the API model of the saved `break_even`."
    )
    break_evens: list[BreakEvenChange] = Field(description="Against every API model.")
    ranges: list[RangeChange] = Field(
        default_factory=list,
        description="Ranged options' P10/P50/P90 and probability of being cheapest (when the "
        "request asked for ranges).",
    )
    break_even_ranges: list[BreakEvenRangeChange] = Field(
        default_factory=list, description="Break-even ranges per quality tier."
    )
    plan: PlanCostChange | None = Field(
        default=None, description="The plan's monthly cost, saved and re-run (with a plan)."
    )


class AnalysisRerun(BaseModel):
    """The saved input priced with the current catalog, and what moved."""

    analysis_id: uuid.UUID
    result: EstimateResponse
    diff: AnalysisDiff
    revision: AnalysisRead | None = Field(
        description="The new analysis, when the re-run was saved (`save=true`)."
    )
    plan_result: PlanResponse | None = Field(
        default=None, description="The plan re-solved with the current catalog (with a plan)."
    )


# --- compare ----------------------------------------------------------------------------------


class ComparedAnalysis(BaseModel):
    id: uuid.UUID
    name: str
    created_at: dt.datetime
    catalog_version: int
    estimator_version: str
    requests_per_day: float
    tokens_per_month: float
    cheapest_option: str | None
    cheapest_monthly_cost_usd: float | None
    break_even_api_model: str | None
    break_even_requests_per_day: float | None
    plan_monthly_cost_usd: float | None = Field(
        default=None, description="Its procurement plan's cost, USD/month (null: no plan)."
    )
    plan_lines: list[str] = Field(default_factory=list, description="Its plan's line labels.")


class ComparisonRow(BaseModel):
    """One option across the compared analyses (matched by key); null where one lacks it."""

    label: str
    key: OptionKeyOut | None = Field(
        default=None, description="The option's structured key (null for old saved results)."
    )
    kind: str
    monthly_cost_usd: list[float | None] = Field(description="In the order of `analyses`.")
    usd_per_million_tokens: list[float | None]


class AnalysisComparison(BaseModel):
    analyses: list[ComparedAnalysis]
    rows: list[ComparisonRow] = Field(
        description="Every option in any analysis, by its cheapest cost across them; the "
        "procurement plans of analyses that have one are the row of kind `plan`."
    )
