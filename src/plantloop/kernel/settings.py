"""Typed settings, read from the environment (prefix ``PLANTLOOP_``) or a ``.env`` file."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


class UserSpec(BaseModel):
    """An API user: an argon2 password hash and role names (see ``plantloop.api.security.ROLES``)."""

    password_hash: str
    roles: list[str] = Field(default_factory=lambda: ["viewer"])
    #: Row-level scope: the line ids this user may see; omitted (None) means the whole plant.
    lines: list[str] | None = None


class Settings(BaseSettings):
    """Everything configurable in one place. Defaults are the embedded single-process set-up."""

    model_config = SettingsConfigDict(env_prefix="PLANTLOOP_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the embedded databases live.")
    database_url: str | None = Field(
        default=None, description="MES store; default sqlite:///<data_dir>/mes.db (SQLite, WAL)."
    )
    warehouse_path: Path | None = Field(
        default=None, description="DuckDB file; default <data_dir>/warehouse.duckdb"
    )
    plant_file: Path = Field(default=_PACKAGE_DIR / "plants" / "reference.yaml")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: Demo mode creates the demo users (with the documented demo passwords). Never in production.
    demo: bool = False
    #: Signing key for API tokens. The default is for the demo only; set PLANTLOOP_SECRET_KEY in production.
    secret_key: str = "demo-only-insecure-key-change-me"
    token_ttl_s: int = 8 * 3600
    #: Login hardening: this many consecutive failures lock a user name for ``login_lockout_s`` seconds.
    login_max_failures: int = 5
    login_lockout_s: int = 15 * 60
    #: A browser session ends after this many seconds without activity (and after ``token_ttl_s`` anyway).
    session_idle_s: int = 2 * 3600
    #: API users by name, e.g.
    #: PLANTLOOP_USERS='{"ann": {"password_hash": "$argon2id$...", "roles": ["planner"]}}'.
    users: dict[str, UserSpec] = Field(default_factory=dict)
    #: Outgoing mail for scheduled reports and alert e-mails; no host: e-mail is off.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "plantloop@localhost"
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    locale: str = "en"
    #: Orders created with ``"split": true`` (``POST /work-orders``) become at most ``lot_max_lots`` equal
    #: sub-lots, none smaller than ``lot_min_qty`` units (``optimize/scheduling/lotsize.py``).
    lot_max_lots: int = Field(default=3, ge=1, le=100)
    lot_min_qty: int = Field(default=30, ge=1)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mes.db').as_posix()}"

    def resolved_warehouse_path(self) -> Path:
        return self.warehouse_path or (self.data_dir / "warehouse.duckdb")
