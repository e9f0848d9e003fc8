"""Settings from the environment (prefix ``SETU_``), validated by pydantic."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SETU_", env_file=".env", extra="ignore")

    #: SQLAlchemy URL. Default: an embedded SQLite file under ./var/.
    database_url: str = "sqlite:///var/setu.db"
    #: Seconds a write waits for the database's write lock (SQLite) or a row lock (PostgreSQL)
    #: before it gives up with 503 + Retry-After (SETU_WRITE_LOCK_TIMEOUT_S). Reads never wait (WAL).
    write_lock_timeout_s: float = 5.0
    host: str = "127.0.0.1"
    port: int = 8000
    #: Page size for lists when the caller does not ask for one.
    page_size: int = 50
    log_level: str = "INFO"
    #: Argon2id parameters (OWASP Password Storage minimum: t=2, m=19 MiB, p=1); raise on bigger
    #: servers: stored hashes are upgraded at the next login.
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    #: Web session lifetime and idle timeout, in minutes.
    session_minutes: int = 480
    session_idle_minutes: int = 60
    #: Failed logins before an account is locked, and for how long.
    lockout_failures: int = 5
    lockout_minutes: int = 15
    #: Login attempts allowed per client address per minute.
    login_rate_per_minute: int = 20
    #: Default lifetime of a personal API token, in days.
    token_days: int = 90
    #: Serve cookies with the Secure flag (turn off only for plain-HTTP local development).
    secure_cookies: bool = True
    #: Background job queue (huey): unset = an embedded SQLite queue in ``jobs.db`` next to a SQLite
    #: database (``var/jobs.db`` otherwise); ``sqlite:///path/jobs.db``; or ``redis://host:6379/0``.
    jobs_url: str | None = None
    #: Worker threads of the job consumer the server starts in-process (0: start none; run
    #: ``python -m setu.kit.jobs`` instead).
    jobs_workers: int = 2
    #: Seconds between a running job's heartbeats, and after which a silent running job is failed.
    jobs_heartbeat_s: float = 5.0
    jobs_stale_after_s: float = 60.0
    #: Seconds between the job consumer's runs of the periodic tasks (:func:`setu.kit.jobs.tick`:
    #: the SLA escalation sweep); 0: the consumer runs none (run ``setu aftersales escalate`` instead).
    jobs_tick_s: float = 60.0
    #: E-mail of notifications: the SMTP server (unset: no e-mail is sent, in-app notifications
    #: only), its port, the sender address, and seconds to wait for the server.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "setu@localhost"
    smtp_timeout_s: float = 10.0
    #: Folder of stored files (ticket attachments), and the largest attachment accepted (bytes).
    data_dir: str = "var/data"
    attachment_max_bytes: int = 10 << 20
    #: Hours an ``Idempotency-Key`` is remembered.
    idempotency_hours: int = 24
    #: Largest request body accepted (bytes; 413 above it), and for multipart uploads (file imports).
    max_body_bytes: int = 1 << 20
    max_upload_bytes: int = 64 << 20
    #: The party whose installation this is (3-letter code): it signs the audit chain's head.
    party: str | None = None
    #: The installation's Ed25519 private key (created 0600 on first use; keep it out of backups
    #: others can read). The public key is shown by `setu audit public-key`.
    audit_key_path: str = "var/audit_signing_key.pem"
    #: Hours between signed checkpoints of the chain's head issued by the job consumer's periodic
    #: task ``audit.checkpoint.sign`` (needs ``party``); 0: none (run ``setu audit checkpoint`` instead).
    audit_checkpoint_hours: float = 0.0
    #: Folder of each party's ledger signing key, ``<CODE>.pem`` (Ed25519, 0600; an installation
    #: holds only its own party's file); public keys of the other party as ``<CODE>.pub.pem``.
    ledger_key_dir: str = "var/ledger_keys"

    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
