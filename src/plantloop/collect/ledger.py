"""The ledger read side: per-source totals and per-window counts, and the reconciliation check.

Written by the ODS store in the landing transaction (``ingest_ledger``: one row per source per minute);
``offered = landed + quarantined + duplicates`` must hold for every source, always.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from plantloop.dataplatform.ingest.store import OdsStore


@dataclass(frozen=True)
class SourceStatus:
    source: str
    kind: str
    offered: int
    landed: int
    quarantined: int
    duplicates: int
    released: int
    lag_s: float | None
    last_batch_at: datetime | None
    checkpoint: str | None

    @property
    def reconciles(self) -> bool:
        return self.offered == self.landed + self.quarantined + self.duplicates

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["last_batch_at"] = self.last_batch_at.isoformat() if self.last_batch_at else None
        out["reconciles"] = self.reconciles
        return out


def source_status(store: OdsStore) -> list[SourceStatus]:
    rows = store.query(
        """
        SELECT l.source, any_value(l.kind), sum(offered), sum(landed), sum(quarantined), sum(duplicates),
               sum(released), arg_max(lag_s, last_batch_at), max(last_batch_at), any_value(c.position)
        FROM ingest_ledger l LEFT JOIN ingest_checkpoint c ON c.source = l.source
        GROUP BY l.source ORDER BY l.source
        """
    )
    return [
        SourceStatus(
            s,
            k,
            int(o),
            int(la),
            int(q),
            int(d),
            int(r),
            None if lag is None else round(float(lag), 3),
            at,
            cp,
        )
        for s, k, o, la, q, d, r, lag, at, cp in rows
    ]


def windows(store: OdsStore, source: str, limit: int = 60) -> list[dict[str, object]]:
    """The latest ``limit`` minute windows of one source, newest first."""
    rows = store.query(
        "SELECT window_start, offered, landed, quarantined, duplicates, released, lag_s FROM ingest_ledger "
        "WHERE source = ? ORDER BY window_start DESC LIMIT ?",
        [source, int(limit)],
    )
    keys = ("window_start", "offered", "landed", "quarantined", "duplicates", "released", "lag_s")
    return [dict(zip(keys, row, strict=True)) for row in rows]
