"""Scenario configuration: everything that makes one simulation run differ from another, plus named scenarios.

A run is fully determined by its :class:`ScenarioConfig` (and the plant definition): every random draw
comes from a named stream seeded by ``seed`` (see :func:`rng_stream`), so switching a policy or the
telemetry on or off does not reshuffle the failures, orders or quality draws of the rest of the plant.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plantloop.kernel.errors import InvalidInput


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultConfig(_Config):
    """Fault injection toggles and rates. Targets left ``None`` are chosen from the seed."""

    machine_failures: bool = True
    failure_rate_factor: float = Field(default=1.0, gt=0, description="MTBF is divided by this.")
    bad_supplier_lot: bool = True
    bad_lot_material_id: str | None = None
    bad_lot_defect_p: float = Field(default=0.12, ge=0, le=1)
    parameter_drift: bool = True
    drift_equipment_id: str | None = None
    drift_start_fraction: float | None = Field(default=None, ge=0, le=1, description="Of the horizon.")
    drift_ramp_h: float = Field(
        default=24.0, gt=0, description="Hours until the mean reaches the spec limit."
    )
    drift_duration_h: float = Field(default=72.0, gt=0)
    drift_defect_p: float = Field(default=0.2, ge=0, le=1)
    bad_shift: bool = True
    bad_shift_id: str | None = None
    bad_shift_defect_p: float = Field(default=0.03, ge=0, le=1)
    scrap_machine: bool = True
    scrap_equipment_id: str | None = None
    scrap_machine_factor: float = Field(default=4.0, ge=1)
    base_defect_p: float = Field(default=0.006, ge=0, le=1)


class DirtyConfig(_Config):
    """Dirty-data injection on the shop-floor event copy handed to connectors (probabilities per event)."""

    enabled: bool = False
    duplicate_p: float = Field(default=0.02, ge=0, le=1)
    late_p: float = Field(default=0.02, ge=0, le=1)
    out_of_order_p: float = Field(default=0.02, ge=0, le=1)
    missing_field_p: float = Field(default=0.01, ge=0, le=1)
    test_record_p: float = Field(default=0.005, ge=0, le=1)
    legacy_p: float = Field(default=0.1, ge=0, le=1, description="Share of events sent by the legacy MES.")


class ScenarioConfig(_Config):
    name: str = "default"
    seed: int = Field(default=42, ge=0)
    days: float = Field(default=7.0, gt=0, le=400)
    start_at: datetime = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    policy: str = "baseline"
    plant_file: Path | None = Field(default=None, description="None: the reference plant.")
    id_prefix: str = Field(
        default="",
        pattern=r"^([A-Za-z0-9]+-)?$",
        description="Prefix of every id the run creates (orders, lots, maintenance orders, schedule "
        "versions), e.g. 'E2-': several runs (demo sessions) can share one MES without id clashes.",
    )
    # ---- order feed ----
    orders_per_day: float | None = Field(
        default=None, gt=0, description="None: calibrated to bottleneck_load."
    )
    bottleneck_load: float = Field(default=0.88, gt=0, le=1.5)
    mix: dict[str, float] | None = Field(default=None, description="Weight per product id; None: uniform.")
    qty_median: float = Field(default=120, gt=0)
    qty_sigma: float = Field(default=0.5, ge=0)
    due_tightness: float = Field(default=1.0, gt=0, description="Due = arrival + slack + tightness × work.")
    due_slack_h: float = Field(default=8.0, ge=0)
    rush_p: float = Field(default=0.08, ge=0, le=1)
    rush_tightness: float = Field(default=1.5, gt=0)
    initial_backlog_days: float = Field(default=0.5, ge=0)
    # ---- execution ----
    processing_sigma: float = Field(default=0.15, ge=0, description="Lognormal sigma of processing time.")
    processing_slowdown: float = Field(default=1.05, gt=0, description="Mean actual / standard run time.")
    lot_handling_s: float = Field(
        default=0.0,
        ge=0,
        description="Machine time at the start of every operation (loading the lot, first-piece check, "
        "booking), unless the machine just ran the same step of another sub-lot of the same order: what a "
        "lot costs besides its setup, so that small lots cost capacity (0: none, as in the default plant).",
    )
    operators: bool = Field(default=False, description="Operations need a skilled operator of the shift.")
    material_safety_days: float = Field(default=2.0, ge=0)
    dispatch_refresh_s: float | None = Field(
        default=None, gt=0, description="Re-read dispatch lists this often (for lists published by others)."
    )
    pm_duration_h: float = Field(default=0.5, gt=0)
    mrb_review_h: float = Field(
        default=2.0, ge=0, description="A held produced lot waits this long for its review (see sim/mrb.py)."
    )
    rework_min_per_unit: float = Field(
        default=2.0, ge=0, description="Replacing a suspect component, per unit (rework bench, off-machine)."
    )
    # ---- telemetry ----
    telemetry_hz: float = Field(default=1.0, ge=0, le=100)
    telemetry_chunk_s: int = Field(default=3600, gt=0)
    keep_shop_floor_events: bool = True
    strict_gateway: bool = Field(
        default=True, description="Raise when the MES refuses a command (else count)."
    )
    faults: FaultConfig = FaultConfig()
    dirty: DirtyConfig = DirtyConfig()

    @property
    def horizon_s(self) -> float:
        return self.days * 86_400.0


def rng_stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for one purpose (``'orders'``, ``'fail:IM-01'``, …) of one seeded run."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


#: Named scenarios: overrides applied to the default configuration.
SCENARIOS: dict[str, dict[str, Any]] = {
    "default": {},
    "quiet": {
        "faults": FaultConfig(
            machine_failures=False,
            bad_supplier_lot=False,
            parameter_drift=False,
            bad_shift=False,
            scrap_machine=False,
        )
    },
    "stressed": {"bottleneck_load": 0.95, "rush_p": 0.15, "faults": FaultConfig(failure_rate_factor=2.0)},
    # every lot costs 10 minutes of machine time at every step: what splitting orders into sub-lots pays
    "handling": {"lot_handling_s": 600.0},
    "dirty": {"dirty": DirtyConfig(enabled=True)},
    "operators": {"operators": True},
}


def scenario(name: str = "default", **overrides: Any) -> ScenarioConfig:
    """The named scenario with ``overrides`` applied (e.g. ``seed=7, days=3``)."""
    if name not in SCENARIOS:
        raise InvalidInput(f"unknown scenario {name!r}; known: {sorted(SCENARIOS)}", scenario=name)
    return ScenarioConfig(name=name, **{**SCENARIOS[name], **overrides})
