"""`/v1/api-keys`: issue, list and revoke scoped API keys (needs the `keys:admin` scope)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path, Request, Response, status

from app.api import openapi_examples as ex
from app.api.deps import KeysAdminDep, SessionDep
from app.schemas.api_keys import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from app.services import api_keys as api_keys_service

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"], dependencies=[KeysAdminDep])

KeyId = Annotated[uuid.UUID, Path(description="The key's id (not its secret).")]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Issue an API key")
def create_api_key(
    session: SessionDep,
    body: Annotated[ApiKeyCreate, Body(openapi_examples=ex.API_KEY_CREATE)],
    response: Response,
) -> ApiKeyCreated:
    """The response is the only place the secret ever appears: store it now."""
    row, secret = api_keys_service.create_api_key(
        session, name=body.name, principal=body.principal, team=body.team, scopes=body.scopes
    )
    response.headers["Location"] = f"/v1/api-keys/{row.id}"
    response.headers["Cache-Control"] = "no-store"
    return ApiKeyCreated.model_validate(
        ApiKeyRead.model_validate(row).model_dump() | {"secret": secret}
    )


@router.get("", summary="List API keys")
def list_api_keys(session: SessionDep) -> list[ApiKeyRead]:
    """Every key, revoked ones included, without secrets."""
    return [ApiKeyRead.model_validate(row) for row in api_keys_service.list_api_keys(session)]


@router.delete("/{key_id}", summary="Revoke an API key")
def revoke_api_key(session: SessionDep, key_id: KeyId, request: Request) -> ApiKeyRead:
    """The key stops working at once on this worker, and within `API_KEY_CACHE_S` seconds on
    the others."""
    row = api_keys_service.revoke_api_key(session, key_id)
    request.app.state.key_cache.clear()
    return ApiKeyRead.model_validate(row)
