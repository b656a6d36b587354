"""`GET /`: where the documentation and the schema are (not part of the API itself)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app import __version__

router = APIRouter()


class ServiceIndex(BaseModel):
    name: str
    version: str
    docs: str = Field(description="Interactive documentation (Swagger UI).")
    redoc: str = Field(description="Reference documentation (ReDoc).")
    openapi: str = Field(description="The OpenAPI document.")


@router.get("/", include_in_schema=False)
def service_index(request: Request) -> ServiceIndex:
    """Pointers for someone who opens the server's address in a browser or with curl."""
    app = request.app
    # FastAPI's own URLs, or the usual paths where the app serves the pages itself (as it does
    # to work offline: `docs_url=None` and its own routes).
    return ServiceIndex(
        name=app.title,
        version=__version__,
        docs=app.docs_url or "/docs",
        redoc=app.redoc_url or "/redoc",
        openapi=app.openapi_url or "/openapi.json",
    )
