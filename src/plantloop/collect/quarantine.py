"""The quarantine: list what failed validation, and replay it after a fix (master data, a contract, a parser).

Replay re-reads each quarantined raw record with the parser that first read it, re-runs validation, and
lands what now passes (its quarantine row is marked ``released``); the rest stays, with the new reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.contracts import SourceKind
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest.store import LandResult, OdsStore

#: ``(batch, source, source_key, raw, quarantine_id)``: appends exactly one row (or one reject) to the batch.
ReplayParser = Callable[[CandidateBatch, str, str | None, bytes, int], None]


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

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "received_at": self.received_at.isoformat()}


def list_quarantine(
    store: OdsStore, *, source: str | None = None, status: str | None = "open", limit: int = 100
) -> list[QuarantinedRecord]:
    where, params = ["1 = 1"], []
    if source:
        where.append("source = ?")
        params.append(source)
    if status:
        where.append("status = ?")
        params.append(status)
    rows = store.query(
        "SELECT quarantine_id, source, kind, entity, parser, source_key, reason, message, received_at, "
        f"status, attempts, raw FROM ingest_quarantine WHERE {' AND '.join(where)} "
        "ORDER BY quarantine_id LIMIT ?",
        [*params, int(limit)],
    )
    return [
        QuarantinedRecord(
            q, s, k, e, p, key, r, m, at, st, n, bytes(raw or b"")[:300].decode("utf-8", "replace")
        )
        for q, s, k, e, p, key, r, m, at, st, n, raw in rows
    ]


def replay(
    landing: Landing, parsers: Mapping[str, ReplayParser], *, source: str | None = None
) -> dict[str, LandResult]:
    """Replay open quarantine rows (of ``source``, or all); returns the landing result per source."""
    sql = (
        "SELECT quarantine_id, source, kind, parser, source_key, raw FROM ingest_quarantine "
        "WHERE status = 'open'"
    )
    params: list[object] = []
    if source:
        sql += " AND source = ?"
        params.append(source)
    groups: dict[tuple[str, str, str], CandidateBatch] = {}
    for qid, src, kind, parser, key, raw in landing.store.query(sql + " ORDER BY quarantine_id", params):
        if parser not in parsers:
            continue
        batch = groups.setdefault((src, kind, parser), CandidateBatch(parser=parser))
        parsers[parser](batch, src, key, bytes(raw or b""), int(qid))
    results: dict[str, LandResult] = {}
    for (src, kind, _parser), batch in groups.items():
        result = landing.land(batch, source=src, kind=SourceKind(kind), replay=True)
        if src in results:
            prev = results[src]
            for name in ("landed", "quarantined", "duplicates", "released"):
                setattr(prev, name, getattr(prev, name) + getattr(result, name))
        else:
            results[src] = result
    return results
