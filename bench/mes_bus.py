"""MES command throughput: how many commands per second the message bus handles on a SQLite file.

A simulator-like mix drives the real bus: receive purchased lots, create and release orders (with BOM
explosion), then per operation start → consume components → complete, a downtime now and then, and a
dispatch-list read before each start. Measured three ways in the same run:

- ``sqlite``: one transaction per command on a SQLite file (WAL) — the figure;
- ``sqlite-batch``: the same inside ``bus.batch()`` (group commit; reads are flush barriers);
- ``memory``: the in-memory twin, no I/O — the baseline (upper bound of the Python work itself; its
  read side scans, so it slows down with many orders).

Wall-clock figures depend on what else runs on the machine; commands per CPU-second are printed too.

    python bench/mes_bus.py                  # small default (60 orders)
    python bench/mes_bus.py --orders 2000 --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402

from plantloop.bootstrap import Container, build_container, build_in_memory_container  # noqa: E402
from plantloop.kernel.clock import FakeClock  # noqa: E402
from plantloop.kernel.settings import Settings  # noqa: E402
from plantloop.mes.domain import commands as c  # noqa: E402
from plantloop.mes.masterdata import PlantDefinition, load_reference_plant  # noqa: E402
from plantloop.mes.masterdata.schema import MaterialKind  # noqa: E402


def _drive(mes: Container, orders: int, progress: Progress | None, label: str) -> tuple[int, float, float]:
    plant: PlantDefinition = mes.plant
    bus, queries, clock = mes.bus, mes.queries, mes.clock
    assert isinstance(clock, FakeClock)
    n = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for m in plant.materials:
        if m.kind is MaterialKind.PURCHASED:
            bus.handle(
                c.ReceiveMaterialLot(
                    lot_id=f"L-{m.id}", material_id=m.id, supplier_id=m.supplier_ids[0], qty=1e12
                )
            )
            n += 1
    products = [p.id for p in plant.products]
    task = progress.add_task(label, total=orders) if progress else None
    for i in range(orders):
        wo_id = f"WO{i:05d}"
        ids = bus.handle(
            c.CreateWorkOrder(
                work_order_id=wo_id,
                material_id=products[i % len(products)],
                qty=40,
                due_at=clock.now() + timedelta(days=3),
            )
        )
        bus.handle(c.ReleaseWorkOrder(work_order_id=wo_id))
        n += 2
        for order_id in reversed(ids):  # children first
            wo = queries.work_order(order_id)
            assert wo is not None
            routing = {r.seq: r for r in plant.routings_by_material[wo.material_id].operations}
            for op in wo.operations:
                queries.dispatch_list(op.work_center_id, ready_only=True)
                eq = (
                    plant.work_centers[op.work_center_id]
                    .equipment[i % len(plant.work_centers[op.work_center_id].equipment)]
                    .id
                )
                clock.advance(30)
                bus.handle(c.StartOperation(operation_id=op.id, equipment_id=eq))
                n += 1
                for item in routing[op.seq].consumes:
                    kind = plant.materials_by_id[item.material_id].kind
                    lot = (
                        f"L-{item.material_id}"
                        if kind is MaterialKind.PURCHASED
                        else f"LOT-{order_id}~{item.material_id}"
                    )
                    bus.handle(c.ConsumeMaterial(operation_id=op.id, lot_id=lot, qty=item.qty_per * wo.qty))
                    n += 1
                if (i + op.seq) % 7 == 0:
                    bus.handle(c.StartDowntime(equipment_id=eq, reason_code="MINOR"))
                    clock.advance(120)
                    bus.handle(c.EndDowntime(equipment_id=eq))
                    n += 2
                clock.advance(900)
                bus.handle(c.CompleteOperation(operation_id=op.id, qty_good=wo.qty, parameters={"p": 1.0}))
                n += 1
        if progress and task is not None:
            progress.advance(task)
    return n, time.perf_counter() - start, time.process_time() - cpu_start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=60, help="customer orders to run (children come on top)")
    ap.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = ap.parse_args()
    plant = load_reference_plant()
    console = Console(stderr=True)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp, Progress(console=console, transient=True) as progress:
        for mode in ("sqlite", "sqlite-batch", "memory"):
            settings = Settings(data_dir=Path(tmp) / mode)
            clock = FakeClock()
            mes = (
                build_in_memory_container(settings, plant=plant, clock=clock)
                if mode == "memory"
                else build_container(settings, plant=plant, clock=clock)
            )
            ctx = mes.bus.batch() if mode == "sqlite-batch" else contextlib.nullcontext()
            with ctx:
                n, secs, cpu_s = _drive(mes, args.orders, progress, mode)
            events = mes.outbox_reader.last_seq()
            mes.close()
            results[mode] = {
                "cpu_s": round(cpu_s, 3),
                "commands": n,
                "seconds": round(secs, 3),
                "commands_per_s": round(n / secs, 1),
                "events": events,
            }
    for mode, r in results.items():
        print(
            f"{mode:13s} {r['commands']:7d} commands in {r['seconds']:7.2f} s"
            f" = {r['commands_per_s']:8.0f} commands/s"
            f" ({r['commands'] / max(r['cpu_s'], 1e-9):6.0f} per CPU-s),"
            f" {r['events']} events"
        )
    print(f"baseline (in-memory twin, no I/O): {results['memory']['commands_per_s']:.0f} commands/s")
    if args.json:
        print(
            json.dumps(
                {"benchmark": "mes_bus", "orders": args.orders, "results": results, "baseline": "memory"}
            )
        )


if __name__ == "__main__":
    main()
