"""The ERP feed: seeded sales orders that become work orders (CreateWorkOrder + ReleaseWorkOrder).

The arrival rate is calibrated so that the most loaded work center (at the preferred routing
alternatives, with expected setups and failures) runs at ``bottleneck_load``; due dates follow the
total-work-content rule (arrival + slack + tightness × standard work, counted in *working* time of the
shift calendar, as a planner quotes lead times), with tighter rush orders now and then. All orders of a
run are drawn up front from the ``orders`` stream, so every policy sees the same demand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from plantloop.kernel.errors import InvalidInput
from plantloop.mes.masterdata.schema import MaterialKind, PlantDefinition
from plantloop.sim.calendar import SimCalendar
from plantloop.sim.orders import work_content_s
from plantloop.sim.scenario import ScenarioConfig, rng_stream

_CUSTOMERS = ["C-MEGAMART", "C-HOMEPLUS", "C-EXPORT-EU", "C-EXPORT-US", "C-ONLINE"]


@dataclass(frozen=True)
class SalesOrder:
    sales_order_id: str
    work_order_id: str
    material_id: str
    qty: int
    arrival_s: float
    due_s: float
    priority: int
    customer: str
    rush: bool


def purchased_per_unit(plant: PlantDefinition, material_id: str) -> dict[str, float]:
    """Purchased material consumed per unit of ``material_id`` by its routing (children included)."""
    out: dict[str, float] = {}
    for op in plant.routings_by_material[material_id].operations:
        for item in op.consumes:
            kind = plant.materials_by_id[item.material_id].kind
            if kind is MaterialKind.PURCHASED:
                out[item.material_id] = out.get(item.material_id, 0.0) + item.qty_per
            elif item.material_id in plant.routings_by_material:
                for m, q in purchased_per_unit(plant, item.material_id).items():
                    out[m] = out.get(m, 0.0) + q * item.qty_per
    return out


class OrderFeed:
    def __init__(self, plant: PlantDefinition, config: ScenarioConfig, calendar: SimCalendar) -> None:
        self._plant = plant
        self._config = config
        self._calendar = calendar
        products = [p.id for p in plant.products if p.id in plant.routings_by_material]
        weights = config.mix or dict.fromkeys(products, 1.0)
        unknown = sorted(set(weights) - set(products))
        if unknown:
            raise InvalidInput(f"order mix names unknown products {unknown}", products=unknown)
        self.products = sorted(weights)
        total = sum(weights.values())
        self.mix = np.array([weights[p] / total for p in self.products])
        self.mean_qty = config.qty_median * math.exp(config.qty_sigma**2 / 2)
        self.content_s = {p: work_content_s(plant, p, 1.0) for p in self.products}
        self.orders_per_day, self.bottleneck = self._calibrate()
        self.daily_usage: dict[str, float] = {}
        for p, share in zip(self.products, self.mix, strict=True):
            for m, q in purchased_per_unit(plant, p).items():
                self.daily_usage[m] = (
                    self.daily_usage.get(m, 0.0) + self.orders_per_day * share * self.mean_qty * q
                )

    def _calibrate(self) -> tuple[float, str]:
        plant, cfg = self._plant, self._config
        week = self._calendar.working_s(0.0, 7 * 86_400.0) / (7 * 86_400.0)
        load: dict[str, float] = {}
        for p, share in zip(self.products, self.mix, strict=True):
            for wc, secs in self.content_s[p].items():
                load[wc] = load.get(wc, 0.0) + share * secs * self.mean_qty * cfg.processing_slowdown
            for routing_material in [p, *self._intermediates(p)]:
                for op in plant.routings_by_material[routing_material].operations:
                    wc = op.work_center_ids[0]
                    load[wc] = load.get(wc, 0.0) + share * (
                        (op.setup_time_s + op.minor_setup_time_s) / 2 + cfg.lot_handling_s
                    )
        best_rate, bottleneck = math.inf, ""
        for wc, secs_per_order in load.items():
            eqs = plant.work_centers[wc].equipment
            avail = sum(
                e.speed_factor * e.reliability.mtbf_h / (e.reliability.mtbf_h + e.reliability.mttr_h)
                for e in eqs
            )
            capacity_s_per_day = avail * week * 86_400.0
            rate = cfg.bottleneck_load * capacity_s_per_day / secs_per_order
            if rate < best_rate:
                best_rate, bottleneck = rate, wc
        return (cfg.orders_per_day or best_rate), bottleneck

    def _intermediates(self, material_id: str) -> list[str]:
        bom = self._plant.boms_by_material.get(material_id)
        out: list[str] = []
        for item in bom.items if bom else []:
            if item.material_id in self._plant.routings_by_material:
                out += [item.material_id, *self._intermediates(item.material_id)]
        return out

    def generate(self) -> list[SalesOrder]:
        cfg = self._config
        rng = rng_stream(cfg.seed, "orders")
        rate_per_s = self.orders_per_day / 86_400.0
        arrivals: list[tuple[float, float]] = []  # (arrival_s, due reference)
        n_backlog = int(rng.poisson(self.orders_per_day * cfg.initial_backlog_days))
        for ref in sorted(rng.uniform(-cfg.initial_backlog_days * 86_400.0, 0.0, n_backlog)):
            arrivals.append((0.0, float(ref)))
        t = 0.0
        while True:
            t += float(rng.exponential(1.0 / rate_per_s))
            if t >= cfg.horizon_s:
                break
            arrivals.append((t, t))
        orders = []
        for n, (arrival_s, ref_s) in enumerate(arrivals, start=1):
            product = self.products[int(rng.choice(len(self.products), p=self.mix))]
            qty = max(10, int(round(float(rng.lognormal(math.log(cfg.qty_median), cfg.qty_sigma)) / 10) * 10))
            work_s = sum(self.content_s[product].values()) * qty
            rush = bool(rng.random() < cfg.rush_p)
            if rush:
                quoted_s = 4 * 3600.0 + cfg.rush_tightness * work_s
            else:
                quoted_s = cfg.due_slack_h * 3600.0 + cfg.due_tightness * work_s * float(
                    rng.uniform(0.7, 1.3)
                )
            due_s = self._calendar.add_working(ref_s, quoted_s)
            orders.append(
                SalesOrder(
                    sales_order_id=f"{cfg.id_prefix}SO-{n:05d}",
                    work_order_id=f"{cfg.id_prefix}WO-{n:05d}",
                    material_id=product,
                    qty=qty,
                    arrival_s=arrival_s,
                    due_s=round(max(due_s, arrival_s + 3600.0)),
                    priority=1 if rush else 5,
                    customer=_CUSTOMERS[int(rng.integers(len(_CUSTOMERS)))],
                    rush=rush,
                )
            )
        return orders
