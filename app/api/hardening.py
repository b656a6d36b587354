"""Checks and headers for hostile or odd HTTP input, as ASGI middleware.

* Text that no database can store (NUL characters, lone UTF-16 surrogates) in the URL or in a
  JSON string is a 422 validation problem before anything runs (PostgreSQL refuses NUL in text,
  and on SQLite `q=%00` used to match every row).
* HEAD is answered wherever GET is, without a body.
* Every response carries security headers; the content security policy forbids scripts except
  on the interactive documentation pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

from app.api.problems import problem_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: An escaped NUL or surrogate in JSON text (preceded by an even number of backslashes, so not
#: itself escaped), or a surrogate encoded directly in the bytes (which Python's JSON decoder
#: lets through). Only a body that matches is parsed to find out where.
_SUSPECT_JSON = re.compile(rb"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")
_SUSPECT_QUERY = re.compile(rb"%00|\x00")
_SURROGATES = re.compile("[\ud800-\udfff]")

#: The report and every API response: no scripts, no external anything; inline styles and data:
#: images are what the self-contained report and its SVG charts use.
STRICT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: Swagger UI and ReDoc (served from this package's own assets) need scripts, including the
#: small inline one that starts them, and ReDoc a blob: worker.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def bad_text(text: str) -> str | None:
    """Why `text` cannot be stored as text, or None."""
    if "\x00" in text:
        return "contains a NUL character (U+0000), which text fields cannot hold"
    if _SURROGATES.search(text):
        return "contains an unpaired UTF-16 surrogate, which is not valid Unicode"
    return None


def _bad_strings(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        reason = bad_text(value)
        if reason:
            yield ".".join(str(p) for p in loc), reason
    elif isinstance(value, dict):
        for key, item in value.items():
            reason = bad_text(key)
            if reason:
                yield ".".join(str(p) for p in (*loc, key)), f"key {reason}"
            yield from _bad_strings(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_strings(item, (*loc, index))


def json_text_errors(body: bytes, limit: int = 20) -> list[dict[str, str]]:
    """Where a JSON body holds text that cannot be stored (first `limit` places)."""
    # Substring tests run at memchr speed; the regular expression only when one hits.
    if (b"\\u" not in body and b"\xed" not in body) or not _SUSPECT_JSON.search(body):
        return []
    try:
        parsed = json.loads(body)
    except ValueError:
        return []  # not JSON at all: the route's own parsing reports that
    errors = []
    for loc, reason in _bad_strings(parsed, ("body",)):
        errors.append({"loc": loc, "message": reason, "type": "invalid_text"})
        if len(errors) >= limit:
            break
    return errors


#: No request this service takes comes near these (the largest estimate request has about 40
#: members); a body past them is refused before the validator spends time listing (say)
#: 50,000 unknown keys one by one.
MAX_JSON_MEMBERS = 200
MAX_JSON_ITEMS = 20_000
#: More colons than members plus every colon the text fields of a request can hold.
MAX_COLONS = 5_000


def _count_values(body: bytes) -> tuple[int, int]:
    """Object members and array items in a JSON document (0, 0 if it is not JSON)."""
    members = 0
    items = 0

    def count_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal members
        members += len(pairs)
        return dict(pairs)

    try:
        parsed = json.loads(body, object_pairs_hook=count_pairs)
    except ValueError:
        return 0, 0
    stack = [parsed]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            items += len(value)
            stack.extend(v for v in value if isinstance(v, list | dict))
        elif isinstance(value, dict):
            stack.extend(v for v in value.values() if isinstance(v, list | dict))
    return members, items


def json_shape_errors(body: bytes) -> list[dict[str, str]]:
    """A body with more object members or array items than any request needs."""
    # Every member has a colon and every further item a comma, so counting bytes (fast) bounds
    # both from above; only a body over a bound is parsed to count exactly, and one with more
    # colons than every text field of any request could hold is refused without parsing.
    colons = body.count(b":")
    if colons <= MAX_JSON_MEMBERS and body.count(b",") <= MAX_JSON_ITEMS:
        return []
    if colons > MAX_COLONS:
        message = (
            f"the body has {colons} colons, so up to {colons} object members; requests are "
            f"limited to {MAX_JSON_MEMBERS} members"
        )
        return [{"loc": "body", "message": message, "type": "too_many_values"}]
    members, items = _count_values(body)
    if members <= MAX_JSON_MEMBERS and items <= MAX_JSON_ITEMS:
        return []
    message = (
        f"the body has {members} object members and {items} array items; requests are "
        f"limited to {MAX_JSON_MEMBERS} and {MAX_JSON_ITEMS}"
    )
    return [{"loc": "body", "message": message, "type": "too_many_values"}]


def url_text_errors(scope: Scope) -> list[dict[str, str]]:
    errors = []
    if "\x00" in scope.get("path", ""):
        errors.append({"loc": "path", "message": "contains a NUL character", "type": "nul"})
    if _SUSPECT_QUERY.search(scope.get("query_string", b"")):
        errors.append({"loc": "query", "message": "contains a NUL character", "type": "nul"})
    return errors


def invalid_text_response(scope: Scope, errors: list[dict[str, str]]) -> Any:
    summary = "; ".join(f"{e['loc']}: {e['message']}" for e in errors[:5])
    return problem_response(
        status=422,
        title="Invalid request",
        detail=f"{len(errors)} invalid field(s): {summary}",
        type_slug="validation-error",
        instance=scope.get("path", ""),
        extra={"errors": errors, "errors_total": len(errors)},
    )


class HardeningMiddleware:
    """URL text checks, HEAD as a body-less GET, and security headers on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CSP if scope.get("path") in DOCS_PATHS else STRICT_CSP
        head = scope["method"] == "HEAD"

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-security-policy", policy.encode()))
                headers.extend(SECURITY_HEADERS)
                message["headers"] = headers
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        errors = url_text_errors(scope)
        if errors:
            await invalid_text_response(scope, errors)(scope, receive, secured_send)
            return
        if head:
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, secured_send)
