"""The aggregate base: an entity that records the events it raises, each with its own sequence number.

The sequence number (``event_seq``) is stored with the aggregate, so the outbox key (aggregate kind, id,
sequence) is deterministic and continues across reloads: the same commands give the same event ids.
"""

from __future__ import annotations

from typing import ClassVar

from plantloop.mes.domain.events import Event


class Aggregate:
    kind: ClassVar[str] = "aggregate"

    id: str
    event_seq: int
    #: Recorded but not yet collected by the bus: (sequence, event).
    events: list[tuple[int, Event]]

    def _init_aggregate(self, event_seq: int = 0) -> None:
        self.event_seq = event_seq
        self.events = []

    def _record(self, event: Event) -> None:
        self.event_seq += 1
        self.events.append((self.event_seq, event))
