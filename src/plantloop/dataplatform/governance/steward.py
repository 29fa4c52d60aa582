"""The steward queue: codes the crosswalk could not match (or not unambiguously), reviewed by a person.

Items are listed and read here (the API and UI call these), and closed in one of three ways, each
leaving an audit record in ``steward_audit``:

- :meth:`StewardQueue.map_to` — the code is an existing canonical entity (a versioned crosswalk row);
- :meth:`StewardQueue.create_entity` — the code is a new entity: a golden record is created, then mapped;
- :meth:`StewardQueue.reject` — the code is garbage (a typo, a test code); it stays visible as rejected
  and later occurrences are counted on the item, not re-queued.

:meth:`StewardQueue.remap` changes an existing mapping (the old row is closed, a new version opens).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plantloop.dataplatform.governance.crosswalk import Crosswalk
from plantloop.dataplatform.governance.crosswalk_store import (
    MasterEntity,
    MatchRule,
    StewardReason,
    StewardStatus,
)
from plantloop.dataplatform.governance.errors import (
    StewardItemClosed,
    StewardItemNotFound,
    UnknownCanonicalId,
)
from plantloop.kernel.ids import new_id


@dataclass(frozen=True)
class StewardItem:
    item_id: str
    entity: MasterEntity
    system: str
    source_code: str
    source_name: str | None
    reason: StewardReason
    candidates: tuple[dict[str, Any], ...]
    status: StewardStatus
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    canonical_id: str | None
    note: str | None


@dataclass(frozen=True)
class AuditRecord:
    audit_id: str
    item_id: str | None
    entity: str
    action: str
    actor: str
    acted_at: datetime
    system: str | None
    source_code: str | None
    canonical_id: str | None
    previous_canonical_id: str | None
    note: str | None


_ITEM_COLUMNS = (
    "item_id, entity, system, source_code, source_name, reason, candidates, status, occurrences, "
    "first_seen_at, last_seen_at, resolved_at, resolved_by, canonical_id, note"
)


def _item(row: tuple[Any, ...]) -> StewardItem:
    return StewardItem(
        item_id=row[0],
        entity=MasterEntity(row[1]),
        system=row[2],
        source_code=row[3],
        source_name=row[4],
        reason=StewardReason(row[5]),
        candidates=tuple(json.loads(row[6] or "[]")),
        status=StewardStatus(row[7]),
        occurrences=int(row[8]),
        first_seen_at=row[9],
        last_seen_at=row[10],
        resolved_at=row[11],
        resolved_by=row[12],
        canonical_id=row[13],
        note=row[14],
    )


class StewardQueue:
    """Review and resolution of steward-queue items, on the crosswalk's connection."""

    def __init__(self, crosswalk: Crosswalk) -> None:
        self.crosswalk = crosswalk
        self.con = crosswalk.con

    def list_items(
        self, status: StewardStatus | None = StewardStatus.OPEN, entity: MasterEntity | str | None = None
    ) -> list[StewardItem]:
        """Items, most frequent first (the ones that block most data)."""
        where, params = [], []
        if status is not None:
            where.append("status = ?")
            params.append(status.value)
        if entity is not None:
            where.append("entity = ?")
            params.append(MasterEntity(entity).value)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.con.execute(
            f"SELECT {_ITEM_COLUMNS} FROM steward_queue {clause} "
            "ORDER BY occurrences DESC, first_seen_at, item_id",
            params,
        ).fetchall()
        return [_item(r) for r in rows]

    def get(self, item_id: str) -> StewardItem:
        row = self.con.execute(
            f"SELECT {_ITEM_COLUMNS} FROM steward_queue WHERE item_id = ?", [item_id]
        ).fetchone()
        if row is None:
            raise StewardItemNotFound(item_id)
        return _item(row)

    def audit_trail(self, item_id: str | None = None) -> list[AuditRecord]:
        clause, params = ("WHERE item_id = ?", [item_id]) if item_id else ("", [])
        # rowid is insertion order (audit rows are never deleted): it orders rows with equal times
        rows = self.con.execute(
            "SELECT audit_id, item_id, entity, action, actor, acted_at, system, source_code, canonical_id, "
            f"previous_canonical_id, note FROM steward_audit {clause} ORDER BY acted_at, rowid",
            params,
        ).fetchall()
        return [AuditRecord(*r) for r in rows]

    # ---- closing items -----------------------------------------------------------------------
    def map_to(self, item_id: str, canonical_id: str, steward: str, note: str | None = None) -> int:
        """Map the item's code to an existing canonical id; returns the crosswalk row's version."""
        item = self._open(item_id)
        if self.crosswalk.golden(item.entity, canonical_id) is None:
            raise UnknownCanonicalId(item.entity.value, canonical_id)
        version = self._map(item, canonical_id, steward, note)
        self._close(item, StewardStatus.RESOLVED, steward, canonical_id, "mapped", note)
        return version

    def create_entity(
        self,
        item_id: str,
        canonical_id: str,
        steward: str,
        attributes: Mapping[str, Any] | None = None,
        note: str | None = None,
    ) -> int:
        """Create a new golden record for the item's code and map the code to it."""
        item = self._open(item_id)
        attrs = dict(attributes or {})
        attrs.setdefault("name", item.source_name or item.source_code)
        # the steward is the source of the new entity's attributes, under the canonical id as code
        self.crosswalk.observe(item.entity, "steward", canonical_id, attrs)
        self.crosswalk.map_code(
            item.entity, "steward", canonical_id, canonical_id, rule=MatchRule.STEWARD, actor=steward
        )
        self.crosswalk.refresh_golden(item.entity, canonical_id)
        version = self._map(item, canonical_id, steward, note)
        self._close(item, StewardStatus.RESOLVED, steward, canonical_id, "created_entity", note)
        return version

    def reject(self, item_id: str, steward: str, note: str) -> None:
        """Declare the code invalid; it stays in the queue as rejected with the reason."""
        item = self._open(item_id)
        self._close(item, StewardStatus.REJECTED, steward, None, "rejected", note)

    def remap(
        self,
        entity: MasterEntity | str,
        system: str,
        code: str,
        canonical_id: str,
        steward: str,
        note: str | None = None,
    ) -> int:
        """Point an already mapped code at another canonical id (a new crosswalk version)."""
        entity = MasterEntity(entity)
        if self.crosswalk.golden(entity, canonical_id) is None:
            raise UnknownCanonicalId(entity.value, canonical_id)
        previous = self.crosswalk.canonical_id(entity, system, code)
        version = self.crosswalk.map_code(
            entity, system, code, canonical_id, rule=MatchRule.STEWARD, actor=steward, reason=note
        )
        self._audit(None, entity, "remapped", steward, system, code, canonical_id, previous, note)
        return version

    # ---- internals ---------------------------------------------------------------------------
    def _open(self, item_id: str) -> StewardItem:
        item = self.get(item_id)
        if item.status is not StewardStatus.OPEN:
            raise StewardItemClosed(item_id, item.status.value)
        return item

    def _map(self, item: StewardItem, canonical_id: str, steward: str, note: str | None) -> int:
        version = self.crosswalk.map_code(
            item.entity,
            item.system,
            item.source_code,
            canonical_id,
            rule=MatchRule.STEWARD,
            actor=steward,
            reason=note or f"steward queue item {item.item_id}",
        )
        self.crosswalk.refresh_golden(item.entity, canonical_id)
        return version

    def _close(
        self,
        item: StewardItem,
        status: StewardStatus,
        steward: str,
        canonical_id: str | None,
        action: str,
        note: str | None,
    ) -> None:
        now = self.crosswalk.clock.now()
        self.con.execute(
            "UPDATE steward_queue SET status = ?, resolved_at = ?, resolved_by = ?, canonical_id = ?, "
            "note = ? WHERE item_id = ?",
            [status.value, now, steward, canonical_id, note, item.item_id],
        )
        self._audit(
            item.item_id,
            item.entity,
            action,
            steward,
            item.system,
            item.source_code,
            canonical_id,
            None,
            note,
        )

    def _audit(
        self,
        item_id: str | None,
        entity: MasterEntity,
        action: str,
        actor: str,
        system: str,
        code: str,
        canonical_id: str | None,
        previous: str | None,
        note: str | None,
    ) -> None:
        self.con.execute(
            "INSERT INTO steward_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                new_id(),
                item_id,
                entity.value,
                action,
                actor,
                self.crosswalk.clock.now(),
                system,
                code,
                canonical_id,
                previous,
                note,
            ],
        )
