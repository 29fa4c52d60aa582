"""Command handlers: one per command, named verb_noun. Each loads aggregates through the unit of work,
calls the domain, and returns a small result (ids); the message bus commits and writes the events.

One module per area (orders and dispatch, operations, equipment and maintenance, material and quality);
the wiring table (:data:`HANDLERS`) is below and fits on one screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plantloop.mes.domain import commands as c
from plantloop.mes.handlers.context import Context
from plantloop.mes.handlers.equipment import (
    change_equipment_state,
    complete_maintenance,
    create_maintenance_order,
    end_downtime,
    start_downtime,
    start_maintenance,
)
from plantloop.mes.handlers.material import (
    consume_material,
    hold_lot,
    receive_material_lot,
    record_inspection,
    release_lot,
)
from plantloop.mes.handlers.operations import (
    complete_operation,
    pause_operation,
    resume_operation,
    start_operation,
)
from plantloop.mes.handlers.orders import (
    cancel_work_order,
    change_work_order,
    create_work_order,
    publish_dispatch_lists,
    release_work_order,
)

__all__ = ["HANDLERS", "Context", "Handler"]

Handler = Callable[[Any, Context], Any]

HANDLERS: dict[type[c.Command], Handler] = {
    c.CreateWorkOrder: create_work_order,
    c.ReleaseWorkOrder: release_work_order,
    c.CancelWorkOrder: cancel_work_order,
    c.ChangeWorkOrder: change_work_order,
    c.PublishDispatchLists: publish_dispatch_lists,
    c.StartOperation: start_operation,
    c.PauseOperation: pause_operation,
    c.ResumeOperation: resume_operation,
    c.CompleteOperation: complete_operation,
    c.StartDowntime: start_downtime,
    c.EndDowntime: end_downtime,
    c.ChangeEquipmentState: change_equipment_state,
    c.ReceiveMaterialLot: receive_material_lot,
    c.ConsumeMaterial: consume_material,
    c.HoldLot: hold_lot,
    c.ReleaseLot: release_lot,
    c.RecordInspection: record_inspection,
    c.CreateMaintenanceOrder: create_maintenance_order,
    c.StartMaintenance: start_maintenance,
    c.CompleteMaintenance: complete_maintenance,
}
