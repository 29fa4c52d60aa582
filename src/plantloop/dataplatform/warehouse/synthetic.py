"""Synthetic MES events in ODS shape, for tests, benchmarks and demos — with their ground truth.

:class:`OdsEventLog` writes the envelopes our MES would write (same types, same payload fields as
:mod:`plantloop.mes.domain.events`) as ODS rows of ``ods_mes__events``. :func:`generate_plant_days`
drives it for a few machines over whole shifts: operations at a known speed loss, breakdowns, planned
maintenance, scrap and inspections, and records per equipment and shift what it generated, so that
warehouse results can be checked against an independent computation.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from plantloop.dataplatform.ingest.schema import ODS_COLUMNS, ods_table_ddl
from plantloop.dataplatform.warehouse.seeds import shift_instances
from plantloop.mes.masterdata.schema import PlantDefinition

ODS_EVENTS = "ods_mes__events"


@dataclass
class ShiftTruth:
    """What was generated for one equipment in one shift (seconds and units)."""

    planned_downtime_s: float = 0.0
    unplanned_downtime_s: float = 0.0
    ideal_output_time_s: float = 0.0
    qty_good: int = 0
    qty_scrap: int = 0
    failures: int = 0


@dataclass
class OdsEventLog:
    """Collects ODS rows; ``ingested_at`` defaults to the occurrence time (on-time arrival)."""

    plant: PlantDefinition
    source: str = "mes"
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        type: str,
        at: datetime,
        payload: dict[str, Any],
        *,
        subject: str,
        location: str | None = None,
        ingested_at: datetime | None = None,
    ) -> str:
        body = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in payload.items()}
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{type}/{subject}/{at.isoformat()}/{len(self.rows)}"))
        self.rows.append(
            {
                "event_id": event_id,
                "type": type,
                "schema_version": 1,
                "occurred_at": at,
                "recorded_at": at,
                "equipment_path": self.plant.equipment_paths.get(location or ""),
                "subject": subject,
                "payload": json.dumps(body, separators=(",", ":")),
                "source": self.source,
                "source_key": str(len(self.rows)),
                "ingested_at": ingested_at or at,
                "batch_id": "synthetic",
            }
        )
        return event_id

    # ---- domain-shaped writers -------------------------------------------------------------------
    def operation(
        self,
        *,
        operation_id: str,
        work_order_id: str,
        material_id: str,
        seq: int,
        equipment_id: str,
        started_at: datetime,
        completed_at: datetime,
        qty_good: int,
        qty_scrap: int,
        scrap_defect_code: str | None = None,
        ingested_at: datetime | None = None,
    ) -> None:
        wc = self.plant.work_center_of[equipment_id]
        lot = f"LOT-{work_order_id}"
        self.state(equipment_id, started_at, "idle", "execute", operation_id, ingested_at)
        self.add(
            "OperationStarted",
            started_at,
            {
                "operation_id": operation_id, "work_order_id": work_order_id, "material_id": material_id,
                "seq": seq, "work_center_id": wc, "equipment_id": equipment_id, "operator_id": None,
                "lot_id": lot,
            },
            subject=operation_id, location=equipment_id, ingested_at=ingested_at,
        )  # fmt: skip
        self.add(
            "OperationCompleted",
            completed_at,
            {
                "operation_id": operation_id, "work_order_id": work_order_id, "material_id": material_id,
                "seq": seq, "work_center_id": wc, "equipment_id": equipment_id, "operator_id": None,
                "qty_good": qty_good, "qty_scrap": qty_scrap, "scrap_defect_code": scrap_defect_code,
                "parameters": {}, "started_at": started_at,
                "duration_s": (completed_at - started_at).total_seconds(), "lot_id": lot,
            },
            subject=operation_id, location=equipment_id, ingested_at=ingested_at,
        )  # fmt: skip
        self.state(equipment_id, completed_at, "execute", "idle", operation_id, ingested_at)

    def state(
        self,
        equipment_id: str,
        at: datetime,
        from_state: str,
        to_state: str,
        operation_id: str | None = None,
        ingested_at: datetime | None = None,
    ) -> None:
        payload = {
            "equipment_id": equipment_id,
            "from_state": from_state,
            "to_state": to_state,
            "operation_id": operation_id,
        }
        self.add(
            "EquipmentStateChanged",
            at,
            payload,
            subject=equipment_id,
            location=equipment_id,
            ingested_at=ingested_at,
        )

    def downtime(
        self,
        *,
        equipment_id: str,
        started_at: datetime,
        ended_at: datetime,
        reason_code: str,
        planned: bool,
        ingested_at: datetime | None = None,
    ) -> None:
        down = "aborted" if reason_code == "BRK" else ("stopped" if planned else "held")
        self.state(equipment_id, started_at, "idle", down, None, ingested_at)
        self.add(
            "DowntimeStarted",
            started_at,
            {
                "equipment_id": equipment_id, "reason_code": reason_code, "planned": planned,
                "operation_id": None,
            },
            subject=equipment_id, location=equipment_id, ingested_at=ingested_at,
        )  # fmt: skip
        self.add(
            "DowntimeEnded",
            ended_at,
            {
                "equipment_id": equipment_id, "reason_code": reason_code, "planned": planned,
                "started_at": started_at, "duration_s": (ended_at - started_at).total_seconds(),
            },
            subject=equipment_id, location=equipment_id, ingested_at=ingested_at,
        )  # fmt: skip
        self.state(equipment_id, ended_at, down, "idle", None, ingested_at)

    def inspection(
        self,
        *,
        inspection_id: str,
        operation_id: str,
        work_order_id: str,
        material_id: str,
        equipment_id: str,
        at: datetime,
        qty_inspected: int,
        qty_defective: int,
        defect_code: str | None,
    ) -> None:
        self.add(
            "InspectionRecorded",
            at,
            {
                "inspection_id": inspection_id, "operation_id": operation_id, "work_order_id": work_order_id,
                "lot_id": f"LOT-{work_order_id}", "material_id": material_id, "equipment_id": equipment_id,
                "result": "fail" if qty_defective else "pass", "qty_inspected": qty_inspected,
                "qty_defective": qty_defective, "defect_code": defect_code, "measurements": {},
                "inspector_id": None,
            },
            subject=inspection_id, location=equipment_id,
        )  # fmt: skip

    def work_order(
        self,
        *,
        work_order_id: str,
        material_id: str,
        qty: int,
        created_at: datetime,
        due_at: datetime,
        completed_at: datetime | None = None,
        qty_good: int = 0,
        qty_scrap: int = 0,
    ) -> None:
        base = {"work_order_id": work_order_id, "material_id": material_id, "qty": qty, "due_at": due_at}
        self.add(
            "WorkOrderCreated",
            created_at,
            base | {"priority": 5, "parent_work_order_id": None, "sales_order_id": None, "customer": None,
                    "operation_ids": []},
            subject=work_order_id,
        )  # fmt: skip
        self.add("WorkOrderReleased", created_at, base, subject=work_order_id)
        if completed_at is not None:
            self.add(
                "WorkOrderCompleted",
                completed_at,
                base | {"qty_good": qty_good, "qty_scrap": qty_scrap, "completed_at": completed_at,
                        "lot_id": f"LOT-{work_order_id}"},
                subject=work_order_id,
            )  # fmt: skip

    # ---- output ----------------------------------------------------------------------------------
    def to_arrow(self) -> pa.Table:
        cols = {c: [r[c] for r in self.rows] for c in ODS_COLUMNS}
        ts = pa.timestamp("us", tz="UTC")
        schema = pa.schema(
            [
                (c, ts if c in ("occurred_at", "recorded_at", "ingested_at") else
                 (pa.int32() if c == "schema_version" else pa.string()))
                for c in ODS_COLUMNS
            ]
        )  # fmt: skip
        return pa.table(cols, schema=schema)

    def write(self, con: duckdb.DuckDBPyConnection, table: str = ODS_EVENTS) -> int:
        """Append the collected rows to ``table`` (created with the ingest DDL when missing)."""
        con.execute(ods_table_ddl(table))
        data = self.to_arrow()
        con.register("_synthetic", data)
        try:
            cols = ", ".join(ODS_COLUMNS)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _synthetic")
        finally:
            con.unregister("_synthetic")
        n = len(self.rows)
        self.rows.clear()
        return n


def _capabilities(plant: PlantDefinition) -> dict[str, list[tuple[str, int, float]]]:
    """Work center → [(material_id, seq, run_time_s_per_unit)] it can execute."""
    out: dict[str, list[tuple[str, int, float]]] = {}
    for routing in plant.routings:
        for op in routing.operations:
            for wc in op.work_center_ids:
                out.setdefault(wc, []).append((routing.material_id, op.seq, op.run_time_s_per_unit))
    return out


def generate_plant_days(
    log: OdsEventLog,
    equipment_ids: list[str],
    first_day: date,
    days: int,
    *,
    seed: int = 7,
) -> dict[tuple[str, datetime], ShiftTruth]:
    """Fill ``log`` with whole shifts of work on ``equipment_ids``; returns the truth per (equipment,
    shift start).

    Every operation lies inside one shift; a shift may hold one planned stop (PM) and one breakdown.
    """
    rng = random.Random(seed)
    plant = log.plant
    caps = _capabilities(plant)
    truth: dict[tuple[str, datetime], ShiftTruth] = {}
    last = first_day + timedelta(days=days - 1)
    n = 0
    for shift_date, _sid, _name, _wd, start_s, end_s in shift_instances(plant, first_day, last):
        start = datetime.fromisoformat(start_s).replace(tzinfo=UTC)
        end = datetime.fromisoformat(end_s).replace(tzinfo=UTC)
        for eq_id in equipment_ids:
            eq = plant.equipment[eq_id]
            options = caps[plant.work_center_of[eq_id]]
            t = start + timedelta(minutes=rng.randint(0, 20))
            st = truth.setdefault((eq_id, start.replace(tzinfo=None)), ShiftTruth())
            stops: list[tuple[datetime, datetime, str, bool]] = []
            if rng.random() < 0.3:
                at = start + timedelta(hours=rng.uniform(1, 3))
                stops.append((at, at + timedelta(minutes=rng.randint(15, 40)), "PM", True))
            if rng.random() < 0.4:
                at = start + timedelta(hours=rng.uniform(4, 6))
                stops.append((at, at + timedelta(minutes=rng.randint(10, 60)), "BRK", False))
            while True:
                if stops and t >= stops[0][0]:
                    s0, s1, reason, planned = stops.pop(0)
                    s0 = max(s0, t)
                    log.downtime(
                        equipment_id=eq_id, started_at=s0, ended_at=s1, reason_code=reason, planned=planned
                    )
                    dur = (s1 - s0).total_seconds()
                    if planned:
                        st.planned_downtime_s += dur
                    else:
                        st.unplanned_downtime_s += dur
                        st.failures += 1
                    t = s1 + timedelta(minutes=rng.randint(1, 5))
                    continue
                material, seq, run_s = options[rng.randrange(len(options))]
                qty = rng.randint(20, 120)
                ideal = run_s / eq.speed_factor
                op_end = t + timedelta(seconds=ideal * qty * rng.uniform(1.05, 1.4))
                if op_end >= end - timedelta(minutes=5) or (stops and op_end > stops[0][0]):
                    if stops:
                        t = stops[0][0]
                        continue
                    break
                n += 1
                wo, op_id = f"WO-{shift_date}-{eq_id}-{n}", f"OP-{n}"
                scrap = rng.choice([0, 0, 0, 1, 2, 5])
                code = rng.choice(["D-CRACK", "D-LEAK", "D-COSM", "D-DIM"]) if scrap else None
                log.work_order(
                    work_order_id=wo, material_id=material, qty=qty, created_at=t - timedelta(hours=4),
                    due_at=t + timedelta(hours=rng.choice([1, 2, 8])), completed_at=op_end,
                    qty_good=qty - scrap, qty_scrap=scrap,
                )  # fmt: skip
                log.operation(
                    operation_id=op_id, work_order_id=wo, material_id=material, seq=seq, equipment_id=eq_id,
                    started_at=t, completed_at=op_end, qty_good=qty - scrap, qty_scrap=scrap,
                    scrap_defect_code=code,
                )  # fmt: skip
                if rng.random() < 0.5:
                    bad = rng.choice([0, 0, 1, 2])
                    log.inspection(
                        inspection_id=f"INS-{n}", operation_id=op_id, work_order_id=wo, material_id=material,
                        equipment_id=eq_id, at=op_end + timedelta(seconds=30), qty_inspected=5,
                        qty_defective=bad, defect_code="D-NOISE" if bad else None,
                    )  # fmt: skip
                st.ideal_output_time_s += ideal * qty
                st.qty_good += qty - scrap
                st.qty_scrap += scrap
                t = op_end + timedelta(seconds=rng.randint(30, 600))
    return truth
