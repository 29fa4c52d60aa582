"""Operating modes, the streaming health monitor, maintenance planning with spare parts, and the watcher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from plantloop.mes.domain import commands as c
from plantloop.optimize.maintenance.modes import UNKNOWN_MODE, OperatingModes
from plantloop.optimize.maintenance.monitor import EquipmentMonitor, MonitorConfig
from plantloop.optimize.maintenance.planning import PlanningConfig, plan_predictive_maintenance
from plantloop.optimize.maintenance.spares import InMemorySparePartStock, PartPolicy, check_kit
from plantloop.optimize.maintenance.watch import PredictiveMaintenanceWatcher

T0 = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = 3600


def machine_hours(
    hours: int, seed: int, wear_from_h: float | None = None, wear_h: float = 24.0
) -> list[dict[str, np.ndarray]]:
    """One-hour chunks at 1 Hz of a machine alternating idle (20 min) and running (40 min); from
    ``wear_from_h`` its vibration and current rise linearly, reaching +150 % / +12 % after ``wear_h``."""
    rng = np.random.default_rng(seed)
    chunks = []
    for h in range(hours):
        t = np.arange(HOUR) + h * HOUR
        running = (t % HOUR) >= 1200
        wear = np.clip((t / HOUR - wear_from_h) / wear_h, 0, 1) if wear_from_h is not None else np.zeros(HOUR)
        level = np.where(running, 1.0, 0.2)
        chunks.append(
            {
                "temperature_c": 25 + 20 * np.where(running, 1.0, 0.7) + rng.normal(0, 0.5, HOUR),
                "vibration_mm_s": 2.0
                * (np.where(running, 1.0, 0.15) + 1.5 * wear)
                * (1 + 0.06 * rng.standard_normal(HOUR)),
                "current_a": 12.0 * (level + 0.12 * wear) + 0.36 * rng.standard_normal(HOUR),
            }
        )
    return chunks


def test_three_load_levels_become_three_modes_and_a_sample_far_from_all_of_them_is_unknown() -> None:
    rng = np.random.default_rng(0)
    load = np.concatenate([rng.normal(m, 0.3, 3000) for m in (2.4, 6.0, 12.0)])
    modes = OperatingModes().fit(load)
    assert modes.count == 3
    assert list(modes.assign(np.array([2.5, 6.1, 11.8, 40.0]))) == [0, 1, 2, UNKNOWN_MODE]


def test_a_mixture_component_split_by_bic_is_merged_back_into_one_mode() -> None:
    rng = np.random.default_rng(1)
    skewed = np.concatenate(
        [rng.normal(10.0, 0.5, 4000), rng.normal(11.0, 0.5, 2000), rng.normal(2.0, 0.2, 3000)]
    )
    assert OperatingModes().fit(skewed).count == 2


def _feed(monitor: EquipmentMonitor, chunks: list[dict[str, np.ndarray]]) -> list[datetime | None]:
    seen = []
    for h, arrays in enumerate(chunks):
        monitor.add_chunk(T0 + timedelta(hours=h), 1.0, arrays)
        seen.append(monitor.warning_since)
    return seen


def test_a_wearing_machine_raises_a_warning_early_in_its_wear_and_a_healthy_one_stays_quiet() -> None:
    wearing = EquipmentMonitor("M1")
    chunks = machine_hours(60, seed=2, wear_from_h=30)
    _feed(wearing, chunks[:40])
    assert wearing.warning_since is not None
    assert T0 + timedelta(hours=30) < wearing.warning_since < T0 + timedelta(hours=36)
    early = wearing.status()
    assert early.warning and early.health < 0.5
    assert early.rul_h is None  # no breakdown seen yet: the failure level is unknown
    for h, arrays in enumerate(chunks[40:54], start=40):
        wearing.add_chunk(T0 + timedelta(hours=h), 1.0, arrays)
    wearing.failed(T0 + timedelta(hours=54))  # it broke when the wear was complete
    twin = EquipmentMonitor("M2")
    _feed(twin, machine_hours(42, seed=7, wear_from_h=30))
    remaining = twin.status(wearing.failure_scores).rul_h
    assert remaining is not None and 4 < remaining < 30  # the truth: 12 hours
    healthy = EquipmentMonitor("M2")
    _feed(healthy, machine_hours(7 * 24, seed=3))
    assert healthy.warning_since is None and healthy.status().health > 0.5


def test_maintenance_ends_the_warning_and_the_baseline_is_learned_again_on_the_renewed_machine() -> None:
    monitor = EquipmentMonitor("M1", MonitorConfig(baseline_minutes=60))
    chunks = machine_hours(48, seed=4, wear_from_h=20)
    _feed(monitor, chunks[:40])
    assert monitor.warning_since is not None
    monitor.maintenance_done(T0 + timedelta(hours=40))
    assert monitor.warning_since is None and monitor.status().learning
    renewed = machine_hours(24, seed=5)
    for h, arrays in enumerate(renewed):
        monitor.add_chunk(T0 + timedelta(hours=40 + h), 1.0, arrays)
    assert monitor.warning_since is None and not monitor.status().learning


def test_the_kit_check_moves_the_window_to_the_parts_arrival_unless_the_machine_would_fail_first() -> None:
    stock = InMemorySparePartStock(
        levels={"KIT": 0.0}, policies={"KIT": PartPolicy(1.0, 1.0, timedelta(days=2))}
    )
    stock.on_order.append((T0 + timedelta(hours=60), "KIT", 1.0))
    assert check_kit(stock, [("KIT", 1.0)], T0).ready_at == T0 + timedelta(hours=60)
    monitor = EquipmentMonitor("M1")
    _feed(monitor, machine_hours(40, seed=2, wear_from_h=30))
    status = monitor.status()
    proposal, window = plan_predictive_maintenance(
        status, T0 + timedelta(hours=40), stock=stock, kit=[("KIT", 1.0)]
    )
    order = proposal.commands[0]
    assert isinstance(order, c.CreateMaintenanceOrder) and order.kind is c.MaintenanceKind.PREDICTIVE
    assert order.planned_start_at == window.start and window.as_tuple()[0] == "M1"
    assert proposal.evidence["spare_parts"]["available"] is False
    deadline = T0 + timedelta(hours=40) + timedelta(hours=status.rul_h or 0)
    arrival = T0 + timedelta(hours=60)
    assert window.start == (T0 + timedelta(hours=40) if deadline <= arrival else arrival)
    stocked = InMemorySparePartStock(levels={"KIT": 2.0})
    _, early = plan_predictive_maintenance(
        status,
        T0 + timedelta(hours=40),
        stock=stocked,
        kit=[("KIT", 1.0)],
        config=PlanningConfig(duration=timedelta(minutes=45)),
    )
    assert early.start == T0 + timedelta(hours=40) and early.end - early.start == timedelta(minutes=45)


def test_taking_a_part_below_its_reorder_point_orders_more_that_arrives_after_the_lead_time() -> None:
    stock = InMemorySparePartStock(
        levels={"KIT": 1.0}, policies={"KIT": PartPolicy(1.0, 2.0, timedelta(days=2))}
    )
    stock.take("KIT", 1.0, T0, "MO-1")
    assert stock.on_hand("KIT", T0) == 0.0
    assert stock.expected_at("KIT", 1.0, T0) == T0 + timedelta(days=2)
    assert stock.on_hand("KIT", T0 + timedelta(days=2)) == 2.0


def test_the_watcher_proposes_once_per_warning_learns_failures_from_the_mes_and_lists_windows() -> None:
    watcher = PredictiveMaintenanceWatcher(
        stock=InMemorySparePartStock(levels={"KIT": 5.0}), kits={"M1": [("KIT", 1.0)]}
    )
    for h, arrays in enumerate(machine_hours(50, seed=2, wear_from_h=30)):
        watcher.telemetry("M1", T0 + timedelta(hours=h), 1.0, arrays)
    now = T0 + timedelta(hours=50)
    first = watcher.tick(now)
    assert [p.subject for p in first] == ["equipment:M1"] and watcher.tick(now) == []
    assert watcher.open_windows(now)[0][0] == "M1"
    order_id = first[0].commands[0].maintenance_order_id  # type: ignore[attr-defined]
    watcher.observe(c.StartDowntime(at=now, equipment_id="M1", reason_code="BRK"))  # too late: it broke
    assert len(watcher.fleet_failure_ratios()) == 1
    watcher.observe(
        c.CreateMaintenanceOrder(
            at=now, maintenance_order_id=order_id, equipment_id="M1", kind=c.MaintenanceKind.PREDICTIVE
        )
    )
    watcher.observe(c.CompleteMaintenance(at=now + timedelta(minutes=30), maintenance_order_id=order_id))
    assert watcher.monitors["M1"].warning_since is None and watcher.monitors["M1"].status().learning


def test_long_format_telemetry_rows_feed_the_same_monitor_and_gaps_split_the_runs() -> None:
    watcher = PredictiveMaintenanceWatcher()
    arrays = machine_hours(2, seed=6)
    frames = []
    for h, chunk in enumerate(arrays):
        stamps = pd.date_range(T0 + timedelta(hours=h * 3), periods=HOUR, freq="s")
        for tag, values in chunk.items():
            frames.append(
                pd.DataFrame({"equipment_id": "M9", "tag": tag, "value": values, "measured_at": stamps})
            )
    assert watcher.ingest_rows(pd.concat(frames)) == 2 * HOUR - 1  # the newest instant waits
    assert watcher.flush() == 1
    with pytest.raises(Exception, match="columns"):
        watcher.ingest_rows(pd.DataFrame({"equipment_id": ["M9"]}))


def test_garbage_readings_are_dropped_and_counted_not_learned_from() -> None:
    """A reading of 1e308 used to overflow the operating-mode fit (a 500 on the API, a health feed failing
    on every poll); the watcher now drops such rows, counts them, and learns from the rest as if they had
    never come."""
    frames = [
        pd.DataFrame(
            {
                "equipment_id": "M4",
                "tag": tag,
                "value": values,
                "measured_at": pd.date_range(T0 + timedelta(hours=h), periods=HOUR, freq="s"),
            }
        )
        for h, chunk in enumerate(machine_hours(10, seed=3))
        for tag, values in chunk.items()
    ]
    rows = pd.concat(frames, ignore_index=True).astype({"value": object})
    garbage = rows.index[::997]
    for i, bad in enumerate([1e308, -np.inf, "n/a", None]):
        rows.loc[garbage[i::4], "value"] = bad
    clean, watcher = PredictiveMaintenanceWatcher(), PredictiveMaintenanceWatcher()
    fed_clean = clean.ingest_rows(rows.drop(index=garbage))
    assert watcher.ingest_rows(rows) == fed_clean  # the instants that lost a reading wait for it in both
    assert watcher.rejected == len(garbage) and clean.rejected == 0
    modes, expected = watcher.monitors["M4"].modes, clean.monitors["M4"].modes  # learned over 8 h
    assert (
        modes.fitted and np.allclose(modes.means, expected.means) and np.allclose(modes.stds, expected.stds)
    )


@pytest.mark.parametrize(("kind", "proposes"), [("preventive", True), ("predictive", False)])
def test_a_predictive_order_read_from_the_mes_stands_for_the_warning_and_a_planned_one_does_not(
    kind: str, proposes: bool
) -> None:
    watcher = PredictiveMaintenanceWatcher()
    for h, arrays in enumerate(machine_hours(50, seed=2, wear_from_h=30)):
        watcher.telemetry("M1", T0 + timedelta(hours=h), 1.0, arrays)
    start = T0 + timedelta(hours=60)
    watcher.observe_event(
        "MaintenanceOrderCreated",
        {
            "maintenance_order_id": "MO-7",
            "equipment_id": "M1",
            "kind": kind,
            "planned_start_at": start.isoformat(),
            "planned_duration_s": 3600.0,
        },
        T0 + timedelta(hours=45),
    )
    assert bool(watcher.tick(T0 + timedelta(hours=50))) is proposes
    windows = watcher.open_windows(T0 + timedelta(hours=50))
    assert (("M1", start, start + timedelta(hours=1)) in windows) is not proposes  # the order's own window
