"""Small query helpers shared by the services."""

from __future__ import annotations


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern that uses backslash as its escape."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
