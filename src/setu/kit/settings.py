"""Settings from the environment (prefix ``SETU_``), validated by pydantic."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SETU_", env_file=".env", extra="ignore")

    #: SQLAlchemy URL. Default: an embedded SQLite file under ./var/.
    database_url: str = "sqlite:///var/setu.db"
    #: Seconds a writer waits for a SQLite lock before giving up.
    sqlite_busy_timeout_s: float = 30.0
    host: str = "127.0.0.1"
    port: int = 8000
    #: Page size for lists when the caller does not ask for one.
    page_size: int = 50
    log_level: str = "INFO"

    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
