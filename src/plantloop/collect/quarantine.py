"""The quarantine: what failed validation, why, and what a data steward does about it.

The service API (what the CLI, the REST routes and the UI call)::

    q = QuarantineService(landing, plant)          # or CollectService(...).quarantine
    q.summary()                                    # [QuarantineGroup(source, reason, status, count, …)]
    q.list(source="mqtt:uns", status="open", reason="unknown_equipment", limit=50, offset=0)
    q.count(source=None, status="open")            # for paging
    q.get(42)                                      # QuarantinedRecord with the whole raw text
    q.discard([42, 43], note="test records", reviewer="ann")     # closes them; they never land
    q.replay()                                     # every open record, after a fix
    q.replay(ids=[42]) / q.replay(source="rest:erp")             # or some of them

Replay re-reads each open record's raw bytes with the parser that first read it (see
:mod:`plantloop.collect.parsers`), re-runs validation and lands what now passes — its record becomes
``released`` and the ledger moves it from quarantined to landed (or duplicates). What still fails stays
open with the new reason. A discarded record is closed for good and counted as quarantined forever, so
the ledger keeps reconciling. Statuses: ``open`` → ``released`` | ``discarded``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.contracts import SourceKind
from plantloop.collect.errors import InvalidSourceInput, QuarantineRecordClosed, QuarantineRecordNotFound
from plantloop.collect.landing import Landing
from plantloop.collect.parsers import ReplayParser, replay_parsers, table_parsers
from plantloop.collect.sql import TableParser, source_table
from plantloop.dataplatform.ingest.store import LandResult, OdsStore
from plantloop.mes.masterdata.schema import PlantDefinition

PREVIEW_CHARS = 300


class QuarantineStatus(StrEnum):
    OPEN = "open"
    RELEASED = "released"
    DISCARDED = "discarded"


@dataclass(frozen=True)
class QuarantinedRecord:
    quarantine_id: int
    source: str
    kind: str
    entity: str | None
    parser: str
    source_key: str | None
    reason: str
    message: str | None
    received_at: datetime
    status: str
    attempts: int
    preview: str
    raw_truncated: bool = False
    reviewed_by: str | None = None
    review_note: str | None = None
    #: The whole raw record as text (undecodable bytes escaped); only from :meth:`QuarantineService.get`.
    raw_text: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "received_at": self.received_at.isoformat()}


@dataclass(frozen=True)
class QuarantineGroup:
    source: str
    reason: str
    status: str
    count: int
    first_received_at: datetime
    last_received_at: datetime

    def to_dict(self) -> dict[str, object]:
        return {
            **self.__dict__,
            "first_received_at": self.first_received_at.isoformat(),
            "last_received_at": self.last_received_at.isoformat(),
        }


@dataclass
class ReplayReport:
    """Per source: how many records were released (landed or duplicate) and how many are still open."""

    results: dict[str, LandResult] = field(default_factory=dict)
    skipped: int = 0  # records whose parser is not known to this process

    @property
    def released(self) -> int:
        return sum(r.released for r in self.results.values())

    @property
    def still_open(self) -> int:
        return sum(r.quarantined for r in self.results.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "released": self.released,
            "still_open": self.still_open,
            "skipped": self.skipped,
            "sources": {
                s: {
                    "released": r.released,
                    "landed": r.landed,
                    "duplicates": r.duplicates,
                    "still_open": r.quarantined,
                }
                for s, r in self.results.items()
            },
        }


_COLUMNS = (
    "quarantine_id, source, kind, entity, parser, source_key, reason, message, received_at, status, "
    "attempts, raw, raw_truncated, reviewed_by, review_note"
)


def _record(row: Sequence[Any], *, full: bool = False) -> QuarantinedRecord:
    qid, source, kind, entity, parser, key, reason, message, at, status, attempts, raw, cut, by, note = row
    text = bytes(raw or b"").decode("utf-8", "backslashreplace")
    return QuarantinedRecord(
        int(qid),
        source,
        kind,
        entity,
        parser,
        key,
        reason,
        message,
        at,
        status,
        int(attempts),
        text[:PREVIEW_CHARS],
        bool(cut),
        by,
        note,
        text if full else None,
    )


def _where(source: str | None, status: str | None, reason: str | None) -> tuple[str, list[object]]:
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    for column, value in (("source", source), ("status", status), ("reason", reason)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(where), params


class QuarantineService:
    """List, inspect, discard and replay quarantined records of one ODS (see the module docstring)."""

    def __init__(
        self,
        landing: Landing,
        plant: PlantDefinition | None = None,
        *,
        parsers: Mapping[str, ReplayParser] | None = None,
        tables: Mapping[str, TableParser] | None = None,
    ) -> None:
        self.landing = landing
        self.store: OdsStore = landing.store
        self.parsers = dict(parsers if parsers is not None else (replay_parsers(plant) if plant else {}))
        self.tables = dict(tables if tables is not None else table_parsers())

    # ---- reading --------------------------------------------------------------------------------
    def summary(self) -> builtins.list[QuarantineGroup]:
        rows = self.store.query(
            "SELECT source, reason, status, count(*), min(received_at), max(received_at) "
            "FROM ingest_quarantine GROUP BY ALL ORDER BY source, status, count(*) DESC, reason"
        )
        return [QuarantineGroup(s, r, st, int(n), lo, hi) for s, r, st, n, lo, hi in rows]

    def list(
        self,
        *,
        source: str | None = None,
        status: str | None = QuarantineStatus.OPEN,
        reason: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[QuarantinedRecord]:
        where, params = _where(source, status, reason)
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM ingest_quarantine WHERE {where} ORDER BY quarantine_id LIMIT ? OFFSET ?",
            [*params, max(0, int(limit)), max(0, int(offset))],
        )
        return [_record(r) for r in rows]

    def count(
        self,
        *,
        source: str | None = None,
        status: str | None = QuarantineStatus.OPEN,
        reason: str | None = None,
    ) -> int:
        where, params = _where(source, status, reason)
        return int(self.store.query(f"SELECT count(*) FROM ingest_quarantine WHERE {where}", params)[0][0])

    def get(self, quarantine_id: int) -> QuarantinedRecord:
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM ingest_quarantine WHERE quarantine_id = ?", [int(quarantine_id)]
        )
        if not rows:
            raise QuarantineRecordNotFound(quarantine_id)
        return _record(rows[0], full=True)

    # ---- acting ---------------------------------------------------------------------------------
    def discard(self, ids: Sequence[int], *, note: str, reviewer: str) -> int:
        """Close open records for good (e.g. test records); returns how many. Closed ids are refused."""
        if not note.strip() or not reviewer.strip():
            raise InvalidSourceInput("a discard needs a note and the reviewer's name")
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return 0
        found = dict(
            self.store.query(
                "SELECT quarantine_id, status FROM ingest_quarantine WHERE quarantine_id IN "
                f"({', '.join('?' * len(wanted))})",
                wanted,
            )
        )
        for qid in wanted:
            if qid not in found:
                raise QuarantineRecordNotFound(qid)
            if found[qid] != QuarantineStatus.OPEN:
                raise QuarantineRecordClosed(qid, found[qid])
        self.store.query(
            "UPDATE ingest_quarantine SET status = 'discarded', reviewed_by = ?, review_note = ?, "
            f"reviewed_at = ? WHERE status = 'open' AND quarantine_id IN ({', '.join('?' * len(wanted))})",
            [reviewer[:200], note[:2000], self.store.clock.now(), *wanted],
        )
        return len(wanted)

    def replay(
        self,
        *,
        ids: Sequence[int] | None = None,
        source: str | None = None,
        reason: str | None = None,
    ) -> ReplayReport:
        """Replay open records (all, or the given ids / source / reason) after a fix."""
        where, params = _where(source, QuarantineStatus.OPEN, reason)
        if ids is not None:
            wanted = sorted({int(i) for i in ids})
            if not wanted:
                return ReplayReport()
            where += f" AND quarantine_id IN ({', '.join('?' * len(wanted))})"
            params += wanted
        rows = self.store.query(
            "SELECT quarantine_id, source, kind, parser, source_key, raw FROM ingest_quarantine "
            f"WHERE {where} ORDER BY quarantine_id",
            params,
        )
        report = ReplayReport()
        records: dict[tuple[str, str, str], list[tuple[int, str | None, bytes]]] = {}
        for qid, src, kind, parser, key, raw in rows:
            if parser not in self.parsers and parser not in self.tables:
                report.skipped += 1
                continue
            records.setdefault((src, kind, parser), []).append((int(qid), key, bytes(raw or b"")))
        for (src, kind, parser), group in records.items():
            result = self._replay_group(src, SourceKind(kind), parser, group)
            if src in report.results:
                report.results[src].add(result)
            else:
                report.results[src] = result
        return report

    def _replay_group(
        self, source: str, kind: SourceKind, parser: str, group: builtins.list[tuple[int, str | None, bytes]]
    ) -> LandResult:
        if parser in self.tables:  # batch sources: the same SQL parse as live ingestion
            ids, keys, raws = zip(*group, strict=True)
            batch = self.tables[parser](self.store, source, source_table(raws, keys, quarantine_ids=ids))
            return self.landing.land_arrow(batch, source=source, kind=kind, parser=parser, replay=True)
        candidates = CandidateBatch(parser=parser)
        for qid, key, raw in group:
            self.parsers[parser](candidates, source, key, raw, qid)
        return self.landing.land(candidates, source=source, kind=kind, replay=True)


# ---- the functions earlier callers use -----------------------------------------------------------
def list_quarantine(
    store: OdsStore, *, source: str | None = None, status: str | None = "open", limit: int = 100
) -> builtins.list[QuarantinedRecord]:
    return QuarantineService(Landing(store)).list(source=source, status=status, limit=limit)


def replay(
    landing: Landing, parsers: Mapping[str, ReplayParser], *, source: str | None = None
) -> dict[str, LandResult]:
    """Replay open quarantine rows (of ``source``, or all); returns the landing result per source."""
    return QuarantineService(landing, parsers=parsers).replay(source=source).results
