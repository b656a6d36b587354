"""Service settings, read from the environment (and an optional `.env` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.access import Scope

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    """Everything configurable about one running service."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    #: SQLAlchemy URL. Empty means an SQLite file in `data_dir`.
    database_url: str = ""
    data_dir: Path = DEFAULT_DATA_DIR
    #: Bearer keys allowed to change the catalogs (comma-separated in the environment).
    admin_api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Bearer keys allowed to read when `require_api_key_for_reads` is on (admin keys also work).
    read_api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    require_api_key_for_reads: bool = False
    #: Scopes of callers without a key (comma-separated). Unset: `read,analyses:write` while no
    #: admin key is configured (a local, open service), only `read` once one is, and nothing
    #: when `require_api_key_for_reads` is on (whatever this says).
    anonymous_scopes: Annotated[list[Scope] | None, NoDecode] = None
    #: How long a worker trusts a database key it has looked up (a revocation made through
    #: another worker takes at most this long to apply there).
    api_key_cache_s: float = Field(default=10.0, ge=0, le=3600)
    #: Largest request body accepted, in bytes. The largest real request (an estimate naming
    #: every model and GPU, or a catalog entry with long sources) is tens of kB; a smaller cap
    #: bounds what a hostile body costs to read and parse.
    max_body_bytes: int = Field(default=256 * 1024, ge=1_024, le=100_000_000)
    #: Largest body of a benchmark import (a whole vllm bench serve or GuideLLM result file).
    max_import_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1_024, le=1_000_000_000)
    #: Memory (MiB, per worker) for answers to repeated estimate and performance requests while
    #: the catalog is unchanged (app/services/response_cache.py); 0 turns the cache off. An
    #: estimate's answer is 0.1-0.5 MiB, so the default keeps a few hundred.
    answer_cache_mb: float = Field(default=64.0, ge=0, le=65_536)
    #: Apply migrations and seed the catalogs when the app starts.
    auto_migrate: bool = True
    log_level: str = "INFO"
    #: JSON log lines (one object per line); false gives plain text for reading at a terminal.
    log_json: bool = True
    #: OpenTelemetry spans for every request (app/tracing.py); off by default.
    tracing: bool = False
    #: Where spans go when tracing is on: stdout, an OTLP collector (OTEL_EXPORTER_OTLP_*), or
    #: nowhere (ids only).
    tracing_exporter: Literal["console", "otlp", "none"] = "console"

    @field_validator("admin_api_keys", "read_api_keys", "anonymous_scopes", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @property
    def resolved_anonymous_scopes(self) -> frozenset[Scope]:
        if self.require_api_key_for_reads:
            return frozenset()
        if self.anonymous_scopes is not None:
            return frozenset(self.anonymous_scopes)
        if self.admin_api_keys:
            return frozenset({Scope.READ})
        return frozenset({Scope.READ, Scope.ANALYSES_WRITE})

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'estimator.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
