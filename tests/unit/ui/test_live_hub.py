"""The live hub: a committed MES command reaches every listener within a fraction of a second, a restart
folds only the recent window, and events feed the alert rules."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from plantloop.bootstrap import build_in_memory_container
from plantloop.kernel.settings import Settings
from plantloop.mes.domain import commands as c
from plantloop.mes.masterdata import PlantDefinition
from plantloop.reports.alert_config import build_engine, load_alert_config
from plantloop.ui.live.hub import LiveHub


def test_a_command_reaches_the_listeners_within_half_a_second(reference_plant: PlantDefinition) -> None:
    container = build_in_memory_container(Settings(), plant=reference_plant)
    alerts, _ = build_engine(load_alert_config(), clock=container.clock)
    hub = LiveHub(container, alerts=alerts)

    async def scenario() -> tuple[float, dict[str, Any]]:
        seen: list[tuple[float, dict[str, Any]]] = []
        hub.start(asyncio.get_running_loop())
        container.relay.start(interval_s=5.0)  # a long idle interval: delivery must come from the wake-up
        hub.listen(lambda snap: seen.append((time.monotonic(), snap)))
        await asyncio.sleep(0.5)
        sent = time.monotonic()
        await asyncio.to_thread(
            container.bus.handle, c.StartDowntime(equipment_id="AS-21", reason_code="BRK")
        )
        top = container.queries.last_events(1)[0].seq
        while not any(s["last_seq"] >= top for _, s in seen):
            await asyncio.sleep(0.01)
            assert time.monotonic() - sent < 5, "no snapshot with the event"
        arrived, snap = next((t, s) for t, s in seen if s["last_seq"] >= top)
        container.relay.stop()
        await hub.stop()
        return arrived - sent, snap

    latency, snap = asyncio.run(scenario())
    assert latency < 0.5, latency
    assert any(a["target"] == "AS-21" and a["reason"] == "BRK" for a in snap["alarms"])
    assert [a.rule_id for a in alerts.alerts()] == ["equipment-down"]  # the event rule fired
    assert container.relay.subscribers == []  # the hub left the relay when it stopped


def test_a_restart_folds_the_recent_window_and_takes_over_at_the_newest_event(
    reference_plant: PlantDefinition,
) -> None:
    container = build_in_memory_container(Settings(), plant=reference_plant)
    container.bus.handle(c.StartDowntime(equipment_id="AS-11", reason_code="BRK"))
    container.bus.handle(c.EndDowntime(equipment_id="AS-11"))
    hub = LiveHub(container)
    folded = hub.bootstrap()
    top = container.queries.last_events(1)[0].seq
    assert folded == top and hub.view.last_seq == top
    assert container.checkpoints.get(hub.name) == top  # the relay resumes after it, never replays
    hub.handle(container.queries.events(limit=10))  # redelivered old events are ignored
    assert hub.view.last_seq == top
