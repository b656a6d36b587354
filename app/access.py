"""Who is calling and what they may do: principals and scopes, independent of HTTP.

An API key belongs to a principal (a person or a service) and optionally a team, and carries
scopes. Saved analyses belong to the principal that created them (and that principal's team):
others may read them but not change, delete or re-run-and-save over them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Scope(enum.StrEnum):
    """What a key may do. Scopes do not imply each other, except as `ADMIN_SCOPES` lists."""

    READ = "read"
    ANALYSES_WRITE = "analyses:write"
    #: Change or delete anyone's analyses.
    ANALYSES_ADMIN = "analyses:admin"
    CATALOG_ADMIN = "catalog:admin"
    KEYS_ADMIN = "keys:admin"


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)
#: The principal name of callers without a key.
ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a name, an optional team, and the scopes its key grants."""

    name: str
    scopes: frozenset[Scope]
    team: str | None = None
    authenticated: bool = False

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    def owns(self, *, owner: str | None, team: str | None) -> bool:
        """Whether this caller may change a record owned by `owner` (and `team`)."""
        if self.can(Scope.ANALYSES_ADMIN):
            return True
        if owner is not None and owner == self.name:
            return True
        return team is not None and team == self.team
