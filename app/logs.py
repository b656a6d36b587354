"""Structured logs: one JSON object per line, with the request id of the request being served.

Every logger (the app's, uvicorn's, alembic's) goes through structlog's stdlib formatter, so the
output is uniform. At the default level no request parameters and no SQL are written: the access
log names the route template, not the URL, and database errors are logged by type only.
"""

from __future__ import annotations

import logging
import logging.config
import sys
import traceback
from contextvars import ContextVar
from typing import IO, Any

import structlog

#: The id of the request being served (from `X-Request-ID`, or generated).
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

#: Loggers that are chatty at INFO about things an operator does not need at every start.
#: (`prepare_database` logs the schema revision before and after migrating; alembic's own lines
#: would also come with every readiness probe.)
QUIET_LOGGERS = ("alembic.runtime.plugins", "alembic.runtime.migration", "uvicorn.access")


def _add_request_id(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def _drop_color(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    event.pop("color_message", None)  # uvicorn's ANSI-coloured copy of the message
    return event


def _hide_sql(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Database errors carry the statement (and, unless hidden, its parameters) in their
    message: outside DEBUG, keep the traceback's frames but not that message."""
    exc_info = event.get("exc_info")
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if not (isinstance(exc_info, tuple) and exc_info[1] is not None):
        return event
    from sqlalchemy.exc import SQLAlchemyError

    exc = exc_info[1]
    if isinstance(exc, SQLAlchemyError) and logging.getLogger().level > logging.DEBUG:
        frames = "".join(traceback.format_tb(exc.__traceback__))
        event.pop("exc_info")
        event["exception"] = (
            f"Traceback (most recent call last):\n{frames}{type(exc).__module__}."
            f"{type(exc).__name__}: (statement and parameters hidden; LOG_LEVEL=DEBUG shows them)"
        )
    return event


def configure_logging(
    level: str = "INFO", *, json: bool = True, stream: IO[str] | None = None
) -> None:
    """Route every stdlib logger through structlog to `stream` (default stderr); JSON lines
    unless `json` is False."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_color,
        _hide_sql,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": shared,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    }
    loggers: dict[str, dict[str, Any]] = {name: {"level": "WARNING"} for name in QUIET_LOGGERS}
    loggers.update(
        {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        }
    )
    loggers["uvicorn.access"]["level"] = "WARNING"
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"structured": formatter},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "structured"}},
            "root": {"handlers": ["stderr"], "level": level.upper()},
            "loggers": loggers,
        }
    )
    if stream is not None:
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(stream)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


#: A uvicorn `log_config` that leaves logging as `configure_logging` set it in each worker.
UVICORN_LOG_CONFIG: dict[str, Any] = {"version": 1, "disable_existing_loggers": False}
