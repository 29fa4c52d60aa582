"""Form targets: how an entry becomes (a) the row the data-quality checks see — the entry's fields plus
columns derived from the MES (the operation's equipment, the defective share, the stop's duration) — and
(b) the MES commands that write it into the governed layers once a reviewer approves.

The commands go through the MES like every other fact: validated by its handlers, recorded in the outbox,
landed in the ODS by collect, shaped into DWD by the warehouse. A form never writes a table directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from plantloop.api.scope import OutOfScope
from plantloop.kernel.errors import Conflict, NotFound
from plantloop.kernel.ids import deterministic_id
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.sub_lots import exclusive_ids, lots_of
from plantloop.mes.queries import MesQueries
from plantloop.optimize.scheduling.lotsize import split_quantities


class FormTargetNotFound(NotFound):
    """What an entry refers to does not exist in the user's scope (API: 404)."""

    code = "form_target_not_found"


@dataclass(frozen=True)
class Prepared:
    """An entry ready for the DQ checks and for proposing: its row, its commands, its subject."""

    row: dict[str, Any]
    commands: list[c.Command]
    subject: str
    summary: str


Target = Callable[[str, dict[str, Any], MesQueries, datetime, str], Prepared]


def record_inspection(
    entry_id: str, values: dict[str, Any], queries: MesQueries, now: datetime, user: str
) -> Prepared:
    operation_id = values.get("operation_id") or ""
    wo = queries.operation_work_order(operation_id) if operation_id and "/" in operation_id else None
    op = next((o for o in wo.operations if o.id == operation_id), None) if wo else None
    if op is None:
        # unknown, or on a line outside the user's scope: indistinguishable on purpose
        raise FormTargetNotFound(
            f"operation_id: no operation {operation_id!r} in your scope", field="operation_id"
        )
    inspected = int(values.get("qty_inspected") or 0)
    defective = int(values.get("qty_defective") or 0)
    row = {
        **values,
        "equipment_id": op.equipment_id,
        "defective_share": (defective / inspected) if inspected else None,
        "operation_status": op.status.value,
    }
    command = c.RecordInspection(
        inspection_id=deterministic_id("form-inspection", entry_id)[:32],
        operation_id=operation_id,
        result=c.InspectionResult(values["result"]),
        qty_inspected=max(inspected, 1),
        qty_defective=max(defective, 0),
        defect_code=values.get("defect_code"),
        inspector_id=values.get("inspector_id") or user,
        issued_by=user,
    )
    return Prepared(row, [command], f"operation:{operation_id}", f"{operation_id}: {values['result']}")


def downtime_interval(
    entry_id: str, values: dict[str, Any], queries: MesQueries, now: datetime, user: str
) -> Prepared:
    started: datetime = values["started_at"]
    ended: datetime = values["ended_at"]
    equipment_id = values["equipment_id"]
    if queries.equipment(equipment_id) is None:
        # the field's choices already refused unknown machines: this one is outside the scope
        raise OutOfScope(f"equipment_id: {equipment_id!r} is outside your scope", field="equipment_id")
    row = {
        **{k: v for k, v in values.items() if k not in ("started_at", "ended_at")},
        "duration_s": (ended - started).total_seconds(),
        "seconds_ago": (now - ended).total_seconds(),
    }
    commands: list[c.Command] = [
        c.StartDowntime(
            equipment_id=equipment_id, reason_code=values["reason_code"], at=started, issued_by=user
        ),
        c.EndDowntime(equipment_id=equipment_id, at=ended, issued_by=user),
    ]
    summary = f"{equipment_id} {values['reason_code']} {started:%Y-%m-%d %H:%M}–{ended:%H:%M} UTC"
    return Prepared(row, commands, f"equipment:{equipment_id}:{started.isoformat()}", summary)


def release_work_order(
    entry_id: str, values: dict[str, Any], queries: MesQueries, now: datetime, user: str
) -> Prepared:
    """A work order typed in by hand (a plant without an ERP link, or an order outside it): created and
    released, whole or in ``lots`` equal sub-lots (``<work_order_id>.1``, ``.2``, …)."""
    wo_id = str(values["work_order_id"]).strip()
    qty, lots = int(values["qty"]), int(values.get("lots") or 1)
    if any(queries.work_order(w) is not None for w in exclusive_ids(wo_id)):  # refused now, not at approval
        raise Conflict(f"work_order_id: work order {wo_id!r} exists", field="work_order_id")
    due: datetime = values["due_at"]
    row = {
        **{k: v for k, v in values.items() if k != "due_at"},
        "hours_to_due": (due - now).total_seconds() / 3600.0,
        "units_per_lot": qty / lots if lots > 0 else 0.0,
    }
    lot_qtys = split_quantities(qty, max_lots=lots, min_lot=1) if lots > 1 and qty > 0 else None
    try:
        create = c.CreateWorkOrder(
            work_order_id=wo_id,
            material_id=values["material_id"],
            qty=qty,
            lot_qtys=lot_qtys,
            due_at=due,
            priority=int(values.get("priority") or 5),
            sales_order_id=values.get("sales_order_id") or None,
            customer=values.get("customer") or None,
            issued_by=user,
        )
    except ValidationError:
        # out of the command's range: the form's checks name the field (and no command goes out)
        return Prepared(row, [], f"work_order:{wo_id}", wo_id)
    releases = [
        c.ReleaseWorkOrder(work_order_id=lot, issued_by=user) for lot, _ in lots_of(wo_id, qty, lot_qtys)
    ]
    split = f" in {len(lot_qtys)} sub-lots" if lot_qtys else ""
    summary = f"{wo_id}: {qty} × {values['material_id']}{split}, due {due:%Y-%m-%d %H:%M} UTC"
    return Prepared(row, [create, *releases], f"work_order:{wo_id}", summary)


TARGETS: dict[str, Target] = {
    "record_inspection": record_inspection,
    "downtime_interval": downtime_interval,
    "release_work_order": release_work_order,
}
