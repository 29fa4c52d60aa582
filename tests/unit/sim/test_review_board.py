"""The twin's review board (``sim/mrb.py``) and its common random numbers for quality (``faults.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from plantloop.mes.domain.commands import Command, ConsumeMaterial, HoldLot, ReleaseLot
from plantloop.mes.domain.work_order import lot_of
from plantloop.mes.masterdata import PlantDefinition
from plantloop.optimize.proposals import Proposal
from plantloop.sim.faults import FaultType, QualityModel
from plantloop.sim.gateway import RecordingGateway
from plantloop.sim.orders import OpState
from plantloop.sim.policies import Policy, fifo_rule
from plantloop.sim.run import SimResult, run_simulation
from plantloop.sim.scenario import scenario
from tests.unit.sim.conftest import BAD_LOT_ONLY

HOLD_AT = timedelta(hours=30)


class OnceAfterHoldAt:
    """A hook that acts once, ``HOLD_AT`` after the first command it saw (subclasses say what it does)."""

    tick_s = 3600.0

    def __init__(self) -> None:
        self.first_at: datetime | None = None
        self.done = False

    def observe(self, command: Command) -> None:
        self.first_at = self.first_at or command.at

    def telemetry(self, *args: Any) -> None:
        pass

    def due(self, now_at: datetime) -> bool:
        """True once, at the first tick ``HOLD_AT`` or more after the first command."""
        if self.done or self.first_at is None or now_at - self.first_at < HOLD_AT:
            return False
        self.done = True
        return True


class HoldAt(OnceAfterHoldAt):
    """Holds, once, the produced lots of the work orders that consumed ``suspect`` (as a quality engineer
    would after a trace), plus ``clean_extra`` other started orders that did not."""

    name = "hold-at"

    def __init__(self, suspect: str, clean_extra: int = 1) -> None:
        super().__init__()
        self.suspect, self.clean_extra = suspect, clean_extra
        self.started: list[str] = []
        self.users: set[str] = set()
        self.held: list[str] = []
        self.held_users: set[str] = set()  # the users at the hold (the suspect lot itself is not held here)

    def observe(self, command: Command) -> None:
        super().observe(command)
        if isinstance(command, ConsumeMaterial) and command.lot_id == self.suspect:
            self.users.add(command.operation_id.split("/")[0])
        elif type(command).__name__ == "StartOperation":
            wo = command.operation_id.split("/")[0]  # type: ignore[attr-defined]
            if wo not in self.started:
                self.started.append(wo)

    def tick(self, now_at: datetime) -> Sequence[Proposal]:
        if not self.due(now_at):
            return []
        clean = [wo for wo in self.started if wo not in self.users and "~" not in wo][: self.clean_extra]
        self.held_users = set(self.users)
        self.held = sorted(self.users) + clean
        holds = tuple(HoldLot(at=now_at, lot_id=lot_of(wo), reason="test") for wo in self.held)
        return [Proposal(kind="lot_hold", subject="test", commands=holds, title="hold")]


@pytest.fixture(scope="module")
def runs(reference_plant: PlantDefinition) -> tuple[SimResult, SimResult, RecordingGateway, HoldAt]:
    config = scenario(days=4, seed=8, faults=BAD_LOT_ONLY)
    plain = run_simulation(config, plant=reference_plant)
    bad = next(f for f in plain.ground_truth.faults if f.type is FaultType.BAD_SUPPLIER_LOT)
    hook = HoldAt(bad.target)
    gateway = RecordingGateway(reference_plant)
    held = run_simulation(
        config, gateway, plant=reference_plant, policy=Policy("hold-test", fifo_rule, hooks=[hook])
    )
    return plain, held, gateway, hook


def test_a_held_work_order_waits_for_its_review_then_is_reworked_and_released(
    runs: tuple[SimResult, SimResult, RecordingGateway, HoldAt],
) -> None:
    _, result, gateway, hook = runs
    assert hook.held_users, "the bad lot was used before the hold"
    reviews = {r.work_order_id: r for r in result.plant.records.reviews}
    assert set(reviews) == set(hook.held)
    review_s = result.config.mrb_review_h * 3600
    for wo in result.plant.records.work_orders:
        review = reviews.get(wo.id)
        if review is None:
            continue
        assert review.released_s is not None and review.released_s >= review.held_s + review_s
        assert not wo.held
        for op in wo.operations:  # the MES refuses to start a held order's work; the twin waits
            assert op.started_s is None or not review.held_s <= op.started_s < review.released_s
        after = [op for op in wo.operations if op.started_s is not None and op.started_s >= review.released_s]
        assert all("lot" not in op.scrap_by_cause for op in after)
        if wo.id in hook.held_users:
            assert review.outcome == "rework" and review.component_material_id == "CP-CORD"
            assert review.reworked_units > 0 and wo.tainted_by is None
        else:
            assert review.outcome == "use_as_is" and review.reworked_units == 0
    assert result.kpis.lots_reviewed == len(hook.held)
    assert result.kpis.reworked_units == sum(r.reworked_units for r in reviews.values())
    releases = [c for c in gateway.commands if isinstance(c, ReleaseLot)]
    assert sorted(c.lot_id for c in releases) == sorted(lot_of(w) for w in hook.held)
    # the replacement component is in the MES's genealogy: consumed by the operation that used the bad lot
    replaced = [
        c
        for c in gateway.commands
        if isinstance(c, ConsumeMaterial)
        and c.at is not None
        and c.at >= result.config.start_at + HOLD_AT
        and c.lot_id != hook.suspect
        and c.operation_id.split("/")[0] in hook.held_users
        and c.lot_id.startswith("PL-CP-CORD")
    ]
    assert {c.operation_id.split("/")[0] for c in replaced} == {
        w for w, r in reviews.items() if r.outcome == "rework"
    }


def test_the_review_removes_lot_scrap_the_plain_run_made(
    runs: tuple[SimResult, SimResult, RecordingGateway, HoldAt],
) -> None:
    plain, held, _, _ = runs
    lot_plain = plain.kpis.scrap_by_cause.get("lot", 0)
    lot_held = held.kpis.scrap_by_cause.get("lot", 0)
    assert lot_plain > 0 and lot_held < lot_plain
    # the same operations met the same luck up to the hold: the base scrap hardly moved
    base_plain, base_held = plain.kpis.scrap_by_cause["base"], held.kpis.scrap_by_cause["base"]
    assert abs(base_plain - base_held) <= 0.1 * base_plain


def test_quality_draws_are_common_random_numbers_per_operation_and_unit(
    runs: tuple[SimResult, SimResult, RecordingGateway, HoldAt], reference_plant: PlantDefinition
) -> None:
    plain, _, _, _ = runs
    model = QualityModel(reference_plant, plain.config, plain.plant.calendar)
    op = next(o for o in plain.plant.ops.values() if o.state is OpState.DONE and o.qty_in >= 50)
    machine = op.equipment_id or ""
    start, end = op.started_s or 0.0, op.completed_s or 0.0
    again = model.outcome(op, machine, start, end)
    assert again == model.outcome(op, machine, start, end)  # no hidden state between calls
    assert again.qty_scrap == op.qty_scrap and again.scrap_by_cause == op.scrap_by_cause
    full = op.qty_in
    op.qty_in = full // 2  # fewer units: the first half meets the same draws, so no more scrap than all
    try:
        half = model.outcome(op, machine, start, end)
    finally:
        op.qty_in = full
    assert half.qty_scrap <= again.qty_scrap
    assert half.parameters == again.parameters


class HoldThenRelease(HoldAt):
    """Holds like :class:`HoldAt`, then releases every held lot an hour later (someone decided sooner)."""

    def __init__(self, suspect: str) -> None:
        super().__init__(suspect, clean_extra=1)
        self.released = False

    def tick(self, now_at: datetime) -> Sequence[Proposal]:
        if (
            self.done
            and not self.released
            and self.first_at
            and now_at - self.first_at >= HOLD_AT + timedelta(hours=1)
        ):
            self.released = True
            lots = tuple(ReleaseLot(at=now_at, lot_id=lot_of(w), reason="test") for w in self.held)
            return [Proposal(kind="lot_release", subject="test", commands=lots, title="release")]
        return super().tick(now_at)


def test_a_lot_released_before_its_review_ends_is_not_released_twice(
    runs: tuple[SimResult, SimResult, RecordingGateway, HoldAt], reference_plant: PlantDefinition
) -> None:
    hook = HoldThenRelease(runs[3].suspect)
    gateway = RecordingGateway(reference_plant)
    config = scenario(days=4, seed=8, faults=BAD_LOT_ONLY)  # strict: the MES refuses a second release
    result = run_simulation(
        config, gateway, plant=reference_plant, policy=Policy("release-test", fifo_rule, hooks=[hook])
    )
    assert hook.released and hook.held
    releases = [c for c in gateway.commands if isinstance(c, ReleaseLot)]
    assert sorted(c.lot_id for c in releases) == sorted(lot_of(w) for w in hook.held)
    assert all(c.issued_by != "mrb" for c in releases)  # the review board released none of them
    for review in result.plant.records.reviews:
        assert review.released_s == review.held_s + 3600.0 and review.outcome == "released"
    assert not any(wo.held for wo in result.plant.records.work_orders)


def test_the_schedulers_snapshot_expects_a_held_order_back_when_its_review_is_due(
    runs: tuple[SimResult, SimResult, RecordingGateway, HoldAt], reference_plant: PlantDefinition
) -> None:
    from plantloop.optimize.scheduling.twin import shop_from_snapshot
    from plantloop.sim.policies import PlantSnapshot

    snapshots: list[PlantSnapshot] = []

    def recording_fifo(snapshot: PlantSnapshot) -> list[Any]:
        if any(v.held_until_s for v in snapshot.operations):
            snapshots.append(snapshot)
        return fifo_rule(snapshot)

    hook = HoldAt(runs[3].suspect)
    config = scenario(days=4, seed=8, faults=BAD_LOT_ONLY)
    policy = Policy("snapshot-test", recording_fifo, publish_interval_s=1800.0, hooks=[hook])
    result = run_simulation(config, RecordingGateway(reference_plant), plant=reference_plant, policy=policy)
    assert snapshots, "a snapshot was taken while a lot was on hold"
    reviews = {r.work_order_id: r for r in result.plant.records.reviews}
    review_s = config.mrb_review_h * 3600
    children = {
        op.id: {c.id for c, _ in op.child_needs}
        for wo in result.plant.records.work_orders
        for op in wo.operations
    }
    for snapshot in snapshots:
        open_reviews = {
            w
            for w, r in reviews.items()
            if r.held_s <= snapshot.now_s and (r.released_s or 1e18) > snapshot.now_s
        }
        for view in snapshot.operations:
            mine = open_reviews & ({view.work_order_id} | children[view.operation_id])
            if not mine:
                assert view.held_until_s == 0.0
                continue
            expected = max(reviews[w].held_s + review_s for w in mine)
            assert view.held_until_s >= snapshot.now_s
            assert view.held_until_s == expected or expected <= snapshot.now_s
        # the scheduler does not plan a held order's work before its review is due to end
        shop = shop_from_snapshot(snapshot)
        op_key = {op_id: key for key, op_id in shop.operation_ids.items()}
        for view in snapshot.operations:
            if view.held_until_s > snapshot.now_s:
                j, o = op_key[view.operation_id]
                earliest = shop.problem.jobs[j].operations[o].earliest_start
                assert shop.axis.to_seconds(earliest) >= view.held_until_s - snapshot.now_s - 1e-6


class HoldPurchased(OnceAfterHoldAt):
    """Holds, once, two purchased lots on hand: ``suspect`` (the scenario's bad lot) and the PP-resin lot
    the floor drew from last (a good one: a false alarm)."""

    name = "hold-purchased"

    def __init__(self, suspect: str) -> None:
        super().__init__()
        self.suspect = suspect
        self.last_lot: dict[str, str] = {}
        self.good: str | None = None

    def observe(self, command: Command) -> None:
        super().observe(command)
        if isinstance(command, ConsumeMaterial) and command.lot_id.startswith("PL-"):
            material = command.lot_id[3:].rsplit("-", 1)[0]
            self.last_lot[material] = command.lot_id

    def tick(self, now_at: datetime) -> Sequence[Proposal]:
        if not self.due(now_at):
            return []
        self.good = self.last_lot["RM-PP"]
        holds = tuple(HoldLot(at=now_at, lot_id=lot, reason="test") for lot in (self.suspect, self.good))
        return [Proposal(kind="lot_hold", subject="test", commands=holds, title="hold")]


def test_the_board_releases_a_good_purchased_lot_and_keeps_the_bad_one_quarantined(
    runs: tuple[SimResult, SimResult, RecordingGateway, HoldAt], reference_plant: PlantDefinition
) -> None:
    hook = HoldPurchased(runs[3].suspect)
    gateway = RecordingGateway(reference_plant)
    config = scenario(days=4, seed=8, faults=BAD_LOT_ONLY)
    result = run_simulation(
        config, gateway, plant=reference_plant, policy=Policy("purchased-test", fifo_rule, hooks=[hook])
    )
    assert hook.good is not None
    reviews = {r.lot_id: r for r in result.plant.records.material_reviews}
    assert set(reviews) == {hook.suspect, hook.good}
    good, bad = reviews[hook.good], reviews[hook.suspect]
    review_s = config.mrb_review_h * 3600
    assert good.outcome == "use_as_is" and good.released_s == good.held_s + review_s
    assert bad.outcome == "return_to_supplier" and bad.released_s is None
    releases = [c for c in gateway.commands if isinstance(c, ReleaseLot)]
    assert [(c.lot_id, c.issued_by) for c in releases] == [(hook.good, "mrb")]
    start = config.start_at

    def used(lot: str) -> list[float]:
        return [
            (c.at - start).total_seconds()
            for c in gateway.commands
            if isinstance(c, ConsumeMaterial) and c.lot_id == lot and c.at is not None
        ]

    # quarantined: nothing drawn from either lot under review; the good one is drawn from again after it
    assert not [t for t in used(hook.good) if good.held_s <= t < good.released_s]
    assert [t for t in used(hook.good) if t >= good.released_s]
    assert not [t for t in used(hook.suspect) if t >= bad.held_s]
    assert result.plant.inventory.lot(hook.suspect) is not None  # still there, held, to go back
