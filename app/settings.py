"""Service settings, read from the environment (and an optional `.env` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = Field(default=1_000_000, ge=1_024, le=100_000_000)
    #: Apply migrations and seed the catalogs when the app starts.
    auto_migrate: bool = True
    log_level: str = "INFO"

    @field_validator("admin_api_keys", "read_api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'estimator.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
