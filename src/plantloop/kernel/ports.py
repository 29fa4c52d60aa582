"""Ports shared across contexts: small protocols that let one context read another without importing it.

The MES implements :class:`OutboxReader` over its outbox table; ``collect/`` reads it as one source among
others; the outbox relay feeds :class:`EventSubscriber` s in order.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from plantloop.kernel.envelope import EventEnvelope


class OutboxRecord(NamedTuple):
    seq: int
    envelope: EventEnvelope


class OutboxReader(Protocol):
    def fetch_after(self, after_seq: int, limit: int) -> list[OutboxRecord]:
        """Events with ``seq > after_seq`` in ascending ``seq`` order, at most ``limit``."""
        ...

    def last_seq(self) -> int: ...


class EventSubscriber(Protocol):
    """Receives events in outbox order; may see an event again after a crash and must deduplicate by id."""

    name: str

    def handle(self, records: list[OutboxRecord]) -> None: ...
