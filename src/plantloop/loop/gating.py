"""The data-quality gate: before anything acts on the line, ask whether the data it was built on passed.

The data platform evaluates DQ rules per partition and stores the verdicts; this module only asks. A gate
is any object with ``verdict(inputs) -> DqVerdict``. :class:`NoDqResults` is the gate when no data platform
is wired (every decision passes, and says so); :class:`CallableGate` adapts a plain function
``(partitions) -> (passed, failed_partition_names)`` such as the data platform's ``dq_verdict``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from plantloop.loop.decisions import DqVerdict, PartitionRef


class DqGate(Protocol):
    def verdict(self, inputs: Sequence[PartitionRef]) -> DqVerdict: ...


class NoDqResults:
    """No data-quality results are available: pass, and record that nothing was checked."""

    def verdict(self, inputs: Sequence[PartitionRef]) -> DqVerdict:
        return DqVerdict(passed=True, checked=0, note="no data-quality results available")


DqFunction = Callable[[Sequence[tuple[str, str]]], tuple[bool, Sequence[str]]]


class CallableGate:
    """Wrap ``fn([(table, partition), …]) -> (passed, failed)``; a gate that cannot answer fails closed."""

    def __init__(self, fn: DqFunction) -> None:
        self._fn = fn

    def verdict(self, inputs: Sequence[PartitionRef]) -> DqVerdict:
        if not inputs:
            return DqVerdict(passed=True, checked=0, note="decision names no input partitions")
        try:
            passed, failed = self._fn([(p.table, p.partition) for p in inputs])
        except Exception as exc:  # the gate must never let an unknown state through silently
            return DqVerdict(passed=False, checked=0, note=f"data-quality gate unavailable: {exc}")
        return DqVerdict(passed=bool(passed), failed_partitions=tuple(failed), checked=len(inputs))


class FixedGate:
    """A gate with a fixed answer per partition (tests, and plants without a data platform)."""

    def __init__(self, failed: Sequence[PartitionRef] = ()) -> None:
        self.failed = set(failed)

    def verdict(self, inputs: Sequence[PartitionRef]) -> DqVerdict:
        bad = tuple(str(p) for p in inputs if p in self.failed)
        return DqVerdict(passed=not bad, failed_partitions=bad, checked=len(inputs))
