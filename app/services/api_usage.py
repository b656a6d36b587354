"""Per-model usage defaults for hosted APIs that a price list does not carry: hidden reasoning
tokens billed as output, from `app/catalog_data/reasoning_tokens.csv` (each row sourced and
dated), and the prompt-cache write share of a workload."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from importlib.resources import files

#: Anthropic's prompt cache lives 5 minutes, refreshed on each use (docs.anthropic.com, "Prompt
#: caching", 2025); OpenAI's automatic cache is cleared after 5-10 minutes of inactivity
#: (platform.openai.com/docs/guides/prompt-caching). 5 minutes is the conservative lifetime.
DEFAULT_CACHE_TTL_MINUTES = 5.0
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class ReasoningDefault:
    slug_pattern: str
    tokens_per_request: float
    source: str
    as_of: str


@cache
def reasoning_defaults() -> tuple[ReasoningDefault, ...]:
    text = (files("app") / "catalog_data" / "reasoning_tokens.csv").read_text("utf-8")
    return tuple(
        ReasoningDefault(
            row["slug_pattern"],
            float(row["reasoning_tokens_per_request"]),
            row["source"],
            row["as_of"],
        )
        for row in csv.DictReader(io.StringIO(text))
    )


def default_reasoning_tokens(slug: str) -> ReasoningDefault | None:
    """The sourced default for an API model slug (first matching pattern), if it reasons."""
    return next((d for d in reasoning_defaults() if fnmatchcase(slug, d.slug_pattern)), None)


def cache_write_share(
    requests_per_day: float, distinct_prefixes: float, ttl_minutes: float
) -> float:
    """Share of cached prompt tokens written rather than read: each distinct prefix is written
    at most once per cache lifetime (so at most `distinct_prefixes x minutes per day / TTL`
    writes a day), and every other request reads it."""
    if requests_per_day <= 0:
        return 0.0
    writes_per_day = distinct_prefixes * MINUTES_PER_DAY / ttl_minutes
    return min(1.0, writes_per_day / requests_per_day)
