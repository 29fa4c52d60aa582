"""Engines and schema migrations for the MES store.

SQLite (the embedded default) gets WAL, ``synchronous=NORMAL``, a busy timeout and foreign keys on every
connection; PostgreSQL is used through psycopg 3 (``postgresql+psycopg://``). Nothing is created at
import time: :func:`create_engine` and :func:`upgrade_database` are called by the composition root.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from plantloop.kernel.errors import InvalidInput

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA wal_autocheckpoint=20000")
    cur.close()


def display_url(url: str) -> str:
    """``url`` fit for a console or a log: the password masked (``***``)."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def create_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get their parent directory created and the pragmas above. A URL
    SQLAlchemy cannot read, or one naming a driver that is not installed, is an :class:`InvalidInput`
    that shows the URL without its password."""
    return _checked(url, lambda sa_url: _engine(sa_url, **kwargs))


def foreign_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for a database plantloop reads but does not own (a legacy MES): the URL checked as
    :func:`create_engine` checks it, and nothing set on the database (no pragmas, no directories)."""
    return _checked(url, lambda sa_url: sa.create_engine(sa_url, **kwargs))


def _checked(url: str, build: Callable[[sa.URL], Engine]) -> Engine:
    try:
        sa_url = sa.make_url(url)
    except ArgumentError:  # its message repeats the URL, password and all
        raise _bad_url(url, "not a URL SQLAlchemy can read") from None
    try:
        sa_url.get_dialect()  # an unknown scheme fails here, not at the first query
        return build(sa_url)
    except NoSuchModuleError:
        raise _bad_url(url, f"no database dialect {sa_url.drivername!r}") from None
    except ModuleNotFoundError as exc:
        raise _bad_url(url, f"its driver {exc.name!r} is not installed") from None


def _bad_url(url: str, reason: str) -> InvalidInput:
    shown = display_url(url)
    return InvalidInput(
        f"cannot use the database URL {shown}: {reason} "
        "(expected sqlite:///path/to/mes.db or postgresql+psycopg://user@host/db)",
        url=shown,
    )


def _engine(sa_url: sa.URL, **kwargs: Any) -> Engine:
    if sa_url.get_backend_name() == "sqlite":
        database = sa_url.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        if in_memory:
            kwargs.setdefault("poolclass", StaticPool)
        else:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = sa.create_engine(sa_url, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(sa_url, **kwargs)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_database(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Bring the MES schema to ``revision`` (no alembic.ini needed)."""
    engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
