"""A synthetic plant history for the quality analytics: known causes, known confounders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from plantloop.optimize.quality.ledger import QualityLedger

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def shift_of(at: datetime) -> str:
    return "A" if 6 <= at.hour < 18 else "B"


@dataclass
class History:
    ledger: QualityLedger
    bad_lot: str
    drift_machine: str
    work_orders: list[str] = field(default_factory=list)


def make_history(
    *,
    orders: int = 240,
    seed: int = 0,
    bad_lot_index: int | None = 3,
    bad_lot_p: float = 0.15,
    drift_machine: str | None = None,
    confound: float = 0.85,
    base_p: float = 0.01,
    clump_lot: int | None = None,
) -> History:
    """Work orders of 100 units: a molding step on M1..M3 (consumes resin lots of 10 orders each, from two
    suppliers) then an assembly step on A1/A2 with a screw torque parameter. Orders that used the bad lot
    get ``bad_lot_p`` of D-X scrap at assembly, and are sent to A2 with probability ``confound`` (so A2
    looks bad too). A drifting machine reports a rising torque and D-X scrap once out of specification."""
    rng = np.random.default_rng(seed)
    ledger = QualityLedger(shift_of, {"M1": "MOLD", "M2": "MOLD", "M3": "MOLD", "A1": "ASSY", "A2": "ASSY"})
    lots = [f"PL-RES-{k:03d}" for k in range(orders // 10 + 1)]
    for k, lot in enumerate(lots):
        ledger.receive_lot(lot, "RES", "S1" if k % 2 == 0 else "S2", START - timedelta(days=1))
    bad_lot = lots[bad_lot_index] if bad_lot_index is not None and bad_lot_index < len(lots) else ""
    history = History(ledger, bad_lot, drift_machine or "")
    for i in range(orders):
        wo = f"WO-{i:04d}"
        t = START + timedelta(minutes=45 * i)
        ledger.create_work_order(wo, "P-1", qty=100, sales_order_id=f"SO-{i:04d}", customer="C-1")
        lot = lots[i // 10]
        used_bad = lot == bad_lot
        mold = f"{wo}/010"
        ledger.start_operation(mold, f"M{rng.integers(1, 4)}", t)
        ledger.consume(mold, lot, 35.0, t)
        ledger.complete_operation(
            mold, t + timedelta(minutes=30), 100, 0, parameters={"melt_c": float(rng.normal(215, 2))}
        )
        assembly = f"{wo}/020"
        machine = (
            ("A2" if rng.random() < confound else "A1")
            if used_bad
            else ("A1" if rng.random() < 0.5 else "A2")
        )
        torque = float(rng.normal(1.2, 0.033))
        if drift_machine == machine and i > orders // 2:
            torque += 0.02 * (i - orders // 2)
        p = base_p + (bad_lot_p if used_bad else 0.0) + (0.3 if not 1.0 <= torque <= 1.4 else 0.0)
        scrap = int(rng.binomial(100, min(p, 0.9)))
        if clump_lot is not None and i == clump_lot:
            scrap = 12
        code = (
            "D-X"
            if (used_bad or not 1.0 <= torque <= 1.4 or rng.random() < 0.5 or clump_lot is not None)
            else "D-Y"
        )
        ledger.start_operation(assembly, machine, t + timedelta(minutes=30))
        ledger.complete_operation(
            assembly,
            t + timedelta(minutes=60),
            100 - scrap,
            scrap,
            scrap_defect_code=code if scrap else None,
            parameters={"torque_nm": round(torque, 4)},
        )
        history.work_orders.append(wo)
    return history


@pytest.fixture
def history_factory() -> Callable[..., History]:
    return make_history
