"""Portable column types. Money is decided here, once: integer nano-dollars.

Binary floats cannot hold prices such as $0.075 exactly, and SQLite has no exact decimal type,
so every amount of money is stored as a 64-bit integer count of 1e-9 USD and read back as
`Decimal`. That covers prices to nine decimal places and amounts up to about $9.2 billion.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

NANOS_PER_USD = Decimal(1_000_000_000)


class ExactDecimal(TypeDecorator[Decimal]):
    """A decimal with at most nine places, stored exactly as an integer count of 1e-9."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        nanos = Decimal(value) * NANOS_PER_USD
        if nanos != nanos.to_integral_value():
            raise ValueError(f"{value} has more than 9 decimal places")
        return int(nanos)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / NANOS_PER_USD).normalize()


class Money(ExactDecimal):
    """USD amount stored exactly as integer nano-dollars."""

    cache_ok = True


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)  # the driver's contract, not input
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
