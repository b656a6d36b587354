"""Request and response blocks of `POST /v1/estimates` for decisions a manager can defend:
a quality bar, routing mixes, ranges (Monte Carlo) and what would change the answer.

Kept apart from `schemas/estimates.py`, which only adds one optional field per block.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from app.schemas.common import InputModel, Slug

MeasureName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        description="A quality measure: mmlu_pro, gpqa_diamond, livecodebench, arena_score, or "
        "a name of your own used in `scores`.",
    ),
]
ScoreValue = Annotated[float, Field(strict=True, ge=-1e6, le=1e6, allow_inf_nan=False)]


class QualityIn(InputModel):
    """Compare only models good enough for the job: as good as `match` (within `tolerance`),
    or at least `floor`, on `measure`. Models without a score on it do not qualify."""

    measure: MeasureName = Field(default="mmlu_pro", examples=["gpqa_diamond"])
    match: Slug | None = Field(
        default=None,
        description="Reference model (API or open-model slug) whose score sets the bar.",
        examples=["openai--gpt-4o"],
    )
    tolerance: Annotated[float, Field(strict=True, ge=0, le=1e6, allow_inf_nan=False)] = Field(
        default=0.0, description="How far below the reference's score still counts as equal."
    )
    floor: ScoreValue | None = Field(default=None, description="A fixed minimum score instead.")
    scores: dict[Slug, dict[MeasureName, ScoreValue]] = Field(
        default_factory=dict,
        max_length=500,
        description="Your own scores by model slug and measure; they override the catalog's.",
    )

    @model_validator(mode="after")
    def _one_bar(self) -> QualityIn:
        if (self.match is None) == (self.floor is None):
            raise ValueError("give exactly one of `match` or `floor`")
        return self


class RoutingIn(InputModel):
    """A share of requests a smaller model can serve: blends are priced as options."""

    small_model_share: Annotated[float, Field(strict=True, gt=0, lt=1, allow_inf_nan=False)] = (
        Field(description="Share of requests routed to the smaller model (0 < share < 1).")
    )


class FactorRangeIn(InputModel):
    """A triangular multiplier on a point value: lowest, 1 (most likely) and highest."""

    low: Annotated[float, Field(strict=True, gt=0, le=1, allow_inf_nan=False)]
    high: Annotated[float, Field(strict=True, ge=1, le=100, allow_inf_nan=False)]


class RangesIn(InputModel):
    """Monte Carlo over the uncertain inputs. Defaults are listed in `ranges.distributions`
    of the response; each can be overridden (low = high = 1 removes a spread)."""

    samples: Annotated[int, Field(strict=True, ge=1, le=20_000)] = Field(
        default=1000, description="Monte Carlo samples."
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=2**32 - 1)] = Field(
        default=0, description="Random seed: the same request and seed give the same ranges."
    )
    throughput_log_sigma: (
        Annotated[float, Field(strict=True, ge=0, le=3, allow_inf_nan=False)] | None
    ) = Field(
        default=None,
        description="Log-sigma of the throughput error (lognormal, one for every option); "
        "default: each option's own, from the performance model's P10-P90 error band of its "
        "regime (engine, precision class, unqueued serving).",
    )
    api_price: FactorRangeIn | None = Field(default=None, description="API price multiplier.")
    gpu_price: FactorRangeIn | None = Field(default=None, description="GPU price multiplier.")
    staff_cost: FactorRangeIn | None = Field(default=None, description="People cost multiplier.")
    volume: FactorRangeIn | None = Field(default=None, description="Traffic volume multiplier.")
    peak: FactorRangeIn | None = Field(default=None, description="Peak-to-average multiplier.")
    sensitivity: bool = Field(
        default=True, description="Also return the tornado and the what-would-change sentence."
    )


# --- response -------------------------------------------------------------------------------


class PercentilesOut(BaseModel):
    p10: float | None = Field(description="10th percentile (null: never, within the range).")
    p50: float | None = Field(description="Median.")
    p90: float | None = Field(description="90th percentile.")


class QualityVerdictOut(BaseModel):
    model: str = Field(description="API or open-model slug.")
    score: float | None = Field(description="Its score on the measure (null: none known).")
    meets_bar: bool = Field(description="True when it is good enough.")
    reason: str | None = Field(description="Why not (starts with below_quality).")


class TierBreakEvenOut(BaseModel):
    tier: Literal["equal_quality", "any_model"] = Field(
        description="equal_quality: only models meeting the bar; any_model: every model."
    )
    api_model: str = Field(description="API model the self-hosted fleets are compared with.")
    requests_per_day: float | None = Field(
        description="Volume above which self-hosting stays cheaper (null: never in range)."
    )
    range: PercentilesOut | None = Field(
        default=None, description="P10/P50/P90 of that volume (when ranges were asked for)."
    )
    share_of_samples_self_hosting_wins: float | None = Field(
        default=None, description="Share of samples where self-hosting wins within the range."
    )


class QualityOut(BaseModel):
    measure: str = Field(description="The measure the bar is on.")
    reference: str | None = Field(description="Reference model, when matching one.")
    threshold: float = Field(description="Lowest qualifying score.")
    verdicts: list[QualityVerdictOut] = Field(description="Every compared model's verdict.")
    break_evens: list[TierBreakEvenOut] = Field(description="Break-even per quality tier.")
    headline: str = Field(description="The break-even in one sentence, tiers named.")
    sources: list[dict[str, object]] = Field(
        description="Catalog quality scores of the judged models, with source and as_of "
        "(your own scores override them and are in the request)."
    )


class OptionRangeOut(BaseModel):
    option_id: str = Field(description="Option id (see `options`), or api:<slug>.")
    label: str = Field(description="Option label.")
    monthly_cost_usd: PercentilesOut = Field(description="USD per month.")
    usd_per_million_tokens: PercentilesOut = Field(description="USD per 10^6 tokens.")
    probability_cheapest: float = Field(description="Share of samples where it is cheapest.")


class RangesOut(BaseModel):
    samples: int = Field(description="Monte Carlo samples drawn.")
    seed: int = Field(description="Random seed used.")
    distributions: dict[str, str] = Field(description="Every distribution used, in words.")
    options: list[OptionRangeOut] = Field(
        description="API models and the cheapest self-hosted options of the compared tier."
    )
    break_evens: list[TierBreakEvenOut] = Field(description="Break-even ranges per tier.")


class TornadoBarOut(BaseModel):
    input: str = Field(description="The input moved, alone, to its low and high end.")
    low_factor: float = Field(description="Multiplier at the low end.")
    high_factor: float = Field(description="Multiplier at the high end.")
    cheapest_monthly_cost_usd_low: float = Field(description="Cheapest option's USD/month.")
    cheapest_monthly_cost_usd_high: float = Field(description="Cheapest option's USD/month.")
    break_even_requests_per_day_low: float | None = Field(description="Break-even, req/day.")
    break_even_requests_per_day_high: float | None = Field(description="Break-even, req/day.")


class SensitivityOut(BaseModel):
    tornado: list[TornadoBarOut] = Field(description="Largest swing in cheapest cost first.")
    answer: str = Field(description="What would have to be true for self-hosting to win.")


class MixPartOut(BaseModel):
    option_id: str = Field(description="api:<slug> or a self-hosted option id.")
    label: str = Field(description="What serves this part.")
    request_share: float = Field(description="Share of requests it serves.")
    monthly_cost_usd: float = Field(description="Its USD per month at that share.")


class RoutingMixOut(BaseModel):
    label: str = Field(description="small part + large part.")
    monthly_cost_usd: float = Field(description="USD per month (one team runs two fleets).")
    usd_per_million_tokens: float | None = Field(description="USD per 10^6 tokens.")
    parts: list[MixPartOut] = Field(description="The smaller and the larger model's part.")


class RoutingOut(BaseModel):
    small_model_share: float = Field(description="Share of requests on the smaller model.")
    mixes: list[RoutingMixOut] = Field(description="Cheapest mix per pairing, cheapest first.")


class RangeChange(BaseModel):
    """One option's range and chance of being cheapest, saved and re-run (matched by id)."""

    option_id: str
    label: str
    monthly_cost_usd_before: PercentilesOut | None
    monthly_cost_usd_after: PercentilesOut | None
    probability_cheapest_before: float | None
    probability_cheapest_after: float | None
    probability_cheapest_change: float | None = Field(description="After minus before.")


class BreakEvenRangeChange(BaseModel):
    """A tier's break-even range, saved and re-run."""

    tier: str
    api_model: str
    before: PercentilesOut | None
    after: PercentilesOut | None
