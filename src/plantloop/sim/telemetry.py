"""Equipment telemetry: temperature_c, vibration_mm_s and current_a per equipment at ``telemetry_hz``.

Generated vectorised with NumPy one chunk at a time (``telemetry_chunk_s``, an hour by default) from each
machine's state trace: the level depends on the state (running / setup / idle / down), temperature follows
it with a first-order lag, noise is added, and in the last ``degradation_h`` operating hours of a life
(before a failure) vibration, temperature and current ramp up. Telemetry has its own random stream, so
switching it off does not change the rest of the run. Chunks go to a :class:`TelemetrySink`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Protocol

import numpy as np
from scipy.signal import lfilter

from plantloop.mes.masterdata.schema import Equipment
from plantloop.sim.calendar import SimCalendar
from plantloop.sim.faults import Life
from plantloop.sim.scenario import ScenarioConfig, rng_stream

SIGNALS = ("temperature_c", "vibration_mm_s", "current_a")
AMBIENT_C = 25.0
TEMPERATURE_LAG_S = 300.0


class MachineStatus(IntEnum):
    IDLE = 0
    RUNNING = 1
    SETUP = 2
    DOWN = 3


#: Level per status as a fraction of nominal (temperature: of nominal above ambient).
_TEMP = np.array([0.7, 1.0, 0.85, 0.1])
_VIB = np.array([0.15, 1.0, 0.4, 0.02])
_CUR = np.array([0.2, 1.0, 0.5, 0.0])


class TelemetrySink(Protocol):
    def write(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, np.ndarray]
    ) -> None: ...


class CountingSink:
    """Counts samples per equipment; keeps nothing else (for benchmarks and large runs)."""

    def __init__(self) -> None:
        self.samples: Counter[str] = Counter()
        self.chunks = 0

    def write(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, np.ndarray]
    ) -> None:
        self.samples[equipment_id] += len(next(iter(arrays.values())))
        self.chunks += 1


class CollectingSink:
    """Keeps every chunk in memory (for tests and small runs)."""

    def __init__(self) -> None:
        self.chunks: dict[str, list[tuple[datetime, float, dict[str, np.ndarray]]]] = {}

    def write(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, np.ndarray]
    ) -> None:
        self.chunks.setdefault(equipment_id, []).append((start_at, interval_s, dict(arrays)))

    def series(self, equipment_id: str) -> dict[str, np.ndarray]:
        parts = self.chunks.get(equipment_id, [])
        return {s: np.concatenate([p[2][s] for p in parts]) if parts else np.array([]) for s in SIGNALS}


@dataclass
class MachineTrace:
    """State changes of one machine with cumulative operating seconds at each change, and its lives."""

    t: list[float] = field(default_factory=lambda: [0.0])
    status: list[int] = field(default_factory=lambda: [int(MachineStatus.IDLE)])
    op: list[float] = field(default_factory=lambda: [0.0])
    lives: list[Life] = field(default_factory=list)

    def record(self, t: float, status: MachineStatus, op_total: float) -> None:
        self.t.append(t)
        self.status.append(int(status))
        self.op.append(op_total)


class TelemetryGenerator:
    def __init__(
        self,
        equipment: list[Equipment],
        traces: Mapping[str, MachineTrace],
        config: ScenarioConfig,
        calendar: SimCalendar,
        sink: TelemetrySink,
    ) -> None:
        self._equipment = equipment
        self._traces = traces
        self._calendar = calendar
        self._sink = sink
        self.hz = config.telemetry_hz
        self.interval_s = 1.0 / self.hz if self.hz > 0 else math.inf
        self._rng = rng_stream(config.seed, "telemetry")
        self._k = 0  # next sample index
        self._ptr = dict.fromkeys(traces, 0)
        self._zi = {e.id: None for e in equipment}
        self.samples_written = 0

    def flush(self, until_s: float) -> None:
        """Generate every sample with time < ``until_s`` not generated yet."""
        if self.hz <= 0:
            return
        k1 = math.ceil(until_s * self.hz - 1e-9)
        if k1 <= self._k:
            return
        times = np.arange(self._k, k1, dtype=np.float64) * self.interval_s
        start_at = self._calendar.at(float(times[0]))
        for eq in self._equipment:
            arrays = self._generate(eq, times)
            self._sink.write(eq.id, start_at, self.interval_s, arrays)
        self.samples_written += (k1 - self._k) * len(self._equipment)
        self._k = k1

    def _generate(self, eq: Equipment, times: np.ndarray) -> dict[str, np.ndarray]:
        trace = self._traces[eq.id]
        p = self._ptr[eq.id]
        ts = np.asarray(trace.t[p:])
        status = np.asarray(trace.status[p:], dtype=np.intp)
        ops = np.asarray(trace.op[p:])
        idx = np.searchsorted(ts, times, side="right") - 1
        self._ptr[eq.id] = p + int(max(idx[-1], 0))
        code = status[idx]
        deg = self._degradation(trace, times, ts, ops, idx, code)
        nom = eq.telemetry
        n = len(times)
        noise = self._rng.standard_normal((3, n), dtype=np.float32)
        temp_target = AMBIENT_C + (nom.temperature_c - AMBIENT_C) * (_TEMP[code] + 0.08 * deg)
        alpha = math.exp(-self.interval_s / TEMPERATURE_LAG_S)
        zi = self._zi[eq.id]
        if zi is None:
            zi = np.array([alpha * temp_target[0]])
        temp, zf = lfilter([1.0 - alpha], [1.0, -alpha], temp_target, zi=zi)
        self._zi[eq.id] = zf
        vib = nom.vibration_mm_s * (_VIB[code] + 1.5 * deg) * (1.0 + 0.06 * noise[1])
        cur = nom.current_a * (_CUR[code] + 0.12 * deg) + 0.03 * nom.current_a * noise[2]
        return {
            "temperature_c": (temp + 0.5 * noise[0]).astype(np.float32),
            "vibration_mm_s": np.maximum(vib, 0.0).astype(np.float32),
            "current_a": np.maximum(cur, 0.0).astype(np.float32),
        }

    @staticmethod
    def _degradation(
        trace: MachineTrace,
        times: np.ndarray,
        ts: np.ndarray,
        ops: np.ndarray,
        idx: np.ndarray,
        code: np.ndarray,
    ) -> np.ndarray:
        t0, t1 = float(times[0]), float(times[-1])
        lives = [lf for lf in trace.lives if lf.start_s <= t1 and (lf.end_s is None or lf.end_s > t0)]
        op_end = float(ops[idx[-1]] + (t1 - ts[idx[-1]] if code[-1] == MachineStatus.RUNNING else 0.0))
        if not lives or all(op_end <= lf.degradation_op or math.isinf(lf.fail_op) for lf in lives):
            return np.zeros(len(times))
        op_t = ops[idx] + np.where(code == MachineStatus.RUNNING, times - ts[idx], 0.0)
        deg = np.zeros(len(times))
        for lf in lives:
            if math.isinf(lf.fail_op):
                continue
            mask = times >= lf.start_s
            if lf.end_s is not None:
                mask &= times < lf.end_s
            span = max(lf.fail_op - lf.degradation_op, 1.0)
            deg = np.where(mask, np.clip((op_t - lf.degradation_op) / span, 0.0, 1.0), deg)
        return np.where(code == MachineStatus.DOWN, 0.0, deg)
