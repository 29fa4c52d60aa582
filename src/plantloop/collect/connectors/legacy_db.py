"""Legacy MES database: incremental pull by watermark of raw rows, with their original field names.

Each configured table is pulled in key order from the last landed key (``RecID`` > watermark); the new
watermark is committed in the same DuckDB transaction as the rows, so a crash repeats nothing and skips
nothing. Rows land as they are in ``ods_legacy__<table>`` (payload = the row, original names; local
timestamps as written) — mapping the fields to our vocabulary is governance's job. Only the event time is
interpreted here, from ``time_column`` in the configured ``timezone``. SQLite and PostgreSQL (SQLAlchemy).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.contracts import SourceKind
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.errors import SourceUnavailable
from plantloop.collect.landing import Landing
from plantloop.collect.timestamps import BadTimestamp, parse_timestamp
from plantloop.dataplatform.ingest.store import LandResult
from plantloop.kernel.ids import deterministic_id
from plantloop.mes.database import foreign_engine

log = logging.getLogger(__name__)
PARSER = "legacy.row"
EVENT_TYPE = "LegacyRowPulled"


@dataclass(frozen=True)
class LegacyTableConfig:
    """One foreign table: its increasing integer key and, optionally, its local event-time column."""

    table: str
    key_column: str = "RecID"
    time_column: str | None = "ReportTime"
    timezone: str = "UTC"
    schema: str | None = None


@dataclass(frozen=True)
class LegacySourceConfig:
    """A foreign database and the tables to pull from it, every ``poll_interval_s``."""

    url: str
    tables: tuple[LegacyTableConfig, ...]
    source: str = "legacy:mes"
    poll_interval_s: float = 60.0
    batch_size: int = 5000


@dataclass
class LegacyStats:
    pulls: int = 0
    offered: int = 0
    last_error: str | None = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def parse_legacy_row(
    batch: CandidateBatch,
    source: str,
    source_key: str | None,
    raw: bytes,
    quarantine_id: int | None = None,
    *,
    config: LegacyTableConfig | None = None,
    configs: Mapping[str, LegacyTableConfig] | None = None,
    pulled_at: datetime | None = None,
) -> None:
    """``raw`` = the row as JSON (original names); ``source_key`` = ``<table>#<key>``. A replay passes the
    tables' ``configs`` (by table name), so local times are read in the table's own time zone again."""
    table, _, key = (source_key or "#").partition("#")
    config = config or (configs or {}).get(table) or LegacyTableConfig(table)
    entity = table.lower()
    try:
        row = json.loads(raw)
        assert isinstance(row, dict)
    except (ValueError, AssertionError):
        batch.reject(
            R.MALFORMED,
            "row could not be read",
            source_key=source_key,
            raw=raw,
            entity=entity,
            quarantine_id=quarantine_id,
        )
        return
    occurred_at = pulled_at
    if config.time_column:
        try:
            occurred_at = parse_timestamp(row.get(config.time_column), naive_tz=ZoneInfo(config.timezone))
        except BadTimestamp as exc:
            batch.reject(
                R.BAD_TIMESTAMP,
                f"{config.time_column}: {exc}",
                source_key=source_key,
                raw=raw,
                entity=entity,
                quarantine_id=quarantine_id,
            )
            return
    if occurred_at is None:
        occurred_at = datetime.now().astimezone()
    batch.add(
        event_id=deterministic_id(source, table, key),
        entity=entity,
        type=EVENT_TYPE,
        occurred_at=occurred_at,
        recorded_at=pulled_at,
        payload_json=raw.decode(),
        source_key=source_key,
        raw=raw,
        subject=key,
        quarantine_id=quarantine_id,
    )


class LegacyDbPuller:
    """Pulls configured tables of a foreign database; ``source`` per table is ``<source>/<table>``."""

    def __init__(
        self,
        url: str,
        landing: Landing,
        tables: list[LegacyTableConfig],
        *,
        source: str = "legacy:mes",
        batch_size: int = 5000,
    ) -> None:
        self.engine = foreign_engine(url)
        self.landing = landing
        self.tables = tables
        self.source = source
        self.batch_size = batch_size
        self.stats = LegacyStats()
        self._reflected: dict[str, sa.Table] = {}

    def source_of(self, config: LegacyTableConfig) -> str:
        return f"{self.source}/{config.table}"

    def _table(self, config: LegacyTableConfig) -> sa.Table:
        if config.table not in self._reflected:
            self._reflected[config.table] = sa.Table(
                config.table, sa.MetaData(), schema=config.schema, autoload_with=self.engine
            )
        return self._reflected[config.table]

    def pull_once(self, config: LegacyTableConfig) -> LandResult | None:
        source = self.source_of(config)
        watermark = int(self.landing.store.checkpoint(source) or 0)
        try:
            table = self._table(config)
            key = table.c[config.key_column]
            query = sa.select(table).where(key > watermark).order_by(key).limit(self.batch_size)
            with self.engine.connect() as conn:
                rows = [dict(r._mapping) for r in conn.execute(query)]
        except (sa.exc.OperationalError, sa.exc.NoSuchTableError) as exc:
            raise SourceUnavailable(f"legacy database not readable: {exc}"[:300], source=source) from exc
        if not rows:
            return None
        batch = CandidateBatch(parser=PARSER)
        now = self.landing.store.clock.now()
        for row in rows:
            raw = json.dumps({k: _jsonable(v) for k, v in row.items()}, ensure_ascii=False).encode()
            parse_legacy_row(
                batch, source, f"{config.table}#{row[config.key_column]}", raw, config=config, pulled_at=now
            )
        last = int(rows[-1][config.key_column])
        return self.landing.land(batch, source=source, kind=SourceKind.LEGACY, checkpoint=str(last))

    def pull_all(self, *, on_batch: Callable[[str, int], None] | None = None) -> dict[str, int]:
        """Pull every table until no new rows; returns rows offered per source (``on_batch`` sees each
        landed batch: source, rows)."""
        offered: dict[str, int] = {}
        for config in self.tables:
            total = 0
            while (result := self.pull_once(config)) is not None:
                total += result.offered
                if on_batch is not None:
                    on_batch(self.source_of(config), result.offered)
            offered[self.source_of(config)] = total
        self.stats.pulls += 1
        self.stats.offered += sum(offered.values())
        return offered

    def run(self, stop: threading.Event, *, interval_s: float = 60.0) -> None:
        """Pull every ``interval_s`` until ``stop``; an unreachable database is retried next time."""
        while not stop.is_set():
            try:
                self.pull_all()
                self.stats.last_error = None
            except SourceUnavailable as exc:
                self.stats.last_error = exc.message
                log.warning("legacy pull failed: %s", exc.message)
            stop.wait(interval_s)

    @classmethod
    def from_config(cls, config: LegacySourceConfig, landing: Landing) -> LegacyDbPuller:
        return cls(
            config.url, landing, list(config.tables), source=config.source, batch_size=config.batch_size
        )

    def close(self) -> None:
        self.engine.dispose()
