"""Application errors, independent of HTTP. `app.api.problems` renders them as RFC 9457."""

from __future__ import annotations


class AppError(Exception):
    """Base of every error the service reports to its callers on purpose."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFoundError(AppError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class ConflictError(AppError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class InvalidInputError(AppError):
    """Input that is well-formed but refers to things that do not exist or cannot be combined."""

    status = 422
    title = "Unprocessable input"
    type_slug = "invalid-input"


class UnauthenticatedError(AppError):
    status = 401
    title = "Authentication required"
    type_slug = "unauthenticated"


class ForbiddenError(AppError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class UnavailableError(AppError):
    status = 503
    title = "Service unavailable"
    type_slug = "not-ready"
