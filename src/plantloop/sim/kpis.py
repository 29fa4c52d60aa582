"""KPIs of a run, computed from the simulator's own records (not from the MES).

- on-time rate: of the sales orders that are due within the horizon or completed, the share completed by
  their due time (orders due later and not finished yet are not judged);
- OEE per ISO 22400 over all equipment: availability = actual production time / planned busy time
  (shift time minus planned downtime), performance = planned run time per unit × produced quantity /
  actual production time, quality = good quantity / produced quantity (operations completed in the run);
- scrap rate: scrapped units / units entering completed operations.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from plantloop.sim.orders import OpState
from plantloop.sim.plant import Plant


class Kpis(BaseModel):
    orders_released: int
    orders_completed: int
    orders_evaluated: int
    orders_on_time: int
    on_time_rate: float
    mean_tardiness_h: float
    throughput_units: int
    scrap_rate: float
    unplanned_downtime_h: float
    planned_downtime_h: float
    availability: float
    performance: float
    quality: float
    oee: float
    mean_lead_time_h: float
    events_emitted: int
    commands_sent: dict[str, int]
    commands_rejected: int
    faults_injected: list[dict[str, Any]]
    orders_per_day: float
    bottleneck_work_center: str
    dispatch_reads: int
    telemetry_samples: int


def _ratio(num: float, den: float) -> float:
    return round(num / den, 6) if den > 0 else 0.0


def compute_kpis(
    plant: Plant,
    *,
    orders_per_day: float,
    bottleneck: str,
    events_emitted: int | None,
    telemetry_samples: int,
) -> Kpis:
    horizon = plant.config.horizon_s
    top = [wo for wo in plant.records.work_orders if wo.is_top_level]
    completed = [wo for wo in top if wo.completed_s is not None]
    judged = [wo for wo in top if wo.completed_s is not None or wo.due_s <= horizon]
    on_time = [wo for wo in judged if wo.completed_s is not None and wo.completed_s <= wo.due_s]
    tardiness = [
        max(0.0, (wo.completed_s if wo.completed_s is not None else horizon) - wo.due_s) for wo in judged
    ]
    lead = [(wo.completed_s or 0.0) - (wo.released_s or 0.0) for wo in completed]

    done_ops = [op for op in plant.ops.values() if op.state is OpState.DONE]
    produced = sum(op.qty_in for op in done_ops)
    scrap = sum(op.qty_scrap for op in done_ops)
    good = produced - scrap
    apt_all = sum(plant.horizon_clip(a, b) for op in plant.ops.values() for a, b in op.run_segments)
    apt_done = sum(b - a for op in done_ops for a, b in op.run_segments)
    standard = sum(
        op.qty_in * op.spec.run_time_s_per_unit / plant.machines[op.equipment_id or ""].spec.speed_factor
        for op in done_ops
    )
    shift_s = plant.calendar.working_s(0.0, horizon) * len(plant.machines)
    planned_down = sum(
        plant.horizon_clip(i.start_s, i.end_s) for i in plant.records.downtime if i.kind == "PM"
    )
    unplanned = sum(plant.horizon_clip(i.start_s, i.end_s) for i in plant.records.downtime if i.kind == "BRK")
    availability = _ratio(apt_all, shift_s - planned_down)
    performance = _ratio(standard, apt_done)
    quality = _ratio(good, produced)
    sent = dict(sorted(plant.commands_sent.items()))
    return Kpis(
        orders_released=len(top),
        orders_completed=len(completed),
        orders_evaluated=len(judged),
        orders_on_time=len(on_time),
        on_time_rate=_ratio(len(on_time), len(judged)),
        mean_tardiness_h=round(sum(tardiness) / len(tardiness) / 3600, 4) if tardiness else 0.0,
        throughput_units=sum(wo.qty_good for wo in completed),
        scrap_rate=_ratio(scrap, produced),
        unplanned_downtime_h=round(unplanned / 3600, 4),
        planned_downtime_h=round(planned_down / 3600, 4),
        availability=availability,
        performance=performance,
        quality=quality,
        oee=round(availability * performance * quality, 6),
        mean_lead_time_h=round(sum(lead) / len(lead) / 3600, 4) if lead else 0.0,
        events_emitted=events_emitted if events_emitted is not None else sum(sent.values()),
        commands_sent=sent,
        commands_rejected=len(plant.rejected),
        faults_injected=[f.to_dict() for f in plant.ground_truth.faults],
        orders_per_day=round(orders_per_day, 4),
        bottleneck_work_center=bottleneck,
        dispatch_reads=plant.dispatch_reads,
        telemetry_samples=telemetry_samples,
    )
