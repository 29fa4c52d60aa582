"""The synthetic plant history of ``bench/genealogy.py``: product trees (product ← two sub-assemblies ←
molded part, each level consuming purchased lots) written into the MES's own tables in SQLite, plus the
process parameters of every operation (what the warehouse holds)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from rich.progress import Progress

from plantloop.mes import orm

START = datetime(2025, 1, 6, tzinfo=UTC)
#: purchased material → supplier, for each consuming level
PURCHASED = {
    "product": [("CP-CORD", "SUP-KE"), ("PK-BOX", "SUP-PK")],
    "sub": [("CP-HEATER", "SUP-KE"), ("RM-SS304", "SUP-SS")],
    "part": [("RM-PP", "SUP-HX")],
}
MACHINES = {
    "product": ["AS-11", "AS-12", "AS-21"],
    "sub": ["WD-01", "PR-01", "PR-02"],
    "part": ["IM-01", "IM-02"],
}
OPS = {"product": 3, "sub": 2, "part": 1}
PARAMS = {"product": "screw_torque_nm", "sub": "weld_current_a", "part": "melt_temperature_c"}


def _stamp(seconds: float) -> str:
    """SQLite storage of the MES's UTC datetimes (naive UTC text)."""
    return (START + timedelta(seconds=seconds)).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


LOT_COLUMNS = (
    "id",
    "material_id",
    "lot_kind",
    "qty",
    "status",
    "held",
    "supplier_id",
    "supplier_lot_ref",
    "work_order_id",
    "created_at",
)
EDGE_COLUMNS = ("produced_lot_id", "idx", "component_lot_id", "qty", "operation_id", "at")
OP_COLUMNS = (
    "id",
    "work_order_id",
    "seq",
    "name",
    "work_center_ids",
    "work_center_id",
    "status",
    "equipment_id",
    "operator_id",
    "started_at",
    "completed_at",
    "qty_good",
    "qty_scrap",
    "paused_by_downtime",
)
WO_COLUMNS = (
    "id",
    "material_id",
    "qty",
    "due_at",
    "priority",
    "status",
    "held",
    "parent_work_order_id",
    "sales_order_id",
    "customer",
    "created_at",
    "completed_at",
    "qty_good",
    "qty_scrap",
)


class HistoryWriter:
    """Generates product trees and writes them in batches."""

    def __init__(self, conn: sqlite3.Connection, fanout: int, seed: int) -> None:
        self.conn = conn
        self.fanout = fanout
        self.rng = np.random.default_rng(seed)
        self.rows: dict[str, list[tuple[Any, ...]]] = {
            k: [] for k in ("lots", "edges", "ops", "params", "wos")
        }
        self.purchased: dict[str, int] = {}
        self.consumers: dict[str, int] = {}
        self.edge_idx: dict[str, int] = {}

    def edge(self, produced: str, component: str, operation_id: str, t: float) -> None:
        idx = self.edge_idx.get(produced, 0)
        self.edge_idx[produced] = idx + 1
        self.rows["edges"].append((produced, idx, component, 1.0, operation_id, _stamp(t)))

    def purchased_lots(self, material: str, supplier: str, t: float) -> list[str]:
        n = self.consumers.get(material, 0)
        self.consumers[material] = n + 1
        first = n // self.fanout
        out = []
        for k in [first] + ([first + 1] if n % self.fanout == self.fanout - 1 else []):
            lot_id = f"PL-{material}-{k:07d}"
            if k >= self.purchased.get(material, 0):
                self.purchased[material] = k + 1
                self.rows["lots"].append(
                    (
                        lot_id,
                        material,
                        "purchased",
                        500.0,
                        "available",
                        0,
                        supplier,
                        f"{supplier}-{k}",
                        None,
                        _stamp(t - 86400),
                    )
                )
            out.append(lot_id)
        return out

    def make(
        self,
        level: str,
        wo: str,
        material: str,
        t: float,
        parent: str | None,
        so: str | None,
        customer: str | None,
    ) -> str:
        lot_id = f"LOT-{wo}"
        stamp = _stamp(t)
        self.rows["lots"].append((lot_id, material, "produced", 100.0, "available", 0, None, None, wo, stamp))
        self.rows["wos"].append(
            (wo, material, 100, stamp, 5, "completed", 0, parent, so, customer, stamp, stamp, 100, 0)
        )
        for k in range(OPS[level]):
            op_id = f"{wo}/{10 * (k + 1):03d}"
            machine = MACHINES[level][int(self.rng.integers(len(MACHINES[level])))]
            operator = f"E{int(self.rng.integers(60)):03d}"
            self.rows["ops"].append(
                (
                    op_id,
                    wo,
                    10 * (k + 1),
                    "op",
                    "WC",
                    "WC",
                    "completed",
                    machine,
                    operator,
                    _stamp(t + 3600 * k),
                    _stamp(t + 3600 * (k + 1)),
                    100,
                    int(self.rng.integers(3)),
                    0,
                )
            )
            self.rows["params"].append((op_id, PARAMS[level], float(self.rng.normal(100.0, 1.0))))
            if k == 0:
                for material_id, supplier in PURCHASED[level]:
                    for component in self.purchased_lots(material_id, supplier, t):
                        self.edge(lot_id, component, op_id, t)
        return lot_id

    def product_tree(self, p: int) -> None:
        t = p * 120.0
        top = f"WO-{p:07d}"
        product_lot = self.make("product", top, f"P-{p % 20:02d}", t, None, f"SO-{p:07d}", f"C-{p % 50:02d}")
        for s in range(2):
            sub_wo = f"{top}~SA-{s}"
            sub_lot = self.make("sub", sub_wo, f"SA-{s}", t - 7200, top, None, None)
            part_wo = f"{sub_wo}~PT"
            part_lot = self.make("part", part_wo, "PT-HOUSE", t - 14400, sub_wo, None, None)
            self.edge(sub_lot, part_lot, f"{sub_wo}/010", t - 7200)
            self.edge(product_lot, sub_lot, f"{top}/010", t)

    def flush(self) -> None:
        sql = "INSERT INTO {} ({}) VALUES ({})"
        for key, table, columns in (
            ("lots", "lots", LOT_COLUMNS),
            ("edges", "genealogy_edges", EDGE_COLUMNS),
            ("ops", "operations", OP_COLUMNS),
            ("params", "bench_operation_parameters", ("operation_id", "name", "value")),
            ("wos", "work_orders", WO_COLUMNS),
        ):
            self.conn.executemany(
                sql.format(table, ",".join(columns), ",".join("?" * len(columns))), self.rows[key]
            )
            self.rows[key].clear()


def build_history(db: Path, lots_target: int, fanout: int, seed: int) -> dict[str, int]:
    """Write the synthetic history into ``db`` (MES tables + parameters); return the row counts."""
    purchased_edges = sum(
        len(v) * n for v, n in ((PURCHASED["product"], 1), (PURCHASED["sub"], 2), (PURCHASED["part"], 2))
    )
    products = int(lots_target / (5 + purchased_edges / fanout))
    engine = sa.create_engine(f"sqlite:///{db}")
    orm.metadata.create_all(engine)
    engine.dispose()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE bench_operation_parameters (operation_id TEXT, name TEXT, value REAL)")
    conn.execute("CREATE INDEX ix_bench_parameters ON bench_operation_parameters (operation_id)")
    writer = HistoryWriter(conn, fanout, seed)
    with Progress(transient=True) as bar:
        task = bar.add_task("writing the history", total=products)
        for p in range(products):
            writer.product_tree(p)
            if len(writer.rows["lots"]) > 100_000:
                writer.flush()
                bar.update(task, completed=p + 1)
        writer.flush()
    conn.commit()
    sizes = {
        table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        for table in ("lots", "genealogy_edges", "operations", "bench_operation_parameters", "work_orders")
    }
    conn.close()
    return sizes
