"""A small chaos run: worker SIGKILLed 3 times and the broker restarted once while 20k events stream."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.servers import MosquittoBroker

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
BENCH = Path(__file__).resolve().parents[3] / "bench" / "chaos_ingest.py"


def _chaos_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chaos_ingest", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_killing_the_worker_and_restarting_the_broker_loses_and_doubles_nothing(
    mqtt_broker: MosquittoBroker, tmp_path: Path
) -> None:
    chaos = _chaos_module()
    result = chaos.run_chaos(
        mqtt_broker, events=20_000, kills=3, broker_restarts=1, seed=11, workdir=tmp_path, rate_per_s=2500
    )
    assert (result["kills"], result["broker_restarts"]) == (3, 1)
    assert (result["lost"], result["duplicated"]) == (0, 0)
    assert result["ledger_reconciles"]
    assert (
        result["ledger"]["mes:chaos"]["duplicates"] == 0
    )  # the outbox path is exactly-once, not just deduped
