"""JSON answers that may come from a worker's response cache (app/services/response_cache.py),
with an RFC 9211 `Cache-Status` header saying which."""

from __future__ import annotations

from fastapi import Response

from app.services.response_cache import ResponseCache

#: Cache-Status of an answer served from the cache, and of one computed and stored.
CACHE_HIT = "llm-cost-estimator; hit"
CACHE_MISS = "llm-cost-estimator; fwd=miss; stored"
#: What the OpenAPI document says of the header.
CACHE_STATUS_HEADER = {
    "Cache-Status": {
        "description": "`llm-cost-estimator; hit` when the same request was answered from this "
        "worker's cache (the catalog unchanged since), `llm-cost-estimator; fwd=miss; stored` "
        "when computed; absent when the cache is off.",
        "schema": {"type": "string"},
    }
}


def json_answer(content: bytes, hit: bool, cache: ResponseCache | None) -> Response:
    headers = None
    if cache is not None and cache.enabled:
        headers = {"Cache-Status": CACHE_HIT if hit else CACHE_MISS}
    return Response(content, media_type="application/json", headers=headers)
