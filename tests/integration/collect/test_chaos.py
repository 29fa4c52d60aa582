"""A small chaos run: the simulator streams ~6k events (MQTT telemetry and the MES outbox) while the ingest
worker is SIGKILLed 3 times and the broker restarted once; nothing is lost, nothing doubled."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.benches import load_bench
from tests.servers import MosquittoBroker

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def _chaos_module() -> ModuleType:
    return load_bench("chaos_ingest")


def test_killing_the_worker_and_restarting_the_broker_loses_and_doubles_nothing(
    mqtt_broker: MosquittoBroker, tmp_path: Path
) -> None:
    chaos = _chaos_module()
    result = chaos.run_chaos(
        mqtt_broker, events=6_000, kills=3, broker_restarts=1, seed=11, workdir=tmp_path, rate_per_s=2500
    )
    assert (result["kills"], result["broker_restarts"]) == (3, 1)
    assert result["moments_after_stream"] < 4  # a short run may end before its last moments, not before all
    assert result["events"] >= 6_000 and result["outbox_events"] > 0
    assert (result["lost"], result["duplicated"], result["phantom"]) == (0, 0, 0)
    assert result["ledger_reconciles"]
    # the outbox path is exactly-once (offset committed with the rows), not merely deduplicated
    assert result["ledger"]["mes:chaos"]["duplicates"] == 0
    # events sent late on purpose all landed, and the ODS reads back in shop-floor order
    assert result["late_injected"] > 0 and result["arrived_out_of_order_kept"] >= result["late_injected"] // 2
    assert result["read_in_occurred_at_order"]
