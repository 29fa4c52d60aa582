"""The live MES as a scheduling problem: released work, equipment states and master data → ShopProblem.

Read through :class:`~plantloop.mes.queries.MesQueries` only (the MES read side; the optimizer never
touches MES tables). What is scheduled: every operation not completed or cancelled of every released or
in-progress work order that is not on hold. Routing data (alternatives, run and setup times, the BOM
components each step consumes) comes from the plant definition; the shift calendar compresses the time
axis. Equipment that is down (maintenance, stopped, aborted) is expected back after the maintenance
order's planned duration, else after its MTTR. Planned maintenance windows and the maintenance module's
predicted failure windows come in as ``(equipment_id, start, end)`` triples; purchased material that is
short waits for its expected arrival (``material_arrivals``). Each machine starts from what it ran last
(its setup, and the lot whose handling a sibling sub-lot skips: ``RoutingOperation.handling_time_s``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from plantloop.mes.domain.commands import EquipmentState
from plantloop.mes.domain.maintenance import MaintenanceStatus
from plantloop.mes.domain.sub_lots import order_of_lot
from plantloop.mes.domain.work_order import OperationStatus, WorkOrder, WorkOrderStatus
from plantloop.mes.masterdata.schema import MaterialKind, PlantDefinition
from plantloop.mes.queries import MesQueries
from plantloop.optimize.scheduling.shop import (
    MachineState,
    OperationState,
    OrderState,
    Outage,
    ShopProblem,
    build_shop_problem,
)
from plantloop.optimize.scheduling.timeaxis import TimeAxis, calendar_windows

#: how far ahead the calendar is laid out (the plan must fit; a month of backlog is plenty)
CALENDAR_HORIZON_S = 90 * 86_400.0
_DOWN = frozenset({EquipmentState.MAINTENANCE, EquipmentState.STOPPED, EquipmentState.ABORTED})
_OPEN = frozenset({WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS})
_DONE_OPS = frozenset({OperationStatus.COMPLETED, OperationStatus.CANCELLED})


def open_work_orders(queries: MesQueries, page: int = 500) -> list[WorkOrder]:
    """Released and in-progress work orders, every page of them."""
    out: list[WorkOrder] = []
    for status in sorted(_OPEN):
        offset = 0
        while True:
            batch = queries.work_orders(status=status, limit=page, offset=offset)
            out.extend(batch)
            if len(batch) < page:
                break
            offset += page
    return out


def outages_from_windows(
    windows: Iterable[tuple[str, datetime, datetime]], origin_at: datetime, reason: str = "maintenance"
) -> list[Outage]:
    """``(equipment_id, start, end)`` triples (planned or predicted maintenance) as outages."""
    return [
        Outage(eq, (start - origin_at).total_seconds(), (end - origin_at).total_seconds(), reason)
        for eq, start, end in windows
    ]


def shop_from_mes(
    queries: MesQueries,
    plant: PlantDefinition,
    now: datetime,
    *,
    maintenance_windows: Iterable[tuple[str, datetime, datetime]] = (),
    predicted_windows: Iterable[tuple[str, datetime, datetime]] = (),
    material_arrivals: Mapping[str, datetime] | None = None,
    unit_s: float = 60.0,
) -> ShopProblem:
    """Build the plant's scheduling problem at ``now`` (see the module docstring)."""
    axis = TimeAxis.with_windows(
        now, calendar_windows(plant.calendar, plant.site.timezone, now, CALENDAR_HORIZON_S), unit_s
    )
    orders = [wo for wo in open_work_orders(queries) if not wo.held]
    open_ids = {wo.id for wo in orders if any(op.status not in _DONE_OPS for op in wo.operations)}
    short = _short_materials(queries, plant, orders) if material_arrivals else {}
    order_states: list[OrderState] = []
    op_states: list[OperationState] = []
    for wo in orders:
        if wo.id not in open_ids:
            continue
        order_states.append(
            OrderState(
                work_order_id=wo.id,
                material_id=wo.material_id,
                family=_family(plant, wo.material_id),
                due_s=axis.seconds_of(wo.due_at),
                priority=wo.priority,
                released_s=axis.seconds_of(wo.released_at) if wo.released_at else 0.0,
                parent_work_order_id=wo.parent_work_order_id,
            )
        )
        op_states.extend(_operations(wo, plant, axis, now, open_ids, short, material_arrivals or {}))
    machines = _machines(queries, plant, axis)
    outages = outages_from_windows(maintenance_windows, now, "maintenance")
    outages += outages_from_windows(predicted_windows, now, "predicted_failure")
    return build_shop_problem(order_states, op_states, machines, axis, outages, name=f"mes@{now.isoformat()}")


def _operations(
    wo: WorkOrder,
    plant: PlantDefinition,
    axis: TimeAxis,
    now: datetime,
    open_ids: set[str],
    short: Mapping[str, float],
    arrivals: Mapping[str, datetime],
) -> Iterable[OperationState]:
    steps = {r.seq: r for r in plant.routings_by_material[wo.material_id].operations}
    qty = float(wo.qty)
    for op in sorted(wo.operations, key=lambda o: o.seq):
        if op.status in _DONE_OPS:
            qty = float(op.qty_good) if op.status is OperationStatus.COMPLETED else qty
            continue
        step = steps[op.seq]
        children = []
        earliest = 0.0
        for item in step.consumes:
            kind = plant.materials_by_id[item.material_id].kind
            if item.material_id in plant.routings_by_material and kind is not MaterialKind.PURCHASED:
                child = f"{wo.id}~{item.material_id}"
                if child in open_ids:
                    children.append(child)
            elif short.get(item.material_id, 0.0) > 0 and item.material_id in arrivals:
                earliest = max(earliest, axis.seconds_of(arrivals[item.material_id]))
        started = op.status in (OperationStatus.RUNNING, OperationStatus.PAUSED)
        remaining = None
        if started and op.equipment_id is not None:
            speed = plant.equipment[op.equipment_id].speed_factor
            planned = (step.setup_time_s + qty * step.run_time_s_per_unit) / speed + step.handling_time_s
            # elapsed since the start at the standard rate (a pause over a break makes this optimistic)
            done_s = (now - op.started_at).total_seconds() if op.started_at is not None else 0.0
            remaining = max(axis.unit_s, planned - max(0.0, done_s))
        yield OperationState(
            operation_id=op.id,
            work_order_id=wo.id,
            seq=op.seq,
            work_center_ids=(op.work_center_id,) if started else tuple(op.work_center_ids),
            qty=qty,
            run_s_per_unit=step.run_time_s_per_unit,
            setup_s=step.setup_time_s,
            minor_setup_s=step.minor_setup_time_s,
            started_on=op.equipment_id if started else None,
            remaining_s=remaining,
            after_work_orders=tuple(children),
            earliest_s=earliest,
            fixed_s=step.handling_time_s,
            handling_group=order_of_lot(wo.id),
        )


def _machines(queries: MesQueries, plant: PlantDefinition, axis: TimeAxis) -> list[MachineState]:
    states = {e.id: e for e in queries.equipment_states()}
    last = queries.last_runs()
    planned = {
        mo.equipment_id: mo.planned_duration_s
        for mo in queries.maintenance_orders(limit=1000)
        if mo.status is MaintenanceStatus.IN_PROGRESS and mo.planned_duration_s
    }
    out: list[MachineState] = []
    for wc in plant.work_centers.values():
        for eq in wc.equipment:
            state = states.get(eq.id)
            back = 0.0
            if state is not None and state.state in _DOWN:
                since = axis.seconds_of(state.downtime_started_at or state.state_since or axis.origin_at)
                repair = planned.get(eq.id) or eq.reliability.mttr_h * 3600.0
                back = max(since + repair, 0.25 * repair)
            ran = last.get(eq.id)
            out.append(
                MachineState(
                    equipment_id=eq.id,
                    work_center_id=wc.id,
                    speed_factor=eq.speed_factor,
                    available_s=back,
                    last_material=ran.material_id if ran else None,
                    last_family=_family(plant, ran.material_id) if ran else None,
                    last_step=(order_of_lot(ran.work_order_id), ran.seq) if ran else None,
                )
            )
    return out


def _family(plant: PlantDefinition, material_id: str) -> str:
    """The setup family of a product (its own id where master data names none)."""
    material = plant.materials_by_id.get(material_id)
    return (material.family if material is not None else None) or material_id


def _short_materials(
    queries: MesQueries, plant: PlantDefinition, orders: list[WorkOrder]
) -> dict[str, float]:
    """Purchased material needed by open operations minus what is on hand (positive = short)."""
    need: dict[str, float] = {}
    for wo in orders:
        steps = {r.seq: r for r in plant.routings_by_material[wo.material_id].operations}
        for op in wo.operations:
            if op.status in _DONE_OPS or op.status in (OperationStatus.RUNNING, OperationStatus.PAUSED):
                continue
            for item in steps[op.seq].consumes:
                if plant.materials_by_id[item.material_id].kind is MaterialKind.PURCHASED:
                    need[item.material_id] = need.get(item.material_id, 0.0) + wo.qty * item.qty_per
    short: dict[str, float] = {}
    for material, qty in need.items():
        on_hand = sum(lot.qty for lot in queries.lots(material_id=material, limit=10_000) if not lot.held)
        if qty > on_hand:
            short[material] = qty - on_hand
    return short
