"""Shared Pydantic building blocks: bounded numbers, money, pages and problem details."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from app.core.aliases import MatchRule, NameKind

T = TypeVar("T")

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,199}$"

Slug = Annotated[
    str,
    Field(
        pattern=SLUG_PATTERN,
        min_length=1,
        max_length=200,
        description="Stable identifier: lower-case letters, digits, '.', '_' and '-'.",
        examples=["h100-sxm-80gb"],
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
#: A catalog entry as a request may name it: its slug, or a name people use for it.
CATALOG_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._:/+()-]{0,199}$"
CatalogName = Annotated[
    str,
    Field(
        pattern=CATALOG_NAME_PATTERN,
        min_length=1,
        max_length=200,
        description="Catalog slug, or a name people use for the entry (`gpt-4o`, `GPT-4o`, "
        "`h100`, `llama-4-maverick`), matched case-insensitively when it is unambiguous; the "
        "response lists every alias it resolved.",
        examples=["h100-sxm-80gb"],
    ),
]
ShortText = Annotated[str, Field(min_length=1, max_length=128)]
Source = Annotated[
    str,
    Field(
        min_length=3,
        max_length=4000,
        description="Where the values come from: a URL or a document name.",
    ),
]


def _iso_date_only(value: object) -> object:
    # Lax parsing would read a number as seconds since 1970; a catalog date must be written out.
    if isinstance(value, int | float):
        raise ValueError("give the date as an ISO 8601 string, e.g. 2026-11-30")
    return value


AsOf = Annotated[
    dt.date,
    BeforeValidator(_iso_date_only),
    Field(
        ge=dt.date(2000, 1, 1),
        le=dt.date(2100, 1, 1),
        description="Date the source's values were in effect or published (ISO 8601).",
    ),
]


def _decimal_to_json(value: Decimal) -> float:
    return float(value)


_AsJsonNumber = PlainSerializer(_decimal_to_json, return_type=float, when_used="json")


def _exact(hi: int, description: str, string_pattern: str | None = None) -> Any:
    """Bounds and schema of an exact decimal in [0, hi] with at most nine places.

    Clients may send a JSON number or, to avoid binary floats on their side, a decimal string.
    """
    digits = len(str(hi)) - 1
    pattern = string_pattern or rf"^(0|[1-9][0-9]{{0,{digits - 1}}})(\.[0-9]{{1,9}})?$"
    return (
        Field(
            ge=0,
            le=Decimal(hi),
            decimal_places=9,
            allow_inf_nan=False,
            description=description,
        ),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "number", "minimum": 0, "maximum": hi},
                    {"type": "string", "pattern": pattern},
                ],
                "description": description,
            },
            mode="validation",
        ),
        WithJsonSchema({"type": "number", "description": description}, mode="serialization"),
    )


# Exact, non-negative amounts with at most nine decimal places, sent as JSON numbers.
UsdPerHour = Annotated[Decimal, *_exact(100_000, "USD per instance-hour."), _AsJsonNumber]
UsdPerMtok = Annotated[Decimal, *_exact(100_000, "USD per million tokens."), _AsJsonNumber]
UsdPrice = Annotated[Decimal, *_exact(100_000_000, "USD."), _AsJsonNumber]
Fraction = Annotated[
    Decimal,
    *_exact(1, "A share between 0 and 1.", r"^(0(\.[0-9]{1,9})?|1(\.0{1,9})?)$"),
    _AsJsonNumber,
]


class InputModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class PatchModel(InputModel):
    """PATCH bodies: every field optional. Fields that may not be empty are typed without
    `None` but default to it, so an explicit `null` for them is a validation error while
    leaving them out keeps the current value."""


def unchanged(**kwargs: Any) -> Any:
    """Default of a PATCH field: when left out, the current value stays."""
    return Field(default=None, **kwargs)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total matching the filters."""

    items: list[T]
    total: int = Field(description="Number of items matching the filters, across all pages.")
    limit: int
    offset: int
    catalog_version: int | None = Field(
        default=None, description="Catalog version the page was read at (catalog lists only)."
    )


class FieldError(BaseModel):
    loc: str = Field(description="Where the bad value is, e.g. `body.memory_gb`.")
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI reference naming the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = Field(
        default=None,
        description="For validation problems: the bad fields (at most 20, each message cut "
        "to 200 characters).",
    )
    request_id: str | None = Field(
        default=None, description="The request's id (also in `X-Request-ID`), for the logs."
    )
    errors_total: int | None = Field(
        default=None, description="For validation problems: how many bad fields there were."
    )


class AliasResolvedOut(BaseModel):
    """A name in the request that was not a catalog slug, and the entry it resolved to."""

    requested: str = Field(description="The name as the request gave it.")
    resolved: str = Field(description="The catalog slug it resolved to.")
    kind: NameKind = Field(description="The catalog it was looked up in.")
    field: str = Field(description="Where in the request the name was given.")
    match: MatchRule = Field(
        description="The rule that decided; `first_party_*`: several providers sell the "
        "model and its own vendor was chosen."
    )
