"""Policy hooks: analytics that watch the twin the way they would watch a real plant, and act on it.

A hook (:class:`PlantHook`) sees only what a plant's systems see:

- ``observe(command)``: every command the twin's shop floor and ERP feed send to the MES (operation starts
  and completions with parameters, consumptions, inspections, downtime, maintenance …) — the MES's record;
- ``telemetry(equipment_id, start_at, interval_s, arrays)``: the equipment telemetry, chunk by chunk;

and every ``tick_s`` of simulated time ``tick(now_at)`` returns proposals
(:class:`~plantloop.optimize.proposals.Proposal`). The plant carries out their commands through the MES
(``Plant.submit``) — directly, or through the policy's ``decide`` function (e.g. the decision layer's
service, which records and approves them first). The twin then reacts as a plant would: a held lot is not
consumed, requested maintenance is done and renews the machine. Ground truth is never shown to a hook.

:class:`HookTelemetrySink` passes telemetry to the hooks on its way to the run's own sink.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import numpy as np

from plantloop.mes.domain.commands import Command
from plantloop.optimize.proposals import Proposal
from plantloop.sim.telemetry import TelemetrySink


class PlantHook(Protocol):
    name: str
    tick_s: float

    def observe(self, command: Command) -> None: ...

    def telemetry(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, np.ndarray]
    ) -> None: ...

    def tick(self, now_at: datetime) -> Sequence[Proposal]: ...


class HookTelemetrySink:
    """Tee: every chunk goes to the hooks, then to ``inner`` (if any)."""

    def __init__(self, hooks: Sequence[PlantHook], inner: TelemetrySink | None = None) -> None:
        self.hooks = list(hooks)
        self.inner = inner

    def write(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, np.ndarray]
    ) -> None:
        for hook in self.hooks:
            hook.telemetry(equipment_id, start_at, interval_s, arrays)
        if self.inner is not None:
            self.inner.write(equipment_id, start_at, interval_s, arrays)
