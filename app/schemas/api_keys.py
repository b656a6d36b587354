"""API keys: create (the secret is returned once), list and revoke."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import Field

from app.access import Scope
from app.schemas.common import InputModel, Name, ReadModel

PrincipalName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9@._:-]{0,199}$",
        description="Who the key acts for (a person or a service); owns what the key saves.",
        examples=["alice@example.com"],
    ),
]


class ApiKeyCreate(InputModel):
    name: Name = Field(description="What the key is for, e.g. `ci pipeline`.")
    principal: PrincipalName
    team: PrincipalName | None = Field(
        default=None, description="Members of the same team may change each other's analyses."
    )
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=len(Scope),
        description="What the key may do: `read`, `analyses:write` (save and change its own "
        "analyses), `analyses:admin` (change anyone's), `catalog:admin`, `keys:admin`.",
    )


class ApiKeyRead(ReadModel):
    id: uuid.UUID
    name: str
    principal: str
    team: str | None
    scopes: list[Scope]
    key_prefix: str = Field(description="The secret's first characters, to tell keys apart.")
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(
        description="The key to send as `Authorization: Bearer <secret>`. Shown only now: "
        "the service stores its SHA-256 hash, never the secret."
    )
