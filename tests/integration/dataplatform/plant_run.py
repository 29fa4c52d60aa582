"""A simulated plant feeding the data platform as a real one would: the integration tests' fixture.

The seeded simulator (with dirty data) runs against plantloop's MES (in-memory store); every simulated hour
minutes the MES outbox is collected into the ODS (a real DuckDB file), stamped with the simulated time. Line
``L1`` also books its production in a **legacy MES** (a SQLite database written with the simulator's
``LegacyMesWriter``): the dirty shop-floor stream of that line — duplicates, late and out-of-order sends,
missing fields, test records — is booked there with the legacy MES's own machine codes, and pulled by the
real legacy-DB connector every simulated hour minutes. One code (``ASSY-1-B``) matches nothing in the plant
definition: it must end in the steward queue.

Everything the harness writes is counted here, independently of the platform, so tests compare the
platform's numbers with the simulator's truth.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from plantloop.bootstrap import Container, build_in_memory_container
from plantloop.collect.connectors.legacy_db import LegacyDbPuller, LegacyTableConfig
from plantloop.collect.connectors.mes_outbox import OutboxCollector
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest import OdsStore
from plantloop.kernel.clock import FakeClock
from plantloop.mes.gateway import BusGateway
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.sim.dirty import LEGACY_TIME_FORMAT
from plantloop.sim.run import SimResult, run_simulation
from plantloop.sim.scenario import DirtyConfig, FaultConfig, ScenarioConfig
from plantloop.sim.transports.legacy_db import LegacyMesWriter, ProductionReport

LEGACY_LINE = "L1"
#: The legacy MES's own machine codes: exact, normalizable, and one that matches nothing.
LEGACY_CODES = {"AS-11": "AS11", "AS-12": "ASSY-1-B", "TS-11": "ts 11", "PK-11": "PK-11"}
UNMATCHED_CODE = "ASSY-1-B"
STEP = timedelta(hours=1)


def _field(event: dict[str, Any], name: str, legacy: str) -> Any:
    return event.get(name, event.get(legacy))


@dataclass
class LegacyTruth:
    """What the harness booked in the legacy MES (its own count, not the platform's)."""

    rows: list[ProductionReport] = field(default_factory=list)
    duplicates: int = 0  # rows repeating an earlier row's business content
    test_rows: int = 0
    refused: int = 0  # no good quantity: the legacy MES (NOT NULL) refuses the booking
    without_machine: int = 0  # machine left blank by the operator
    shifted: set[str] = field(default_factory=set)  # operations booked at the entry time, not completion

    def qty_good_by_equipment(self) -> Counter[str]:
        out: Counter[str] = Counter()
        seen: set[tuple[Any, ...]] = set()
        for r in self.rows:
            key = (r.work_order_id, r.equipment_id, r.reported_at, r.qty_good, r.qty_scrap)
            if key in seen or r.work_order_id.startswith("TEST"):
                continue
            seen.add(key)
            out[r.equipment_id] += r.qty_good
        return out


@dataclass
class PlantRun:
    database: Path
    legacy_url: str
    plant: PlantDefinition
    start: datetime
    sim: SimResult
    container: Container
    store: OdsStore
    clock: FakeClock  # the ODS landing clock
    collector: OutboxCollector
    puller: LegacyDbPuller
    writer: LegacyMesWriter
    legacy: LegacyTruth

    def close(self) -> None:
        self.puller.close()
        self.writer.close()
        self.store.close()

    def clean_events(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.sim.shop_floor_events if e["type"] == type_]

    def equipment_of_operation(self) -> dict[str, str]:
        return {e["operation_id"]: e["equipment_id"] for e in self.clean_events("OperationStarted")}


def run_start(days: int) -> datetime:
    """A production-day start (06:00 Asia/Shanghai = 22:00 UTC) ``days + 1`` days ago: all complete days."""
    today = datetime.now(UTC).replace(hour=22, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days + 2)


def run_plant(directory: Path, plant: PlantDefinition, *, days: int = 4, seed: int = 11) -> PlantRun:
    start = run_start(days)
    config = ScenarioConfig(
        seed=seed,
        days=days,
        start_at=start,
        policy="atcs",  # dispatch lists from the scheduler and preventive maintenance by operating hours
        telemetry_hz=0,
        telemetry_chunk_s=int(STEP.total_seconds()),
        faults=FaultConfig(failure_rate_factor=6.0),
        dirty=DirtyConfig(enabled=True, duplicate_p=0.06, missing_field_p=0.02, test_record_p=0.01),
        # the MES refuses a few EndDowntime of the twin (none open): recorded in sim.plant.rejected
        strict_gateway=False,
    )
    mes_clock = FakeClock(start + STEP)
    container = build_in_memory_container(plant=plant, clock=mes_clock)
    ods_clock = FakeClock(start)
    store = OdsStore(directory / "plant.duckdb", clock=ods_clock)
    landing = Landing.for_plant(store, plant)
    collector = OutboxCollector(container.outbox_reader, landing)

    def every_step(done_s: float, _horizon_s: float) -> None:
        now = start + timedelta(seconds=done_s)
        ods_clock.set(now + timedelta(seconds=30))  # landed half a minute after the step closed
        collector.drain()
        mes_clock.set(now + STEP)  # the MES records the next step's events by its end

    sim = run_simulation(
        config, BusGateway(container.bus, container.queries), plant=plant, progress=every_step
    )
    legacy_url = f"sqlite:///{directory / 'legacy_mes.db'}"
    writer = LegacyMesWriter(legacy_url, timezone=plant.site.timezone)
    puller = LegacyDbPuller(
        legacy_url,
        landing,
        [LegacyTableConfig("T_PROD_REPORT", timezone=plant.site.timezone)],
        source="legacy:mes",
    )
    run = PlantRun(
        directory / "plant.duckdb", legacy_url, plant, start, sim, container, store, ods_clock, collector,
        puller, writer, LegacyTruth(),
    )  # fmt: skip
    _book_legacy(run, start + timedelta(days=days))
    return run


def _legacy_rows(run: PlantRun) -> list[tuple[datetime, ProductionReport | None, str]]:
    """(sent_at, report or None when refused, kind) for the legacy line's completions, in send order."""
    plant, truth = run.plant, run.legacy
    equipment_of = run.equipment_of_operation()
    operator_of = {e["operation_id"]: e.get("operator_id") for e in run.clean_events("OperationStarted")}
    line_of_clean = {
        e["event_id"]: plant.line_of.get(equipment_of.get(e["operation_id"], ""))
        for e in run.clean_events("OperationCompleted")
    }
    out: list[tuple[datetime, ProductionReport | None, str]] = []
    seen: set[tuple[Any, ...]] = set()
    for event in run.sim.dirty_events:
        if _field(event, "type", "EVT_TYPE") != "OperationCompleted":
            continue
        event_id = _field(event, "event_id", "EVT_ID")
        op = _field(event, "operation_id", "OPER_NO")
        is_test = _field(event, "equipment_id", "MACH_ID") == "TEST-BENCH-01"
        if not is_test and line_of_clean.get(event_id) != LEGACY_LINE:
            continue
        sent = datetime.fromisoformat(event["sent_at"])
        occurred = _field(event, "occurred_at", "EVT_TIME")
        if occurred is None:
            reported = sent  # the legacy MES stamps the entry time when the terminal sent none
            truth.shifted.add(str(op))
        elif "T" in str(occurred):
            reported = datetime.fromisoformat(occurred)
        else:
            reported = datetime.strptime(occurred, LEGACY_TIME_FORMAT).replace(tzinfo=UTC)
        qty_good = _field(event, "qty_good", "QTY_OK")
        if is_test and qty_good is None:
            qty_good = 1  # a trainer's test booking of one unit
        if qty_good is None:
            truth.refused += 1
            out.append((sent, None, "refused"))
            continue
        equipment = "TEST-BENCH-01" if is_test else equipment_of.get(str(op), "") if op else ""
        report = ProductionReport(
            work_order_id=str(op).rsplit("/", 1)[0] if op else "",
            equipment_id=LEGACY_CODES.get(equipment, equipment),
            reported_at=reported,
            qty_good=int(qty_good),
            qty_scrap=int(_field(event, "qty_scrap", "QTY_NG") or 0),
            operator_id="TEST" if is_test else operator_of.get(str(op)),
        )
        key = (
            report.work_order_id,
            report.equipment_id,
            report.reported_at,
            report.qty_good,
            report.qty_scrap,
        )
        truth.duplicates += key in seen
        seen.add(key)
        truth.test_rows += is_test
        truth.without_machine += equipment == ""
        out.append((sent, report, "test" if is_test else "booked"))
    return out


def _book_legacy(run: PlantRun, until: datetime) -> None:
    """Book each row when it was sent and pull every step, so late sends land late."""
    pending = sorted(_legacy_rows(run), key=lambda r: r[0])
    at, i = run.start, 0
    while at <= until + timedelta(hours=8) or i < len(pending):
        at += STEP
        batch = []
        while i < len(pending) and pending[i][0] <= at:
            if pending[i][1] is not None:
                batch.append(pending[i][1])
            i += 1
        if batch:
            run.writer.write(batch)
            run.legacy.rows.extend(batch)
        run.clock.set(at + timedelta(seconds=30))
        run.puller.pull_all()
