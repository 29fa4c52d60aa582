"""Row-level scope of the MES, in one place: which line a thing belongs to, the MES read side filtered to a
principal's lines, and commands refused outside them.

A principal's scope is a set of line ids (``Principal.lines``; ``None`` = the whole plant). Every delivery
path takes the MES through here for a scoped principal — the API (``deps.get_queries`` / ``deps.get_bus``),
the web UI and the exports — so a scoped user cannot read or change another line's rows by any route.

Rules:

- **reads**: a row is visible when one of its lines is in scope; rows of no line (purchased lots,
  plant-wide events) are visible to all. An out-of-scope row reads as *not found* (its existence is not
  revealed); an out-of-scope work center's dispatch list is refused (403).
- **writes**: a command is allowed only when every line it touches is in scope; a command about
  something of no line (a supplier lot, a plant-wide change) or of an unknown kind needs the whole plant.

Errors: ``OutOfScope`` (PermissionDenied → 403), naming the lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from plantloop.kernel.errors import NotFound, PermissionDenied
from plantloop.kernel.ports import OutboxRecord
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.dispatch import DispatchItem
from plantloop.mes.domain.equipment import Equipment
from plantloop.mes.domain.inspection import Inspection
from plantloop.mes.domain.lot import Lot
from plantloop.mes.domain.maintenance import MaintenanceOrder
from plantloop.mes.domain.work_order import WorkOrder, WorkOrderStatus, work_order_of
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import GenealogyLink, MesQueries

Lines = frozenset[str]
_NONE: Lines = frozenset()


class OutOfScope(PermissionDenied):
    code = "out_of_scope"


class LineResolver:
    """The lines of MES things, from master data and (for orders and lots) the read side; cached."""

    def __init__(self, queries: MesQueries) -> None:
        self.queries = queries
        self.plant = queries.plant
        self._orders: dict[str, Lines] = {}
        self._lots: dict[str, Lines] = {}

    def of_place(self, place_id: str | None) -> Lines:
        """Line of a line, work center or piece of equipment id (empty if none)."""
        if not place_id:
            return _NONE
        if place_id in self.plant.lines:
            return frozenset({place_id})
        line = self.plant.line_of.get(place_id)
        return frozenset({line}) if line else _NONE

    def of_material(self, material_id: str) -> Lines:
        """Lines of the preferred work centers of a material's routing."""
        routing = self.plant.routings_by_material.get(material_id)
        if routing is None:
            return _NONE
        return frozenset(
            self.plant.line_of[op.work_center_ids[0]]
            for op in routing.operations
            if op.work_center_ids[0] in self.plant.line_of
        )

    def of_work_order(self, wo: WorkOrder) -> Lines:
        lines = frozenset(
            self.plant.line_of[o.work_center_id]
            for o in wo.operations
            if o.work_center_id in self.plant.line_of
        )
        self._orders[wo.id] = lines
        return lines

    def of_work_order_id(self, work_order_id: str) -> Lines:
        if work_order_id not in self._orders:
            wo = self.queries.work_order(work_order_id)
            self._orders[work_order_id] = self.of_work_order(wo) if wo is not None else _NONE
        return self._orders[work_order_id]

    def of_operation_id(self, operation_id: str) -> Lines:
        try:
            return self.of_work_order_id(work_order_of(operation_id))
        except NotFound:  # a malformed operation id belongs to no line; the MES rejects it later
            return _NONE

    def of_lot(self, lot: Lot) -> Lines:
        lines = self.of_work_order_id(lot.work_order_id) if lot.work_order_id else _NONE
        self._lots[lot.id] = lines
        return lines

    def of_lot_id(self, lot_id: str) -> Lines:
        if lot_id not in self._lots:
            lot = self.queries.lot(lot_id)
            self._lots[lot_id] = self.of_lot(lot) if lot is not None else _NONE
        return self._lots[lot_id]

    def of_event(self, record: OutboxRecord) -> Lines:
        env = record.envelope
        if env.equipment_path:
            parts = env.equipment_path.split("/")
            if len(parts) >= 4 and parts[3] in self.plant.lines:
                return frozenset({parts[3]})
        payload: dict[str, Any] = env.payload if isinstance(env.payload, dict) else {}
        for key in ("equipment_id", "work_center_id"):
            if isinstance(payload.get(key), str):
                return self.of_place(payload[key])
        if isinstance(payload.get("work_order_id"), str):
            return self.of_work_order_id(payload["work_order_id"])
        if isinstance(payload.get("lot_id"), str):
            return self.of_lot_id(payload["lot_id"])
        return _NONE

    def of_command(self, command: c.Command) -> Lines | None:
        """Lines a command touches; ``None`` when it is plant-wide or of an unknown kind."""
        match command:
            case c.CreateWorkOrder():
                return self.of_material(command.material_id) or None
            case c.ReleaseWorkOrder() | c.CancelWorkOrder() | c.ChangeWorkOrder():
                return self.of_work_order_id(command.work_order_id) or None
            case c.PublishDispatchLists():
                lines = frozenset().union(*(self.of_place(e.work_center_id) for e in command.entries))
                return lines or None
            case (
                c.StartOperation()
                | c.PauseOperation()
                | c.ResumeOperation()
                | c.CompleteOperation()
                | c.ConsumeMaterial()
                | c.RecordInspection()
            ):
                return self.of_operation_id(command.operation_id) or None
            case c.StartDowntime() | c.EndDowntime() | c.ChangeEquipmentState() | c.CreateMaintenanceOrder():
                return self.of_place(command.equipment_id) or None
            case c.StartMaintenance() | c.CompleteMaintenance():
                order = self.queries.maintenance_order(command.maintenance_order_id)
                return self.of_place(order.equipment_id) if order is not None else None
            case c.HoldLot() | c.ReleaseLot():
                return self.of_lot_id(command.lot_id) or None
        return None


def visible(lines: Lines, scope: Lines | None) -> bool:
    """A row of ``lines`` is visible to ``scope`` (rows of no line are plant-wide: visible to all)."""
    return scope is None or not lines or bool(lines & scope)


class ScopedQueries(MesQueries):
    """The MES read side as a principal with ``scope`` sees it. Out-of-scope rows are absent."""

    def __init__(self, inner: MesQueries, scope: Lines) -> None:
        super().__init__(inner.store, inner.plant, before_read=inner.before_read)
        self.scope = scope
        self.lines = LineResolver(inner)

    def _sees(self, lines: Lines) -> bool:
        return visible(lines, self.scope)

    def work_order(self, work_order_id: str) -> WorkOrder | None:
        wo = super().work_order(work_order_id)
        return wo if wo is not None and self._sees(self.lines.of_work_order(wo)) else None

    def work_orders(
        self, *, status: WorkOrderStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[WorkOrder]:
        out: list[WorkOrder] = []
        skipped, cursor, page = 0, 0, max(limit, 200)
        while len(out) < limit:
            batch = super().work_orders(status=status, limit=page, offset=cursor)
            for wo in batch:
                if not self._sees(self.lines.of_work_order(wo)):
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                out.append(wo)
                if len(out) == limit:
                    break
            if len(batch) < page:
                break
            cursor += page
        return out

    def work_orders_of(
        self, *, sales_order_id: str | None = None, parent_work_order_id: str | None = None, limit: int = 500
    ) -> list[WorkOrder]:
        found = super().work_orders_of(
            sales_order_id=sales_order_id, parent_work_order_id=parent_work_order_id, limit=limit
        )
        return [wo for wo in found if self._sees(self.lines.of_work_order(wo))]

    def work_order_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for wo in self.work_orders(limit=1_000_000):
            counts[wo.status.value] = counts.get(wo.status.value, 0) + 1
        return counts

    def operation_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for wo in self.work_orders(limit=1_000_000):
            for op in wo.operations:
                if self._sees(self.lines.of_place(op.work_center_id)):
                    counts[op.status.value] = counts.get(op.status.value, 0) + 1
        return counts

    def dispatch_list(self, work_center_id: str, *, ready_only: bool = False) -> list[DispatchItem]:
        self._check_place(work_center_id)
        return super().dispatch_list(work_center_id, ready_only=ready_only)

    def schedule_version(self, work_center_id: str) -> str | None:
        self._check_place(work_center_id)
        return super().schedule_version(work_center_id)

    def _check_place(self, place_id: str) -> None:
        lines = self.lines.of_place(place_id)
        if lines and not self._sees(lines):
            raise OutOfScope(f"{place_id} is on line {', '.join(sorted(lines))}, outside your scope",
                             id=place_id, lines=sorted(lines))  # fmt: skip

    def lot(self, lot_id: str) -> Lot | None:
        lot = super().lot(lot_id)
        return lot if lot is not None and self._sees(self.lines.of_lot(lot)) else None

    def lots(self, *, material_id: str | None = None, limit: int = 100, offset: int = 0) -> list[Lot]:
        found = super().lots(material_id=material_id, limit=limit + offset + 500, offset=0)
        return [lot for lot in found if self._sees(self.lines.of_lot(lot))][offset : offset + limit]

    def genealogy(
        self, lot_id: str, direction: Literal["backward", "forward"] = "backward", max_depth: int = 20
    ) -> list[GenealogyLink]:
        if self.lot(lot_id) is None:
            return []
        links = super().genealogy(lot_id, direction, max_depth)
        return [
            link
            for link in links
            if self._sees(self.lines.of_lot_id(link.produced_lot_id))
            and self._sees(self.lines.of_lot_id(link.component_lot_id))
        ]

    def equipment(self, equipment_id: str) -> Equipment | None:
        if not self._sees(self.lines.of_place(equipment_id)):
            return None  # before the base class, whose lookup goes through the filtered equipment_states
        return super().equipment(equipment_id)

    def equipment_states(self, equipment_ids: list[str] | None = None) -> list[Equipment]:
        return [e for e in super().equipment_states(equipment_ids) if self._sees(self.lines.of_place(e.id))]

    def maintenance_order(self, maintenance_order_id: str) -> MaintenanceOrder | None:
        mo = super().maintenance_order(maintenance_order_id)
        return mo if mo is not None and self._sees(self.lines.of_place(mo.equipment_id)) else None

    def maintenance_orders(
        self, *, equipment_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[MaintenanceOrder]:
        found = super().maintenance_orders(equipment_id=equipment_id, limit=limit + offset + 500)
        return [m for m in found if self._sees(self.lines.of_place(m.equipment_id))][offset : offset + limit]

    def inspections(
        self, *, work_order_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Inspection]:
        found = super().inspections(work_order_id=work_order_id, limit=limit + offset + 500)
        visible_rows = [i for i in found if self._sees(self.lines.of_work_order_id(i.work_order_id))]
        return visible_rows[offset : offset + limit]

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
        out: list[OutboxRecord] = []
        cursor = after_seq
        while len(out) < limit:
            batch = super().events(
                type=type, subject=subject, since=since, until=until, after_seq=cursor, limit=max(limit, 500)
            )
            if not batch:
                break
            for record in batch:
                if self._sees(self.lines.of_event(record)):
                    out.append(record)
                    if len(out) == limit:
                        break
            cursor = batch[-1].seq
        return out

    def last_events(self, n: int = 20) -> list[OutboxRecord]:
        found = super().last_events(max(n * 10, 200))
        return [r for r in found if self._sees(self.lines.of_event(r))][:n]

    def operation_work_order(self, operation_id: str) -> WorkOrder | None:
        return self.work_order(work_order_of(operation_id))


class ScopedBus(MessageBus):
    """A message bus that refuses commands outside ``scope`` and hands the rest to ``inner``."""

    def __init__(self, inner: MessageBus, queries: MesQueries, scope: Lines) -> None:
        # Deliberately not calling MessageBus.__init__: this is a guard in front of the real bus.
        self._inner = inner
        self.scope = scope
        self.lines = LineResolver(queries)

    def handle(self, command: c.Command) -> Any:
        check_command(self.lines, command, self.scope)
        return self._inner.handle(command)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def check_command(lines: LineResolver, command: c.Command, scope: Lines | None) -> None:
    """Raise :class:`OutOfScope` unless a principal with ``scope`` may send ``command``."""
    if scope is None:
        return
    touched = lines.of_command(command)
    name = type(command).__name__
    if touched is None:
        raise OutOfScope(f"{name} is plant-wide; your scope is line {', '.join(sorted(scope))}",
                         command=name)  # fmt: skip
    outside = touched - scope
    if outside:
        raise OutOfScope(f"{name} touches line {', '.join(sorted(outside))}, outside your scope",
                         command=name, lines=sorted(outside))  # fmt: skip


def scoped_queries(queries: MesQueries, scope: Iterable[str] | None) -> MesQueries:
    """``queries`` as seen by ``scope`` (itself for the whole plant)."""
    return queries if scope is None else ScopedQueries(queries, frozenset(scope))


def scoped_bus(bus: MessageBus, queries: MesQueries, scope: Iterable[str] | None) -> MessageBus:
    """``bus`` guarded for ``scope`` (itself for the whole plant)."""
    return bus if scope is None else ScopedBus(bus, queries, frozenset(scope))


def commands_in_scope(
    lines: LineResolver, commands: Iterable[c.Command], scope: Iterable[str] | None
) -> bool:
    """Whether every command is within ``scope`` (decisions, form entries: what they would do)."""
    if scope is None:
        return True
    allowed = frozenset(scope)
    try:
        for command in commands:
            check_command(lines, command, allowed)
    except OutOfScope:
        return False
    return True
