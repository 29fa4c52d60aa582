"""Where the lead time goes (``kpis.lead_time_breakdown``): every second of an order's release →
completion in exactly one part, along its critical chain through component orders."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.gateway import RecordingGateway
from plantloop.sim.kpis import LEAD_TIME_PARTS, lead_time_breakdown
from plantloop.sim.run import SimResult

T = 360.0  # one tick = 0.1 h


class _Calendar:
    """Working in [0, 100) and from 200 on (ticks): one break, as a Sunday is."""

    def working_s(self, a: float, b: float) -> float:
        def cum(t: float) -> float:
            t /= T
            return (min(t, 100.0) + max(0.0, t - 200.0)) * T

        return max(0.0, cum(b) - cum(a))


def _op(
    wo: Any, index: int, wc: str, start: float, done: float, setup: float, runs: list[tuple[float, float]]
) -> Any:
    return SimpleNamespace(
        work_order=wo,
        index=index,
        work_center_id=wc,
        started_s=start * T,
        completed_s=done * T,
        setup_s=setup * T,
        run_segments=[(a * T, b * T) for a, b in runs],
        child_needs=[],
    )


def test_each_second_of_a_chain_through_a_component_lands_in_one_part() -> None:
    # the component C: released at 0, waits 10 for its machine, sets up 5, runs to 60; its lot is then
    # held 70 → 90. The parent P: released at 0, its only operation needs C's lot; the machine is free at
    # 100 but the plant stops 100 → 200; P starts at 220, runs 220 → 250, breaks down, runs 260 → 300.
    child = SimpleNamespace(id="C", released_s=0.0, completed_s=60 * T, operations=[])
    child.operations = [_op(child, 0, "WC-C", 10, 60, 5, [(15, 60)])]
    parent = SimpleNamespace(id="P", released_s=0.0, completed_s=300 * T, operations=[])
    op = _op(parent, 0, "WC-P", 220, 300, 0, [(220, 250), (260, 300)])
    op.child_needs = [(child, 1.0)]
    parent.operations = [op]
    # a decoy: a component that finished early is not on the critical chain
    early = SimpleNamespace(id="E", released_s=0.0, completed_s=5 * T, operations=[])
    early.operations = [_op(early, 0, "WC-E", 0, 5, 0, [(0, 5)])]
    op.child_needs.append((early, 1.0))
    reviews = [SimpleNamespace(work_order_id="C", held_s=70 * T, released_s=90 * T)]
    plant = SimpleNamespace(calendar=_Calendar(), records=SimpleNamespace(reviews=reviews))

    parts, waiting = lead_time_breakdown(cast(Any, plant), [cast(Any, parent)])

    assert parts == {
        "run": 11.5,  # 45 + 70 ticks
        "setup": 0.5,
        "interrupted": 1.0,  # 250 → 260
        "held": 2.0,  # 70 → 90
        "waiting": 5.0,  # 0 → 10 for C's machine; 60 → 70, 90 → 100 and 200 → 220 for P's
        "non_working": 10.0,  # 100 → 200
    }
    assert sum(parts.values()) == 30.0  # the lead time, 300 ticks
    assert waiting == {"WC-P": 4.0, "WC-C": 1.0}


def test_the_parts_add_up_to_each_runs_mean_lead_time(
    recorded_run: tuple[SimResult, RecordingGateway], reference_plant: PlantDefinition
) -> None:
    k = recorded_run[0].kpis
    parts = k.lead_time_breakdown_h
    assert set(parts) == set(LEAD_TIME_PARTS)
    assert all(v >= 0 for v in parts.values())
    assert abs(sum(parts.values()) - k.mean_lead_time_h) < 1e-3
    assert abs(sum(k.waiting_by_work_center_h.values()) - parts["waiting"]) < 1e-3
    # eight days from a Monday cross a Sunday; machines ran longer than they set up
    assert parts["non_working"] > 0
    assert parts["run"] > parts["setup"] > 0
    assert set(k.waiting_by_work_center_h) <= set(reference_plant.work_centers) | {"release"}
