"""End to end: the simulator runs two plant days against the real app over HTTP (uvicorn, SQLite file),
releasing large orders as sub-lots as a real plant's ERP link would (``lot_qtys``); the KPIs are plausible,
the MES agrees with the simulator, and every outbox event reaches a subscriber exactly once, in order."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from plantloop.bootstrap import Container, build_container
from plantloop.kernel.ports import OutboxRecord
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.http_gateway import HttpGateway
from plantloop.sim.run import run_simulation
from plantloop.sim.scenario import scenario
from tests.e2e.conftest import ServedApp


class CountingSubscriber:
    """Keeps every delivery, duplicates included, so that 'exactly once' can be checked."""

    name = "e2e-counting"

    def __init__(self) -> None:
        self.deliveries: list[tuple[int, str]] = []

    def handle(self, records: list[OutboxRecord]) -> None:
        self.deliveries.extend((r.seq, r.envelope.id) for r in records)


def _all_outbox(container: Container) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    while page := container.outbox_reader.fetch_after(out[-1][0] if out else 0, 5000):
        out.extend((r.seq, r.envelope.id) for r in page)
    return out


def test_two_simulated_days_through_the_api_give_plausible_kpis_and_every_event_exactly_once(
    tmp_path: Path, reference_plant: PlantDefinition, serve: Callable[[Container], ServedApp]
) -> None:
    container = build_container(Settings(data_dir=tmp_path, demo=True), plant=reference_plant)
    subscriber = CountingSubscriber()
    container.relay.subscribe(subscriber)
    app = serve(container)
    with httpx.Client(base_url=f"{app.base_url}/api/v1", auth=("admin", "demo"), timeout=30) as client:
        gateway = HttpGateway(client)
        config = scenario(days=2, seed=7, telemetry_hz=0.0, policy="split")
        result = run_simulation(config, gateway, plant=reference_plant)
        kpis = result.kpis
        # plausible KPIs of a loaded plant (bottleneck near 88 %) over two days
        assert kpis.commands_rejected == 0
        assert kpis.orders_released >= 20 and kpis.orders_completed >= 10
        assert 0.5 <= kpis.availability <= 1.0 and 0.7 <= kpis.performance <= 1.05
        assert 0.8 <= kpis.quality <= 1.0 and 0.3 <= kpis.oee <= 1.0
        assert 0.0 <= kpis.on_time_rate <= 1.0 and kpis.scrap_rate < 0.2
        assert kpis.throughput_units > 0 and kpis.mean_lead_time_h > 0
        assert gateway.stats.requests >= sum(kpis.commands_sent.values())
        # the MES, asked over HTTP, agrees with what the simulator did
        sim_done = sum(1 for wo in result.plant.records.work_orders if wo.completed_s is not None)
        mes_orders = client.get("/work-orders", params={"status": "completed", "limit": 1000}).json()
        assert len(mes_orders) == sim_done
        sim_good = sum(
            wo.qty_good for wo in result.plant.records.work_orders if wo.is_top_level and wo.completed_s
        )
        assert sum(wo["qty_good"] for wo in mes_orders if wo["parent_work_order_id"] is None) == sim_good
        # large orders went in as sub-lots over HTTP, together the order's quantity
        split = [o for o in result.orders if o.qty >= 60 and o.arrival_s < config.horizon_s]
        assert split
        for order in split[:5]:
            lots = [client.get(f"/work-orders/{order.work_order_id}.{i}").json() for i in (1, 2)]
            assert all(lot["sales_order_id"] == order.sales_order_id for lot in lots)
            third = client.get(f"/work-orders/{order.work_order_id}.3")
            qtys = [lot["qty"] for lot in lots] + ([third.json()["qty"]] if third.status_code == 200 else [])
            assert sum(qtys) == order.qty
            assert client.get(f"/work-orders/{order.work_order_id}").status_code == 404
    # every outbox event delivered exactly once, in outbox order
    outbox = _all_outbox(container)
    deadline = time.monotonic() + 30
    while len(subscriber.deliveries) < len(outbox) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(outbox) == container.outbox_reader.last_seq() > 1000
    assert subscriber.deliveries == outbox
    assert len({event_id for _, event_id in subscriber.deliveries}) == len(outbox)
    container.close()
