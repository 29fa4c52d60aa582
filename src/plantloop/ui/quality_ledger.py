"""The quality analytics' view of the plant for the web UI: one :class:`QualityLedger` kept current from the
MES outbox (the quality context's own :class:`OutboxFollower`), caught up whenever a page asks for it.

The first use reads the whole outbox once (the ledger needs every lot and genealogy edge, not a window);
later uses read only what is new. A lock keeps the follower single-threaded.
"""

from __future__ import annotations

import threading

from plantloop.dataplatform.live.shifts import shift_at
from plantloop.kernel.ports import OutboxReader
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.optimize.quality.feeds import OutboxFollower
from plantloop.optimize.quality.ledger import QualityLedger


class LedgerView:
    def __init__(self, plant: PlantDefinition, reader: OutboxReader) -> None:
        def shift_of(at: object) -> str | None:
            shift = shift_at(plant, at)  # type: ignore[arg-type]
            return shift.shift_id if shift else None

        self.ledger = QualityLedger(shift_of, plant.work_center_of)
        self.follower = OutboxFollower(self.ledger, reader)
        self._lock = threading.Lock()

    def current(self) -> QualityLedger:
        """The ledger with every MES event applied (blocking; call from a worker thread)."""
        with self._lock:
            self.follower.poll()
        return self.ledger
