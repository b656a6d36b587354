"""Reading the genai-prices price model: the prices in effect on a date (dated and
time-of-day entries), exact Decimal values, and token-count tiers as long-context tiers.

The rules are described in `genai_import.py`.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

from genai_prices.types import (
    ConditionalPrice,
    ModelInfo,
    ModelPrice,
    StartDateConstraint,
    TieredPrices,
    TimeOfDateConstraint,
)

#: Prices are stored with at most this many decimal places (USD per Mtok, i.e. 1e-15 USD per
#: token): finer than any published price, and what the database's Decimal columns hold.
_MAX_DECIMAL_PLACES: Final = 9
_QUANTUM: Final = Decimal(1).scaleb(-_MAX_DECIMAL_PLACES)
_SECONDS_PER_DAY: Final = 86_400


def prices_in_effect(
    model: ModelInfo, as_of: datetime.date
) -> tuple[ModelPrice, datetime.datetime, datetime.date | None]:
    """Standard prices on `as_of`, an instant at which they apply, and their start date."""
    midnight = datetime.datetime.combine(as_of, datetime.time(0), tzinfo=datetime.UTC)
    if isinstance(model.prices, ModelPrice):
        return model.prices, midnight, None

    conditional: Sequence[ConditionalPrice] = model.prices
    # Cut the UTC day at every time-of-day boundary; within a piece the package picks one
    # entry, so asking it (ModelInfo.get_prices) at the piece's start is exact.
    cuts = {0, _SECONDS_PER_DAY}
    for entry in conditional:
        if isinstance(entry.constraint, TimeOfDateConstraint):
            for bound in (entry.constraint.start_time, entry.constraint.end_time):
                cuts.add(_utc_seconds_of_day(bound))
    ordered = sorted(cuts)
    seconds_by_entry: dict[int, int] = {}
    first_instant: dict[int, datetime.datetime] = {}
    for start_s, end_s in itertools.pairwise(ordered):
        instant = midnight + datetime.timedelta(seconds=start_s)
        chosen = model.get_prices(instant)
        index = next(i for i, entry in enumerate(conditional) if entry.prices is chosen)
        seconds_by_entry[index] = seconds_by_entry.get(index, 0) + end_s - start_s
        first_instant.setdefault(index, instant)
    # Longest share of the day; a tie goes to the later entry, which the package ranks higher.
    index = max(seconds_by_entry, key=lambda i: (seconds_by_entry[i], i))

    active_starts = [
        entry.constraint.start_date
        for entry in conditional
        if isinstance(entry.constraint, StartDateConstraint)
        and entry.constraint.start_date <= as_of
    ]
    return conditional[index].prices, first_instant[index], max(active_starts, default=None)


def _utc_seconds_of_day(value: datetime.time) -> int:
    if value.tzinfo is not None:
        offset = value.utcoffset() or datetime.timedelta(0)
        shifted = datetime.datetime.combine(datetime.date(2000, 1, 1), value.replace(tzinfo=None))
        value = (shifted - offset).time()
    return value.hour * 3600 + value.minute * 60 + value.second


Price = Decimal | TieredPrices


def price_value(prices: ModelPrice, key: str) -> Price | None:
    # ModelPrice keeps only the keys the data sets, as instance attributes.
    value = prices.__dict__.get(key)
    return value if isinstance(value, Decimal | TieredPrices) else None


def base_price(price: Price | None) -> Decimal | None:
    """The price below any long-context threshold, exact and rounded to 9 places."""
    if price is None:
        return None
    return exact(price.base if isinstance(price, TieredPrices) else price)


def exact(value: object) -> Decimal | None:
    # The package parses prices from strings into Decimal; str() keeps any other number type
    # from going through a binary float. Invalid values (negative, NaN) make the price unknown.
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite() or number < 0:
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_MAX_DECIMAL_PLACES:
        number = number.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    return number


def _price_above(price: Price | None, threshold: int) -> Decimal | None:
    """The price that applies once the prompt has more than `threshold` input tokens."""
    if not isinstance(price, TieredPrices):
        return base_price(price)
    applicable = price.base
    for tier in price.tiers:  # sorted ascending by the package
        if tier.start <= threshold:
            applicable = tier.price
    return exact(applicable)


def long_context_tiers(
    input_price: Price, output_price: Price, cached: Price | None
) -> list[dict[str, int | str | None]]:
    thresholds = sorted(
        {
            tier.start
            for price in (input_price, output_price, cached)
            if isinstance(price, TieredPrices)
            for tier in price.tiers
        }
    )
    tiers: list[dict[str, int | str | None]] = []
    for threshold in thresholds:
        tier_input = _price_above(input_price, threshold)
        if tier_input is None:
            continue
        tiers.append(
            {
                "above_input_tokens": threshold,
                "usd_per_mtok_input": str(tier_input),
                "usd_per_mtok_output": _str_or_none(_price_above(output_price, threshold)),
                "usd_per_mtok_cached_input": _str_or_none(_price_above(cached, threshold)),
            }
        )
    return tiers


def _str_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
