"""The twin's material review board: what the floor does with a produced lot put on hold.

A hold on a produced lot — work in progress, or a finished subassembly nobody has consumed yet — stops its
work order in the MES: the MES refuses to start its next operation and to consume the lot. Somebody then
reviews the lot and decides what to do with it (the disposition). The twin's review board does that
``ScenarioConfig.mrb_review_h`` after the hold, once no operation of the order is running:

- **rework** when the order used a bad supplier lot (directly or through a component lot): the suspect
  component is replaced in every unit still in the flow, with good stock taken first-in first-out (the twin
  waits for it if none is on hand). The MES records the replacement as a consumption by the operation that
  brought the component in, so genealogy shows both lots. It takes ``rework_min_per_unit`` per unit on a
  rework bench (off the machines: it costs time and material, not capacity). The later operations no longer
  carry the bad lot's defect rate; the units already scrapped stay scrapped.
- **use as is** otherwise: nothing was wrong with it.

Then the lot is released (``ReleaseLot``) and the order goes on. A lot released in the MES before its review
ends (someone decided sooner) is not released again. Every review is kept in
``PlantRecords.reviews`` (``Kpis.lots_reviewed``, ``Kpis.reworked_units``).

A held *purchased* lot is quarantined (``materials.py``: not on hand, not consumed) and the reorder rule buys
to replace it at once. The board re-inspects it ``mrb_review_h`` after the hold, as incoming inspection
would: a lot that is in fact bad (the scenario's bad supplier lot) stays quarantined, to go back to its
supplier (``return_to_supplier``); a good one is released (``ReleaseLot``, ``use_as_is``) and is stock again.
A false alarm thus costs the review's hours, not the lot and a supplier's lead time. These reviews are kept
in ``PlantRecords.material_reviews``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plantloop.mes.domain.commands import ReleaseLot
from plantloop.mes.domain.work_order import lot_of
from plantloop.sim import supply
from plantloop.sim.orders import OpState, SimOperation, SimWorkOrder

if TYPE_CHECKING:
    from plantloop.sim.plant import Plant

#: How often a review waiting for a running operation or for replacement stock looks again.
RECHECK_S = 900.0


@dataclass
class Review:
    lot_id: str
    work_order_id: str
    held_s: float
    released_s: float | None = None
    outcome: str | None = None  # "rework" | "use_as_is"
    reworked_units: int = 0
    component_material_id: str | None = None


@dataclass
class MaterialReview:
    """A held purchased lot before the board (see the module docstring)."""

    lot_id: str
    material_id: str
    held_s: float
    released_s: float | None = None
    outcome: str | None = None  # "use_as_is" | "return_to_supplier" | "released" (in the MES, sooner)


def held_work_order(plant: Plant, lot_id: str) -> SimWorkOrder | None:
    """The twin's work order whose produced lot is ``lot_id`` (``None`` for a purchased or unknown lot)."""
    if not lot_id.startswith(lot_of("")):
        return None
    wo_id = lot_id[len(lot_of("")) :]
    return plant.work_orders.get(wo_id)


def hold(plant: Plant, wo: SimWorkOrder, lot_id: str) -> None:
    """Stop ``wo`` on the floor and put its lot before the review board."""
    if wo.held:
        return
    wo.held = True
    review = Review(lot_id, wo.id, plant.env.now)
    plant.records.reviews.append(review)
    plant.env.process(_review(plant, wo, review))


def released(plant: Plant, wo: SimWorkOrder) -> None:
    """Someone released the lot in the MES before the review ended (e.g. from the web UI): the order goes
    on, and the review stops without releasing it again."""
    if not wo.held:
        return
    wo.held = False
    for review in plant.records.reviews:
        if review.work_order_id == wo.id and review.released_s is None:
            review.released_s, review.outcome = plant.env.now, review.outcome or "released"
    plant.wake_all()


def units_in_flow(wo: SimWorkOrder) -> int:
    """Good units of the order so far: its last completed operation's output (0 before the first)."""
    done = [op for op in wo.operations if op.state is OpState.DONE]
    return int(done[-1].qty_good) if done else 0


def component_use(wo: SimWorkOrder, material_id: str) -> tuple[SimOperation, float] | None:
    """The operation of ``wo`` that brought ``material_id`` in (itself or inside a component lot) and the
    quantity of it per unit of ``wo``."""
    for op in wo.operations:
        for mat, qty in op.purchased_needs:
            if mat == material_id:
                return op, qty / wo.qty
    for op in wo.operations:
        for child, qty in op.child_needs:
            inner = component_use(child, material_id)
            if inner is not None:
                return op, inner[1] * qty / wo.qty
    return None


def _review(plant: Plant, wo: SimWorkOrder, review: Review) -> Generator[Any, Any, None]:
    env, config = plant.env, plant.config
    yield env.timeout(config.mrb_review_h * 3600.0)
    while review.released_s is None and any(op.state is OpState.RUNNING for op in wo.operations):
        yield env.timeout(RECHECK_S)
    if review.released_s is not None:
        return  # released in the MES meanwhile
    material = wo.tainted_by
    use = component_use(wo, material) if material else None
    units = units_in_flow(wo)
    if material is None or use is None or units == 0:
        review.outcome = "use_as_is"
    else:
        op, per_unit = use
        qty = round(units * per_unit, 6)
        while review.released_s is None and plant.inventory.on_hand(material) < qty - 1e-9:
            yield env.timeout(RECHECK_S)
        if review.released_s is not None:
            return
        plant.inventory.require(material, qty)
        supply.consume(plant, op.id, material, qty)
        supply.reorder(plant, material)
        yield env.timeout(units * config.rework_min_per_unit * 60.0)
        wo.tainted_by = None
        review.outcome = "rework"
        review.reworked_units = units
        review.component_material_id = material
        if review.released_s is not None:
            return  # released meanwhile; the rework is done all the same
    plant.send(
        ReleaseLot(
            at=plant.now_at,
            lot_id=review.lot_id,
            reason=f"review: {review.outcome}"
            + (f", {material} replaced in {review.reworked_units} units" if review.reworked_units else ""),
            issued_by="mrb",
        )
    )
    wo.held = False
    review.released_s = env.now
    plant.wake_all()


def hold_purchased(plant: Plant, lot_id: str) -> None:
    """Quarantine a purchased lot on hand, buy its replacement and put it before the board."""
    lot = plant.inventory.hold(lot_id)
    if lot is None:
        return  # used up, unknown, or held already
    supply.reorder(plant, lot.material_id)
    review = MaterialReview(lot_id, lot.material_id, plant.env.now)
    plant.records.material_reviews.append(review)
    plant.env.process(_review_purchased(plant, review))


def _review_purchased(plant: Plant, review: MaterialReview) -> Generator[Any, Any, None]:
    yield plant.env.timeout(plant.config.mrb_review_h * 3600.0)
    lot = plant.inventory.lot(review.lot_id)
    if lot is None or not lot.held:
        review.released_s, review.outcome = plant.env.now, "released"  # released in the MES meanwhile
        return
    if lot.bad:
        review.outcome = "return_to_supplier"
        return
    plant.send(
        ReleaseLot(
            at=plant.now_at,
            lot_id=review.lot_id,
            reason="review: re-inspected, use as is",
            issued_by="mrb",
        )
    )
    plant.inventory.release(review.lot_id)
    review.released_s, review.outcome = plant.env.now, "use_as_is"
    plant.wake_all()
