"""Shared Pydantic building blocks: bounded numbers, money, pages and problem details."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

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
ShortText = Annotated[str, Field(min_length=1, max_length=128)]
Source = Annotated[
    str,
    Field(
        min_length=3,
        max_length=4000,
        description="Where the values come from: a URL or a document name.",
    ),
]
AsOf = Annotated[
    dt.date,
    Field(
        ge=dt.date(2000, 1, 1),
        le=dt.date(2100, 1, 1),
        description="Date the source's values were in effect or published (ISO 8601).",
    ),
]


def _decimal_to_json(value: Decimal) -> float:
    return float(value)


_AsJsonNumber = PlainSerializer(_decimal_to_json, return_type=float, when_used="json")


def _exact(hi: str, description: str) -> Any:
    return Field(
        ge=0,
        le=Decimal(hi),
        decimal_places=9,
        allow_inf_nan=False,
        description=description,
    )


# Exact, non-negative amounts with at most nine decimal places, sent as JSON numbers.
UsdPerHour = Annotated[Decimal, _exact("100000", "USD per instance-hour."), _AsJsonNumber]
UsdPerMtok = Annotated[Decimal, _exact("100000", "USD per million tokens."), _AsJsonNumber]
UsdPrice = Annotated[Decimal, _exact("100000000", "USD."), _AsJsonNumber]
Fraction = Annotated[Decimal, _exact("1", "A share between 0 and 1."), _AsJsonNumber]


class InputModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class PatchModel(InputModel):
    """PATCH bodies: every field optional; `null` clears only the fields that may be empty."""

    _not_nullable: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check_nulls(self) -> PatchModel:
        cleared = [
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name in self._not_nullable
        ]
        if cleared:
            raise ValueError(f"these fields cannot be null: {', '.join(sorted(cleared))}")
        if not self.model_fields_set:
            raise ValueError("the patch changes nothing: give at least one field")
        return self


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
        default=None, description="For validation problems: every bad field."
    )
