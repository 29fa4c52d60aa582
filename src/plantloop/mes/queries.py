"""The MES read side: what operators, the API, the simulator and ``loop/`` ask about current state.

Queries read the store directly (never the write-side identity map) in their own short transaction and
return detached domain objects or small views. They work on both stores (SQL and the in-memory twin).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from plantloop.kernel.ports import OutboxRecord
from plantloop.mes import mapping, orm
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.dispatch import Candidate, DispatchItem, order_dispatch_list
from plantloop.mes.domain.equipment import Equipment
from plantloop.mes.domain.errors import UnknownWorkCenter
from plantloop.mes.domain.inspection import Inspection
from plantloop.mes.domain.lot import Lot
from plantloop.mes.domain.maintenance import MaintenanceOrder
from plantloop.mes.domain.work_order import NOT_STARTED, WorkOrder, WorkOrderStatus, work_order_of
from plantloop.mes.mapping import Mapper
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.mes.outbox import envelope_from_row
from plantloop.mes.repository import Filter, Store, StoreTransaction

A = TypeVar("A", bound=Aggregate)

_DISPATCHABLE_ORDERS = (WorkOrderStatus.RELEASED.value, WorkOrderStatus.IN_PROGRESS.value)


@dataclass(frozen=True, slots=True)
class GenealogyLink:
    """``qty`` of ``component_lot_id`` went into ``produced_lot_id``; ``depth`` 1 is a direct link."""

    produced_lot_id: str
    component_lot_id: str
    qty: float
    operation_id: str
    at: datetime
    depth: int


@dataclass(frozen=True, slots=True)
class LastRun:
    """The operation a piece of equipment started last: its work order, routing step and product."""

    work_order_id: str
    seq: int
    material_id: str


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MesQueries:
    def __init__(
        self, store: Store, plant: PlantDefinition, *, before_read: Callable[[], object] | None = None
    ) -> None:
        self.store = store
        self.plant = plant
        #: The read barrier: flushes a message-bus batch so that reads see every handled command.
        self.before_read = before_read

    @contextlib.contextmanager
    def _txn(self) -> Iterator[StoreTransaction]:
        if self.before_read is not None:
            self.before_read()
        txn = self.store.begin()
        try:
            yield txn
        finally:
            txn.rollback()

    def _get(self, mapper: Mapper[A], ids: list[str]) -> dict[str, A]:
        with self._txn() as txn:
            loaded = txn.load(mapper, ids)
        return {root["id"]: mapper.from_rows(root, children) for root, children, _ in loaded}

    # ---- work orders ---------------------------------------------------------------------------
    def work_order(self, work_order_id: str) -> WorkOrder | None:
        return self._get(mapping.WORK_ORDERS, [work_order_id]).get(work_order_id)

    def work_orders_by_id(self, work_order_ids: list[str]) -> dict[str, WorkOrder]:
        """The work orders among ``work_order_ids`` that exist, in one read."""
        return self._get(mapping.WORK_ORDERS, work_order_ids)

    def work_orders(
        self, *, status: WorkOrderStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[WorkOrder]:
        where: list[Filter] = [("status", "=", status.value)] if status else []
        with self._txn() as txn:
            ids = [r["id"] for r in txn.select(orm.work_orders, where, ["created_at", "id"], limit, offset)]
        found = self._get(mapping.WORK_ORDERS, ids)
        return [found[i] for i in ids if i in found]

    def work_orders_of(
        self, *, sales_order_id: str | None = None, parent_work_order_id: str | None = None, limit: int = 500
    ) -> list[WorkOrder]:
        """The work orders of a sales order, or the child orders of a parent order (oldest first)."""
        where: list[Filter] = []
        if sales_order_id is not None:
            where.append(("sales_order_id", "=", sales_order_id))
        if parent_work_order_id is not None:
            where.append(("parent_work_order_id", "=", parent_work_order_id))
        if not where:
            return []
        with self._txn() as txn:
            ids = [r["id"] for r in txn.select(orm.work_orders, where, ["created_at", "id"], limit)]
        found = self._get(mapping.WORK_ORDERS, ids)
        return [found[i] for i in ids if i in found]

    def work_order_counts(self) -> dict[str, int]:
        with self._txn() as txn:
            return {str(k): v for k, v in txn.count_by(orm.work_orders, "status").items()}

    def operation_counts(self) -> dict[str, int]:
        """Operations by status (pending, ready, running, paused, completed, cancelled)."""
        with self._txn() as txn:
            return {str(k): v for k, v in txn.count_by(orm.operations, "status").items()}

    def event_counts(self) -> dict[str, int]:
        """Events in the outbox by type."""
        with self._txn() as txn:
            return {str(k): v for k, v in txn.count_by(orm.outbox, "type").items()}

    # ---- dispatch ------------------------------------------------------------------------------
    def dispatch_list(self, work_center_id: str, *, ready_only: bool = False) -> list[DispatchItem]:
        """The ordered list operators at ``work_center_id`` see (see :mod:`plantloop.mes.domain.dispatch`)."""
        if work_center_id not in self.plant.work_centers:
            raise UnknownWorkCenter(work_center_id)
        statuses = ["ready"] if ready_only else [s.value for s in NOT_STARTED]
        with self._txn() as txn:
            ops = txn.select(
                orm.operations,
                [("work_center_id", "=", work_center_id), ("status", "in", statuses)],
                ["work_order_id", "seq"],
            )
            wo_ids = sorted({o["work_order_id"] for o in ops})
            orders = {
                r["id"]: r
                for r in (
                    txn.select(
                        orm.work_orders,
                        [("id", "in", wo_ids), ("status", "in", list(_DISPATCHABLE_ORDERS))],
                        ["id"],
                    )
                    if wo_ids
                    else []
                )
                if not r["held"]
            }
            boards = txn.select(orm.dispatch_boards, [("id", "=", work_center_id)], ["id"])
            entries = txn.select(
                orm.dispatch_entries, [("work_center_id", "=", work_center_id)], ["position"]
            )
        candidates = [
            Candidate(
                operation_id=o["id"],
                work_order_id=o["work_order_id"],
                material_id=orders[o["work_order_id"]]["material_id"],
                qty=orders[o["work_order_id"]]["qty"],
                seq=o["seq"],
                status=o["status"],
                priority=orders[o["work_order_id"]]["priority"],
                due_at=orders[o["work_order_id"]]["due_at"],
                released_at=orders[o["work_order_id"]]["released_at"],
            )
            for o in ops
            if o["work_order_id"] in orders
        ]
        version = boards[0]["schedule_version"] if boards else None
        return order_dispatch_list(
            work_center_id, candidates, [mapping.board_entry_from_row(e) for e in entries], version
        )

    def schedule_version(self, work_center_id: str) -> str | None:
        with self._txn() as txn:
            boards = txn.select(orm.dispatch_boards, [("id", "=", work_center_id)], ["id"])
        return boards[0]["schedule_version"] if boards else None

    # ---- lots ----------------------------------------------------------------------------------
    def lot(self, lot_id: str) -> Lot | None:
        return self._get(mapping.LOTS, [lot_id]).get(lot_id)

    def lots(self, *, material_id: str | None = None, limit: int = 100, offset: int = 0) -> list[Lot]:
        where: list[Filter] = [("material_id", "=", material_id)] if material_id else []
        with self._txn() as txn:
            ids = [r["id"] for r in txn.select(orm.lots, where, ["created_at", "id"], limit, offset)]
        found = self._get(mapping.LOTS, ids)
        return [found[i] for i in ids if i in found]

    def genealogy(
        self, lot_id: str, direction: Literal["backward", "forward"] = "backward", max_depth: int = 20
    ) -> list[GenealogyLink]:
        """Backward: what went into ``lot_id`` (recursively). Forward: where ``lot_id`` went."""
        mine, theirs = (
            ("produced_lot_id", "component_lot_id")
            if direction == "backward"
            else ("component_lot_id", "produced_lot_id")
        )
        out: list[GenealogyLink] = []
        frontier, seen = [lot_id], {lot_id}
        with self._txn() as txn:
            for depth in range(1, max_depth + 1):
                if not frontier:
                    break
                edges = txn.select(orm.genealogy_edges, [(mine, "in", frontier)], [mine, "idx"])
                frontier = []
                for e in edges:
                    out.append(
                        GenealogyLink(
                            produced_lot_id=e["produced_lot_id"],
                            component_lot_id=e["component_lot_id"],
                            qty=e["qty"],
                            operation_id=e["operation_id"],
                            at=e["at"],
                            depth=depth,
                        )
                    )
                    if e[theirs] not in seen:
                        seen.add(e[theirs])
                        frontier.append(e[theirs])
        return out

    # ---- equipment, maintenance, quality ---------------------------------------------------------
    def equipment(self, equipment_id: str) -> Equipment | None:
        if equipment_id not in self.plant.equipment:
            return None
        return self.equipment_states([equipment_id])[0]

    def equipment_states(self, equipment_ids: list[str] | None = None) -> list[Equipment]:
        """Every piece of equipment in the plant (IDLE when it never reported anything)."""
        ids = equipment_ids if equipment_ids is not None else list(self.plant.equipment)
        found = self._get(mapping.EQUIPMENT, ids)
        wc_of = self.plant.work_center_of
        return [found.get(i) or Equipment(id=i, work_center_id=wc_of[i]) for i in ids]

    def last_runs(self, equipment_ids: list[str] | None = None) -> dict[str, LastRun]:
        """What each piece of equipment ran last (the operation started on it last), for those that ran
        anything: where its setup stands for the planner."""
        ids = equipment_ids if equipment_ids is not None else list(self.plant.equipment)
        runs: dict[str, tuple[str, int]] = {}
        with self._txn() as txn:
            for eq in ids:
                where: list[Filter] = [("equipment_id", "=", eq), ("started_at", ">=", _EPOCH)]
                rows = txn.select(orm.operations, where, ["-started_at", "-id"], 1)
                if rows:
                    runs[eq] = (rows[0]["work_order_id"], int(rows[0]["seq"]))
            wanted = sorted({w for w, _ in runs.values()})
            orders = txn.select(orm.work_orders, [("id", "in", wanted)], ["id"]) if wanted else []
        material = {r["id"]: r["material_id"] for r in orders}
        return {eq: LastRun(wo, seq, material[wo]) for eq, (wo, seq) in runs.items() if wo in material}

    def maintenance_order(self, maintenance_order_id: str) -> MaintenanceOrder | None:
        return self._get(mapping.MAINTENANCE_ORDERS, [maintenance_order_id]).get(maintenance_order_id)

    def maintenance_orders(
        self, *, equipment_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[MaintenanceOrder]:
        where: list[Filter] = [("equipment_id", "=", equipment_id)] if equipment_id else []
        with self._txn() as txn:
            ids = [
                r["id"]
                for r in txn.select(orm.maintenance_orders, where, ["created_at", "id"], limit, offset)
            ]
        found = self._get(mapping.MAINTENANCE_ORDERS, ids)
        return [found[i] for i in ids if i in found]

    def inspections(
        self, *, work_order_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Inspection]:
        where: list[Filter] = [("work_order_id", "=", work_order_id)] if work_order_id else []
        with self._txn() as txn:
            rows = txn.select(orm.inspections, where, ["recorded_at", "id"], limit, offset)
        return [mapping.INSPECTIONS.from_rows(r, {}) for r in rows]

    # ---- events --------------------------------------------------------------------------------
    def events(
        self,
        *,
        type: str | None = None,
        subject: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int = 0,
        limit: int = 100,
    ) -> list[OutboxRecord]:
        """Outbox events in ``seq`` order, filtered; page with ``after_seq`` = the last seq you saw."""
        where: list[Filter] = [("seq", ">", after_seq)]
        if type:
            where.append(("type", "=", type))
        if subject:
            where.append(("subject", "=", subject))
        if since:
            where.append(("occurred_at", ">=", since))
        if until:
            where.append(("occurred_at", "<", until))
        with self._txn() as txn:
            rows = txn.select(orm.outbox, where, ["seq"], limit)
        return [OutboxRecord(int(r["seq"]), envelope_from_row(r)) for r in rows]

    def last_events(self, n: int = 20) -> list[OutboxRecord]:
        """The ``n`` most recent outbox events, newest first."""
        with self._txn() as txn:
            rows = txn.select(orm.outbox, [], ["-seq"], n)
        return [OutboxRecord(int(r["seq"]), envelope_from_row(r)) for r in rows]

    def operation_work_order(self, operation_id: str) -> WorkOrder | None:
        return self.work_order(work_order_of(operation_id))
