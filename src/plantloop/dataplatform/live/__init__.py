"""The live path: "now" metrics folded from ODS rows within a second of landing, unioned with DWS/ADS."""

from plantloop.dataplatform.live.combined import oee_today
from plantloop.dataplatform.live.metrics import EquipmentLive, LiveMetrics
from plantloop.dataplatform.live.shifts import ShiftInstance, shift_at
from plantloop.dataplatform.live.tail import OdsTail

__all__ = ["EquipmentLive", "LiveMetrics", "OdsTail", "ShiftInstance", "oee_today", "shift_at"]
