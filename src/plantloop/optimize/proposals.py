"""What an optimizer proposes to the decision layer: MES commands with the evidence that justifies them.

Analytics stay pure: they return :class:`Proposal` values. ``plantloop.loop.DecisionService.propose``
records, gates, approves (by configuration) and publishes them; :meth:`Proposal.as_kwargs` is exactly its
keyword arguments, and :func:`send_directly` is the fallback for a run without a decision layer (every
command goes straight to a command sink — only for simulations and tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from plantloop.mes.domain.commands import Command


class CommandSink(Protocol):
    def handle(self, command: Command) -> Any: ...


@dataclass(frozen=True)
class Proposal:
    """One decision proposal. ``kind`` is a ``plantloop.loop.DecisionKind`` value (``lot_hold``,
    ``maintenance_order``, ``nonconformance`` …); ``inputs`` are (table, partition) pairs it was built on."""

    kind: str
    subject: str
    commands: tuple[Command, ...]
    title: str
    evidence: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[tuple[str, str], ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    model_version: str | None = None
    proposed_by: str = "analytics"

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``DecisionService.propose`` (``kind`` and ``inputs`` converted)."""
        from plantloop.loop.decisions import DecisionKind, PartitionRef

        return {
            "kind": DecisionKind(self.kind),
            "subject": self.subject,
            "commands": list(self.commands),
            "title": self.title,
            "evidence": self.evidence,
            "inputs": [PartitionRef(table, partition) for table, partition in self.inputs],
            "parameters": self.parameters,
            "model_version": self.model_version,
            "proposed_by": self.proposed_by,
        }


def send_directly(proposals: Sequence[Proposal], sink: CommandSink) -> list[Any]:
    """Send every command of every proposal to ``sink`` in order (no approval, no record)."""
    return [sink.handle(command) for proposal in proposals for command in proposal.commands]
