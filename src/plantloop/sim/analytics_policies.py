"""Policies that add plantloop's quality and maintenance analytics to the twin, to measure them alone.

- ``pdm``: first-in first-out dispatch (as ``baseline``) plus the predictive-maintenance watcher: equipment
  telemetry → per-mode health baselines → warnings → predictive maintenance orders (kit checked in the
  twin's storeroom) carried out by the twin at the next operation boundary.
- ``quality``: FIFO plus the quality watcher: SPC on process parameters and defect rates, root-cause
  analysis on signals → lot holds, recalibration / repair orders and non-conformance records.
- ``analytics``: FIFO plus both.
- ``loop``: the whole closed loop — plantloop's finite-capacity scheduler (``aps``: CP-SAT, rescheduled
  every hour and when a machine goes down or comes back) planning around the maintenance windows the
  predictive-maintenance watcher opened, plus both watchers; orders of at least 60 units are released as
  up to three sub-lots that flow on their own (``optimize/scheduling/lotsize.py``).
- ``loop-whole``: the same loop with every order released as one lot.

The twin's storeroom: one service kit per work center type (``SP-KIT-<work center>``), one on hand at the
start, reordered one at a time when used, arriving after ``KIT_LEAD_TIME``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from plantloop.mes.masterdata import load_reference_plant
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.optimize.maintenance.spares import InMemorySparePartStock, Kit, PartPolicy
from plantloop.optimize.maintenance.watch import PredictiveMaintenanceWatcher
from plantloop.optimize.quality.rca_data import parameter_specs_from_plant
from plantloop.optimize.quality.watch import QualityWatchConfig, QualityWatcher
from plantloop.sim.policies import Policy, fifo_rule

KIT_LEAD_TIME = timedelta(days=2)
KITS_ON_HAND = 1.0


def twin_storeroom(
    plant: PlantDefinition | None = None,
) -> tuple[InMemorySparePartStock, Callable[[str], Kit]]:
    """The twin's spare-part stock and the kit each machine needs (one kit type per work center of
    ``plant``; a machine the plant does not list gets a kit of its own)."""
    work_center_of = (
        {e.id: wc.id for wc in plant.work_centers.values() for e in wc.equipment} if plant else {}
    )
    policy = PartPolicy(reorder_point=KITS_ON_HAND, order_qty=1.0, lead_time=KIT_LEAD_TIME)
    stock = InMemorySparePartStock(levels={}, default=(KITS_ON_HAND, policy))

    def kit(equipment_id: str) -> Kit:
        return [(f"SP-KIT-{work_center_of.get(equipment_id, equipment_id)}", 1.0)]

    return stock, kit


def pdm_watcher(plant: PlantDefinition | None = None) -> PredictiveMaintenanceWatcher:
    stock, kit = twin_storeroom(plant)
    return PredictiveMaintenanceWatcher(stock=stock, kits=kit)


def quality_watcher(plant: PlantDefinition) -> QualityWatcher:
    """The quality watcher with the plant's shift calendar, work centers and specification limits (it holds
    a suspect supplier lot and the lots made from it; the twin's review board dispositions those)."""
    from plantloop.dataplatform.live.shifts import shift_at

    def shift_of(at: datetime) -> str | None:
        instance = shift_at(plant, at)
        return instance.shift_id if instance else None

    return QualityWatcher(
        QualityWatchConfig(),
        shift_of=shift_of,
        work_center_of={e.id: wc.id for wc in plant.work_centers.values() for e in wc.equipment},
        specs=parameter_specs_from_plant(plant),
    )


def make_pdm() -> Policy:
    return Policy("pdm", fifo_rule, hooks=[pdm_watcher(load_reference_plant())])


def make_quality() -> Policy:
    return Policy("quality", fifo_rule, hooks=[quality_watcher(load_reference_plant())])


def make_analytics() -> Policy:
    plant = load_reference_plant()
    return Policy("analytics", fifo_rule, hooks=[pdm_watcher(plant), quality_watcher(plant)])


def make_loop(name: str = "loop", *, split: bool = True) -> Policy:
    """The whole loop; ``split=False`` releases every order as one lot (policy ``loop-whole``)."""
    from plantloop.optimize.scheduling.lotsize import LotSplit
    from plantloop.optimize.scheduling.twin import ApsDispatch
    from plantloop.sim.policies import PlantSnapshot

    plant = load_reference_plant()
    pdm = pdm_watcher(plant)

    def windows(snapshot: PlantSnapshot) -> list[tuple[str, float, float]]:
        """The watcher's open maintenance windows in sim seconds (what the scheduler plans around)."""
        return [
            (
                equipment_id,
                snapshot.now_s + (start - snapshot.now_at).total_seconds(),
                snapshot.now_s + (end - snapshot.now_at).total_seconds(),
            )
            for equipment_id, start, end in pdm.open_windows(snapshot.now_at)
        ]

    return Policy(
        name,
        ApsDispatch(windows=windows),
        publish_interval_s=3600.0,
        publish_on_downtime=True,
        hooks=[pdm, quality_watcher(plant)],
        lot_sizes=LotSplit() if split else None,
    )
