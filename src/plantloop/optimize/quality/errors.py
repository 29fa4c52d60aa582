"""Errors of the quality analytics (genealogy, SPC, root cause).

Error tree::

    PlantloopError (kernel)
     ├── NotFound
     │    └── UnknownTraceLot          a lot id the genealogy has never seen (API: 404)
     └── InvalidInput
          ├── InvalidDefectSignal      a defect signal that selects nothing analysable (API: 422)
          └── InsufficientData         too few observations for a chart or a test (API: 422)
"""

from __future__ import annotations

from typing import Any

from plantloop.kernel.errors import InvalidInput, NotFound


class UnknownTraceLot(NotFound):
    code = "unknown_trace_lot"

    def __init__(self, lot_id: str) -> None:
        super().__init__(f"lot {lot_id} is not in the genealogy", lot_id=lot_id)
        self.lot_id = lot_id


class InvalidDefectSignal(InvalidInput):
    code = "invalid_defect_signal"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, **details)


class InsufficientData(InvalidInput):
    code = "insufficient_data"

    def __init__(self, what: str, have: int, need: int, **details: Any) -> None:
        super().__init__(
            f"{what}: need at least {need} observations, have {have}", have=have, need=need, **details
        )
        self.have = have
        self.need = need
