"""One SimPy process per piece of equipment: pick, set up, run, report, break down, get maintained.

A machine works only inside the shift calendar. When idle it takes the first *eligible* operation of its
work center's dispatch list (previous operation done, child work orders done, purchased components on
hand, an operator of the shift if operators are modelled) — so it executes the MES's lists, not its own
idea. Processing is lognormal around ``run_time_s_per_unit / speed_factor``; setups depend on the previous
product and family (plus the scenario's lot handling, if any); failures come when the operating time
reaches the life sampled by ``faults.py``.

Maintenance asked for through the MES (a ``CreateMaintenanceOrder`` submitted to the plant by a policy
hook or the decision layer) is done at the next operation boundary once its planned start has come: the
machine goes down for the planned duration, is renewed (its degradation starts over) and serviced (a drift
or elevated scrap on it ends, see ``faults.py``).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

from plantloop.mes.domain.commands import (
    CompleteMaintenance,
    CompleteOperation,
    ConsumeMaterial,
    CreateMaintenanceOrder,
    EndDowntime,
    InspectionResult,
    MaintenanceKind,
    PauseOperation,
    RecordInspection,
    ResumeOperation,
    StartDowntime,
    StartMaintenance,
    StartOperation,
)
from plantloop.mes.domain.work_order import lot_of
from plantloop.sim import supply
from plantloop.sim.faults import FaultRecord, FaultType
from plantloop.sim.orders import OpState, SimOperation
from plantloop.sim.plant import Interval, Machine, Plant
from plantloop.sim.scenario import rng_stream
from plantloop.sim.telemetry import MachineStatus

SimGen = Generator[Any, Any, None]
#: Inspections fail when at least this many sampled units are defective.
INSPECTION_FAIL_AT = 2


class EquipmentProcess:
    def __init__(self, plant: Plant, machine: Machine) -> None:
        self.plant = plant
        self.m = machine
        self.env = plant.env
        self._rng = rng_stream(plant.config.seed, f"process:{machine.id}")

    def _set(self, status: MachineStatus) -> None:
        m = self.m
        if m.status is not status:
            m.status = status
            m.trace.record(self.env.now, status, m.op_total_s)

    def run(self) -> SimGen:
        cal, env, plant, m = self.plant.calendar, self.env, self.plant, self.m
        while True:
            now = env.now
            if not cal.is_working(now):
                self._set(MachineStatus.IDLE)
                nxt = cal.next_start(now)
                if math.isinf(nxt):
                    return
                yield env.timeout(nxt - now)
                continue
            if plant.pm_due(m):
                yield from self._preventive()
                continue
            requested = plant.due_maintenance(m.id)
            if requested is not None:
                yield from self._requested(requested)
                continue
            op = self._pick()
            if op is None:
                self._set(MachineStatus.IDLE)
                yield plant.wait_event(m.work_center_id) | env.timeout(cal.window_end(now) - now)
                continue
            yield from self._execute(op)

    # ---- choosing work -----------------------------------------------------------------------------
    def _pick(self) -> SimOperation | None:
        plant, m = self.plant, self.m
        for op, pinned in plant.dispatch_items(m.work_center_id):
            if op.state is not OpState.WAITING or (pinned and pinned != m.id):
                continue
            if not self._eligible(op):
                continue
            if plant.config.operators:
                operator = plant.find_operator(op, m)
                if operator is None:
                    continue
                op.operator_id = operator
            return op
        return None

    def _eligible(self, op: SimOperation) -> bool:
        wo = op.work_order
        if wo.held or (op.index > 0 and wo.operations[op.index - 1].state is not OpState.DONE):
            return False
        if any(child.completed_s is None or child.held for child, _ in op.child_needs):
            return False
        inv = self.plant.inventory
        return all(inv.on_hand(mat) >= qty - 1e-9 for mat, qty in op.purchased_needs)

    # ---- executing ---------------------------------------------------------------------------------
    def _execute(self, op: SimOperation) -> SimGen:
        plant, m, env = self.plant, self.m, self.env
        wo = op.work_order
        del plant.waiting[op.id]
        op.state = OpState.RUNNING
        op.equipment_id = m.id
        op.started_s = env.now
        if op.operator_id:
            plant.busy_operators.add(op.operator_id)
        plant.send(
            StartOperation(at=plant.now_at, operation_id=op.id, equipment_id=m.id, operator_id=op.operator_id)
        )
        self._consume(op)
        spec = op.spec
        speed = m.spec.speed_factor
        if m.last_material == wo.material_id:
            setup_s = 0.0
        elif m.last_family == wo.family:
            setup_s = spec.minor_setup_time_s / speed
        else:
            setup_s = spec.setup_time_s / speed
        if m.last_step != (wo.order_key, spec.seq):
            setup_s += plant.config.lot_handling_s
        op.setup_s = setup_s
        if setup_s > 0:
            self._set(MachineStatus.SETUP)
            yield from self._work(setup_s, op, running=False)
        cfg = plant.config
        sigma = cfg.processing_sigma
        factor = cfg.processing_slowdown * math.exp(sigma * float(self._rng.standard_normal()) - sigma**2 / 2)
        run_s = op.qty_in * spec.run_time_s_per_unit / speed * factor
        self._set(MachineStatus.RUNNING)
        yield from self._work(run_s, op, running=True)
        self._complete(op)

    def _consume(self, op: SimOperation) -> None:
        plant = self.plant
        wo = op.work_order
        for child, qty in op.child_needs:
            per_unit = qty / wo.qty
            op.qty_in = min(op.qty_in, math.floor(child.qty_good / per_unit + 1e-9))
        for child, qty in op.child_needs:
            used = min(qty, float(child.qty_good))
            if used > 0:
                plant.send(
                    ConsumeMaterial(at=plant.now_at, operation_id=op.id, lot_id=lot_of(child.id), qty=used)
                )
            if child.tainted_by and not wo.tainted_by:
                wo.tainted_by = child.tainted_by
        for mat, qty in op.purchased_needs:
            for lot, _ in supply.consume(plant, op.id, mat, qty):
                if lot.bad:
                    wo.tainted_by = wo.tainted_by or mat
                    plant.records.bad_lot_consumers.append(op.id)
            supply.reorder(plant, mat)

    def _complete(self, op: SimOperation) -> None:
        plant, m, env = self.plant, self.m, self.env
        wo = op.work_order
        outcome = plant.quality.outcome(op, m.id, op.started_s or env.now, env.now)
        scrap = min(outcome.qty_scrap, op.qty_in)
        good = op.qty_in - scrap
        if op.spec.inspection and outcome.qty_inspected > 0:
            failed = outcome.qty_defective >= INSPECTION_FAIL_AT
            plant.send(
                RecordInspection(
                    at=plant.now_at,
                    inspection_id=f"INS-{op.id}",
                    operation_id=op.id,
                    result=InspectionResult.FAIL if failed else InspectionResult.PASS,
                    qty_inspected=outcome.qty_inspected,
                    qty_defective=outcome.qty_defective,
                    defect_code=outcome.defect_code if outcome.qty_defective else None,
                    measurements=outcome.parameters,
                )
            )
        plant.send(
            CompleteOperation(
                at=plant.now_at,
                operation_id=op.id,
                qty_good=good,
                qty_scrap=scrap,
                scrap_defect_code=outcome.defect_code if scrap else None,
                parameters=outcome.parameters,
            )
        )
        op.state = OpState.DONE
        op.completed_s = env.now
        op.qty_good, op.qty_scrap = good, scrap
        op.scrap_by_cause = outcome.scrap_by_cause
        m.last_family, m.last_material = wo.family, wo.material_id
        m.last_step = (wo.order_key, op.spec.seq)
        if op.operator_id:
            plant.busy_operators.discard(op.operator_id)
            plant.wake_all()
        self._set(MachineStatus.IDLE)
        if op.index + 1 < len(wo.operations):
            nxt = wo.operations[op.index + 1]
            nxt.qty_in = good
            plant.wake(nxt.work_center_id)
            return
        wo.completed_s = env.now
        wo.qty_good = good
        if wo.parent is not None:
            for parent_op in wo.parent.operations:
                if any(child is wo for child, _ in parent_op.child_needs):
                    plant.wake(parent_op.work_center_id)

    # ---- time passing --------------------------------------------------------------------------------
    def _work(self, duration_s: float, op: SimOperation, *, running: bool) -> SimGen:
        """Spend ``duration_s`` of working time on ``op``: paused outside shifts, broken by failures."""
        plant, m, env, cal = self.plant, self.m, self.env, self.plant.calendar
        remaining = duration_s
        status = MachineStatus.RUNNING if running else MachineStatus.SETUP
        while remaining > 1e-6:
            now = env.now
            if not cal.is_working(now):
                self._set(MachineStatus.IDLE)
                plant.send(PauseOperation(at=plant.now_at, operation_id=op.id, reason_code="NOOP"))
                yield env.timeout(cal.next_start(now) - now)
                plant.send(ResumeOperation(at=plant.now_at, operation_id=op.id))
                self._set(status)
                continue
            seg = min(remaining, cal.window_end(now) - now)
            failing = False
            if running:
                to_fail = m.life.fail_op - m.op_total_s
                if to_fail <= seg:
                    seg, failing = max(to_fail, 0.0), True
            yield env.timeout(seg)
            remaining -= seg
            m.busy_s += seg
            if running:
                op.run_segments.append((now, now + seg))
                before = m.op_total_s
                m.op_total_s += seg
                life = m.life
                if life.degradation_started_s is None and m.op_total_s >= life.degradation_op:
                    life.degradation_started_s = now + max(0.0, life.degradation_op - before)
            if failing:
                yield from self._breakdown(op)
                self._set(status)

    def _breakdown(self, op: SimOperation) -> SimGen:
        plant, m, env = self.plant, self.m, self.env
        start_s = env.now
        self._set(MachineStatus.DOWN)
        plant.send(PauseOperation(at=plant.now_at, operation_id=op.id, reason_code="BRK"))
        plant.send(StartDowntime(at=plant.now_at, equipment_id=m.id, reason_code="BRK"))
        mo = self._new_maintenance_order()
        plant.send(
            CreateMaintenanceOrder(
                at=plant.now_at,
                maintenance_order_id=mo,
                equipment_id=m.id,
                kind=MaintenanceKind.CORRECTIVE,
                reason="breakdown",
                planned_duration_s=m.spec.reliability.mttr_h * 3600.0,
                issued_by="maintenance",
            )
        )
        plant.send(StartMaintenance(at=plant.now_at, maintenance_order_id=mo, issued_by="maintenance"))
        yield env.timeout(m.failures.repair_s())
        # the downtime ends before the order completes: completing it would close the downtime itself
        plant.send(EndDowntime(at=plant.now_at, equipment_id=m.id))
        plant.send(CompleteMaintenance(at=plant.now_at, maintenance_order_id=mo, issued_by="maintenance"))
        plant.send(ResumeOperation(at=plant.now_at, operation_id=op.id))
        life = m.life
        plant.ground_truth.faults.append(
            FaultRecord(
                FaultType.MACHINE_FAILURE,
                m.id,
                plant.calendar.at(start_s),
                plant.now_at,
                {
                    "degradation_start_at": plant.calendar.at(
                        life.degradation_started_s or start_s
                    ).isoformat(),
                    "operating_h_to_failure": round((life.fail_op - life.op_start) / 3600.0, 3),
                    "repair_h": round((env.now - start_s) / 3600.0, 3),
                    "maintenance_order_id": mo,
                    "operation_id": op.id,
                },
            )
        )
        plant.records.downtime.append(Interval(m.id, start_s, env.now, "BRK"))
        self._renew()

    def _preventive(self) -> SimGen:
        plant, m, env = self.plant, self.m, self.env
        start_s = env.now
        self._set(MachineStatus.DOWN)
        mo = self._new_maintenance_order()
        duration_s = plant.config.pm_duration_h * 3600.0
        plant.send(
            CreateMaintenanceOrder(
                at=plant.now_at,
                maintenance_order_id=mo,
                equipment_id=m.id,
                kind=MaintenanceKind.PREVENTIVE,
                reason="operating hours",
                planned_duration_s=duration_s,
                issued_by=f"policy:{plant.policy.name}",
                details={"operating_h": round((m.op_total_s - m.life.op_start) / 3600.0, 2)},
            )
        )
        plant.send(StartDowntime(at=plant.now_at, equipment_id=m.id, reason_code="PM"))
        plant.send(StartMaintenance(at=plant.now_at, maintenance_order_id=mo, issued_by="maintenance"))
        yield env.timeout(duration_s)
        # the downtime ends before the order completes: completing it would close the downtime itself
        plant.send(EndDowntime(at=plant.now_at, equipment_id=m.id))
        plant.send(CompleteMaintenance(at=plant.now_at, maintenance_order_id=mo, issued_by="maintenance"))
        life = m.life
        if life.degradation_started_s is not None:
            plant.ground_truth.faults.append(
                FaultRecord(
                    FaultType.DEGRADATION,
                    m.id,
                    plant.calendar.at(life.degradation_started_s),
                    plant.now_at,
                    {"outcome": "preventive_maintenance", "maintenance_order_id": mo},
                )
            )
        plant.records.downtime.append(Interval(m.id, start_s, env.now, "PM"))
        plant.quality.maintained(m.id, env.now)
        self._renew()
        self._set(MachineStatus.IDLE)

    def _requested(self, order: CreateMaintenanceOrder) -> SimGen:
        """Carry out a maintenance order the MES was asked for (predictive or quality-driven)."""
        plant, m, env = self.plant, self.m, self.env
        start_s = env.now
        self._set(MachineStatus.DOWN)
        mo = order.maintenance_order_id
        plant.send(StartDowntime(at=plant.now_at, equipment_id=m.id, reason_code="PM"))
        plant.send(StartMaintenance(at=plant.now_at, maintenance_order_id=mo, issued_by="maintenance"))
        yield env.timeout(order.planned_duration_s)
        # the downtime ends before the order completes: completing it would close the downtime itself
        plant.send(EndDowntime(at=plant.now_at, equipment_id=m.id))
        plant.send(CompleteMaintenance(at=plant.now_at, maintenance_order_id=mo, issued_by="maintenance"))
        life = m.life
        if life.degradation_started_s is not None:
            plant.ground_truth.faults.append(
                FaultRecord(
                    FaultType.DEGRADATION,
                    m.id,
                    plant.calendar.at(life.degradation_started_s),
                    plant.now_at,
                    {"outcome": f"{order.kind.value}_maintenance", "maintenance_order_id": mo},
                )
            )
        plant.records.downtime.append(Interval(m.id, start_s, env.now, "PM"))
        plant.quality.maintained(m.id, env.now)
        self._renew()
        self._set(MachineStatus.IDLE)

    def _new_maintenance_order(self) -> str:
        self.m.maintenance_orders += 1
        return f"{self.plant.config.id_prefix}MO-{self.m.id}-{self.m.maintenance_orders:04d}"

    def _renew(self) -> None:
        m = self.m
        m.life.end_s = self.env.now
        m.life = m.failures.new_life(self.env.now, m.op_total_s)
        m.trace.lives.append(m.life)
