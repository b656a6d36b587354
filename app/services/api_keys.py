"""API keys: issue, list, revoke, and resolve a presented secret to its principal.

Secrets are 256-bit random tokens; the database keeps only their SHA-256. Services flush, never
commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Principal, Scope
from app.db.orm import ApiKey
from app.errors import NotFoundError

SECRET_PREFIX = "lce_"
#: Characters of the secret kept in clear to tell keys apart (the prefix and 8 random ones).
VISIBLE_CHARS = len(SECRET_PREFIX) + 8
KNOWN_SCOPES = frozenset(scope.value for scope in Scope)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    session: Session,
    *,
    name: str,
    principal: str,
    scopes: Sequence[Scope],
    team: str | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key; returns the stored row and the secret (which is not stored)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        id=uuid.uuid4(),
        name=name,
        principal=principal,
        team=team,
        scopes=sorted({str(scope) for scope in scopes}),
        key_sha256=hash_secret(secret),
        key_prefix=secret[:VISIBLE_CHARS],
        created_at=dt.datetime.now(dt.UTC),
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return row, secret


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)).all())


def revoke_api_key(session: Session, key_id: uuid.UUID) -> ApiKey:
    """Mark a key revoked (kept for the record); revoking twice keeps the first instant."""
    row = session.get(ApiKey, key_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"no API key with id {key_id}", key_id=str(key_id))
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        session.flush()
    return row


def find_principal(session: Session, secret: str) -> Principal | None:
    """The principal of a live key with this secret, or None."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_sha256 == hash_secret(secret)))
    if row is None or row.revoked_at is not None:
        return None
    return Principal(
        name=row.principal,
        team=row.team,
        scopes=frozenset(Scope(s) for s in row.scopes if s in KNOWN_SCOPES),
        authenticated=True,
    )
