"""The scheduler's view of the simulated plant: what an APS could read from the MES at this moment.

Open operations (not started) with their routing data and the component orders they wait for; running
operations with the expected working time left (standard times: the twin's random processing time is not
known to anyone); machines with speed, last product and, when down, the expected end of the repair (the
maintenance order's planned duration: MTTR, or the PM duration); and the shift calendar's working windows.
An order whose lot is on hold, or that consumes a held component lot, is expected to go on when the review
board is due to decide (``ScenarioConfig.mrb_review_h`` after the hold; later if that time has passed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plantloop.sim.orders import OpState
from plantloop.sim.policies import MachineView, OperationView, PlantSnapshot

if TYPE_CHECKING:
    from plantloop.sim.plant import Plant

#: how far ahead the snapshot lists the shift calendar's working windows
SNAPSHOT_CALENDAR_S = 60 * 86_400.0


def take_snapshot(plant: Plant) -> PlantSnapshot:
    """Open operations, running ones with their expected rest, machines with outages, the calendar."""
    views = []
    held_until = _held_until(plant)
    for op in plant.waiting.values():
        wo = op.work_order
        prev_done = op.index == 0 or wo.operations[op.index - 1].state is OpState.DONE
        ready = prev_done and all(c.completed_s is not None for c, _ in op.child_needs)
        qty = op.qty_in or wo.qty
        spec = op.spec
        views.append(
            OperationView(
                operation_id=op.id,
                work_order_id=wo.id,
                material_id=wo.material_id,
                family=wo.family,
                work_center_id=op.work_center_id,
                alternatives=tuple(spec.work_center_ids),
                ready=ready,
                run_s=qty * spec.run_time_s_per_unit / plant.mean_speed[op.work_center_id],
                setup_s=spec.setup_time_s,
                minor_setup_s=spec.minor_setup_time_s,
                remaining_s=op.remaining_s,
                due_s=wo.due_s,
                priority=wo.priority,
                released_s=wo.released_s or 0.0,
                order_index=op.order_index,
                order_key=wo.order_key,
                seq=spec.seq,
                qty=float(qty),
                run_s_per_unit=spec.run_time_s_per_unit,
                after_work_orders=tuple(c.id for c, _ in op.child_needs if c.completed_s is None),
                parent_work_order_id=wo.parent.id if wo.parent is not None else None,
                held_until_s=max(
                    [held_until.get(wo.id, 0.0)] + [held_until.get(c.id, 0.0) for c, _ in op.child_needs]
                ),
            )
        )
    now = plant.env.now
    machines = [
        MachineView(
            m.id,
            m.work_center_id,
            m.last_family,
            m.status.name.lower(),
            speed_factor=m.spec.speed_factor,
            last_material=m.last_material,
            available_s=_back_at(plant, m.id),
            last_step=m.last_step,
        )
        for m in plant.machines.values()
    ]
    return PlantSnapshot(
        now,
        plant.now_at,
        views,
        machines,
        dict(plant.equipment_count),
        running=_running_views(plant),
        working_windows=_windows(plant, now, now + SNAPSHOT_CALENDAR_S),
        run_time_ratio=_run_time_ratio(plant),
        lot_handling_s=plant.config.lot_handling_s,
    )


def _held_until(plant: Plant) -> dict[str, float]:
    """Held work order id → when its review is due to end (an overdue review: an hour from now)."""
    now = plant.env.now
    review_s = plant.config.mrb_review_h * 3600.0
    out: dict[str, float] = {}
    for review in plant.records.reviews:
        if review.released_s is None:
            due = review.held_s + review_s
            out[review.work_order_id] = due if due > now else now + min(review_s, 3600.0)
    return out


def _run_time_ratio(plant: Plant) -> float:
    actual = standard = 0.0
    for op in plant.ops.values():
        if op.state is OpState.DONE and op.equipment_id is not None and op.qty_in > 0:
            actual += sum(b - a for a, b in op.run_segments)
            standard += (
                op.qty_in * op.spec.run_time_s_per_unit / plant.machines[op.equipment_id].spec.speed_factor
            )
    return actual / standard if standard > 0 else 1.0


def _back_at(plant: Plant, equipment_id: str) -> float:
    down = plant.down_since.get(equipment_id)
    if down is None:
        return 0.0
    since, repair_s = down
    # the repair takes its expected time; if it overruns, expect a quarter of it more
    return max(since + repair_s, plant.env.now + 0.25 * repair_s)


def _running_views(plant: Plant) -> list[OperationView]:
    out = []
    for op in plant.ops.values():
        if op.state is not OpState.RUNNING or op.equipment_id is None:
            continue
        wo, spec = op.work_order, op.spec
        m = plant.machines[op.equipment_id]
        planned = op.setup_s + op.qty_in * spec.run_time_s_per_unit / m.spec.speed_factor
        done = plant.calendar.working_s(op.started_s or plant.env.now, plant.env.now)
        if op.equipment_id in plant.down_since:
            done -= plant.env.now - plant.down_since[op.equipment_id][0]
        out.append(
            OperationView(
                operation_id=op.id,
                work_order_id=wo.id,
                material_id=wo.material_id,
                family=wo.family,
                work_center_id=op.work_center_id,
                alternatives=(op.work_center_id,),
                ready=True,
                run_s=planned,
                setup_s=spec.setup_time_s,
                minor_setup_s=spec.minor_setup_time_s,
                remaining_s=op.remaining_s,
                due_s=wo.due_s,
                priority=wo.priority,
                released_s=wo.released_s or 0.0,
                order_index=op.order_index,
                order_key=wo.order_key,
                equipment_id=op.equipment_id,
                seq=spec.seq,
                qty=float(op.qty_in),
                run_s_per_unit=spec.run_time_s_per_unit,
                parent_work_order_id=wo.parent.id if wo.parent is not None else None,
                remaining_work_s=max(60.0, planned - max(done, 0.0)),
            )
        )
    return out


def _windows(plant: Plant, t0: float, t1: float) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = []
    t = t0
    while t < t1:
        start = plant.calendar.next_start(t)
        if start == float("inf"):
            break
        end = plant.calendar.window_end(start)
        if end <= start:
            break
        out.append((start, end))
        t = end
    return tuple(out)
