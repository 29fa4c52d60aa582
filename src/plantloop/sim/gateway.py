"""The simulator's port to the MES, and its in-memory twin.

The simulator changes MES state only by sending commands (:mod:`plantloop.mes.domain.commands`) and reads
only the dispatch list of a work center — what an operator terminal shows. :class:`MesGateway` is that
port; the adapter onto the real MES message bus lives with the MES. :class:`RecordingGateway` is the twin
for tests and for running without a database: it records commands, applies the MES conventions for work
order explosion, keeps the last published dispatch lists and otherwise lists released operations FIFO.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from plantloop.kernel.errors import Conflict, NotFound
from plantloop.mes.domain.commands import (
    Command,
    CompleteOperation,
    CreateWorkOrder,
    PublishDispatchLists,
    ReleaseWorkOrder,
)
from plantloop.mes.domain.sub_lots import exclusive_ids, lots_of
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.sim.orders import explode


@dataclass(frozen=True, slots=True)
class DispatchItem:
    """One line of a work center's dispatch list, in list order."""

    operation_id: str
    work_center_id: str
    equipment_id: str | None = None
    position: int = 0


class DispatchLine(Protocol):
    """What the simulator reads of a dispatch-list line (the MES's own item has more)."""

    @property
    def operation_id(self) -> str: ...

    @property
    def work_center_id(self) -> str: ...

    @property
    def equipment_id(self) -> str | None: ...


class MesGateway(Protocol):
    def handle(self, command: Command) -> Any:
        """Send one command; returns the handler result (CreateWorkOrder: the created work order ids)."""
        ...

    def dispatch_list(self, work_center_id: str) -> Sequence[DispatchLine]:
        """The current ordered dispatch list of a work center (open operations)."""
        ...


class RecordingGateway:
    """In-memory MES twin: records every command and answers dispatch lists the way the MES does."""

    def __init__(self, plant: PlantDefinition, *, keep_commands: bool = True) -> None:
        self._plant = plant
        self._keep = keep_commands
        self.commands: list[Command] = []
        self.counts: Counter[str] = Counter()
        self._op_wc: dict[str, str] = {}  # open operation -> assigned work center
        self._op_pin: dict[str, str | None] = {}
        self._created: dict[str, list[str]] = {}  # work order -> its operation ids (children separate)
        self._children: dict[str, list[str]] = {}
        self._released: set[str] = set()
        self._claimed: set[str] = set()  # ids of orders created (an order created in sub-lots claims its own)
        self._fifo: dict[str, list[str]] = {}  # work center -> released operations in release order
        self._published: dict[str, list[str]] = {}
        self._versions: set[str] = set()

    @property
    def events_emitted(self) -> int:
        return sum(self.counts.values())

    def handle(self, command: Command) -> Any:
        self.counts[type(command).__name__] += 1
        if self._keep:
            self.commands.append(command)
        if isinstance(command, CreateWorkOrder):
            return self._create(command)
        if isinstance(command, ReleaseWorkOrder):
            self._release(command.work_order_id)
        elif isinstance(command, PublishDispatchLists):
            self._publish(command)
        elif isinstance(command, CompleteOperation):
            self._op_wc.pop(command.operation_id, None)
        return None

    def dispatch_list(self, work_center_id: str) -> list[DispatchItem]:
        seen: set[str] = set()
        items: list[DispatchItem] = []
        for source in (self._published.get(work_center_id, []), self._fifo.get(work_center_id, [])):
            for op_id in source:
                if op_id in seen or self._op_wc.get(op_id) != work_center_id:
                    continue
                seen.add(op_id)
                items.append(DispatchItem(op_id, work_center_id, self._op_pin.get(op_id), len(items)))
        self._fifo[work_center_id] = [o for o in self._fifo.get(work_center_id, []) if o in self._op_wc]
        return items

    # ---- internals ---------------------------------------------------------------------------------
    def _create(self, command: CreateWorkOrder) -> list[str]:
        orders = [
            wo
            for lot, qty in lots_of(command.work_order_id, command.qty, command.lot_qtys)
            for wo in explode(self._plant, lot, command.material_id, qty, 0.0, command.priority)
        ]
        for wo_id in [*exclusive_ids(command.work_order_id), *(wo.id for wo in orders)]:
            if wo_id in self._created or wo_id in self._claimed:
                raise Conflict(f"work order {wo_id} exists", work_order_id=wo_id)
        self._claimed.add(command.work_order_id)
        for wo in orders:
            self._created[wo.id] = [op.id for op in wo.operations]
            self._children[wo.id] = [c.id for c in wo.children]
            for op in wo.operations:
                self._op_wc[op.id] = op.work_center_id
        return [wo.id for wo in orders]

    def _release(self, work_order_id: str) -> None:
        if work_order_id not in self._created:
            raise NotFound(f"work order {work_order_id} not found", work_order_id=work_order_id)
        if work_order_id in self._released:
            return
        for child in self._children[work_order_id]:
            self._release(child)
        self._released.add(work_order_id)
        for op_id in self._created[work_order_id]:
            wc = self._op_wc.get(op_id)
            if wc is not None:
                self._fifo.setdefault(wc, []).append(op_id)

    def _publish(self, command: PublishDispatchLists) -> None:
        if command.schedule_version in self._versions:
            return
        self._versions.add(command.schedule_version)
        lists: dict[str, list[tuple[int, str]]] = {}
        for entry in command.entries:
            if entry.operation_id not in self._op_wc:
                continue  # completed or unknown: the MES ignores it as well
            self._op_wc[entry.operation_id] = entry.work_center_id
            self._op_pin[entry.operation_id] = entry.equipment_id
            lists.setdefault(entry.work_center_id, []).append((entry.position, entry.operation_id))
        for wc, entries in lists.items():
            self._published[wc] = [op_id for _, op_id in sorted(entries)]
