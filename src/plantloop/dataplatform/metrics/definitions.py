"""Named metrics: OneData grammar (atomic metric + period + modifiers) and ISO 22400 definitions.

Every metric is one SQL aggregate expression over one ADS or DWS table, so that it re-aggregates
correctly to any allowed grouping (a ratio is a ratio of sums, never an average of ratios). The table
below is the whole registry; the query API validates names, groupings and filters against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Source(StrEnum):
    """The tables metrics read: ADS and DWS only (the layer rule of the API)."""

    OEE = "ads_oee_equipment_shift"
    PRODUCT = "ads_product_quality_shift"
    ORDERS = "ads_order_delivery"
    RECONCILIATION = "ads_production_reconciliation"
    QUERY_LOG = "dp_query_log"


#: group_by / filter name → column, per source.
DIMENSIONS: dict[Source, dict[str, str]] = {
    Source.OEE: {
        "line": "line_id",
        "work_center": "work_center_id",
        "equipment": "equipment_id",
        "shift": "shift_id",
        "day": "shift_date",
    },
    Source.PRODUCT: {
        "line": "line_id",
        "work_center": "work_center_id",
        "equipment": "equipment_id",
        "shift": "shift_id",
        "day": "shift_date",
        "product": "material_id",
    },
    Source.ORDERS: {"line": "line_id", "product": "material_id", "day": "completed_date"},
    Source.RECONCILIATION: {"line": "line_id", "day": "shift_date"},
    Source.QUERY_LOG: {"day": "queried_day"},
}

#: The time column of each source (a DATE).
TIME_COLUMN: dict[Source, str] = {
    Source.OEE: "shift_date",
    Source.PRODUCT: "shift_date",
    Source.ORDERS: "completed_date",
    Source.RECONCILIATION: "shift_date",
    Source.QUERY_LOG: "queried_day",
}

#: Rows of a source a metric may count (e.g. only completed orders).
SOURCE_WHERE: dict[Source, str] = {Source.ORDERS: "status = 'completed'"}


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    definition: str
    unit: str
    source: Source
    expression: str
    atomic: str
    modifiers: tuple[str, ...] = ()
    additive: bool = False
    owner: str = "data-platform"
    iso22400: str | None = None
    grain: str = "equipment x shift"
    default_period: str = "day"
    higher_is_better: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def derived_name(self, period: str, group_by: tuple[str, ...] = ()) -> str:
        """OneData derived-metric name: period + modifiers (+ grouping) + atomic metric."""
        parts = [period, *self.modifiers, *(f"by_{g}" for g in group_by), self.atomic]
        return "_".join(p for p in parts if p)

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(DIMENSIONS[self.source])

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title,
            "definition": self.definition,
            "unit": self.unit,
            "source": self.source.value,
            "atomic": self.atomic,
            "modifiers": list(self.modifiers),
            "additive": self.additive,
            "owner": self.owner,
            "iso22400": self.iso22400,
            "grain": self.grain,
            "dimensions": list(self.dimensions),
            "default_period": self.default_period,
            "higher_is_better": self.higher_is_better,
            "expression": self.expression,
        }


def _ratio(num: str, den: str) -> str:
    return f"CAST(SUM({num}) AS DOUBLE) / NULLIF(SUM({den}), 0)"


_A = _ratio("run_time_s", "planned_time_s")
_P = _ratio("ideal_output_time_s", "run_time_s")
_Q = _ratio("qty_good", "qty_total")

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "oee", "Overall equipment effectiveness",
            "Availability x performance x quality = (ideal output time / planned busy time)"
            " x (good / produced).",
            "ratio", Source.OEE,
            f"{_ratio('ideal_output_time_s', 'planned_time_s')} * COALESCE({_Q}, 1.0)",
            "oee", iso22400="OEE index (ISO 22400-2 KPI 1200)",
        ),
        Metric(
            "availability", "Availability", "Actual production time / planned busy time (APT / PBT).",
            "ratio", Source.OEE, _A, "availability", iso22400="Availability (ISO 22400-2)",
        ),
        Metric(
            "performance", "Performance (speed loss)",
            "Ideal cycle time x produced quantity / actual production time.",
            "ratio", Source.OEE, _P, "performance", iso22400="Effectiveness (ISO 22400-2)",
        ),
        Metric(
            "quality_rate", "Quality rate", "Good quantity / produced quantity.",
            "ratio", Source.PRODUCT, _Q, "quality_rate", grain="equipment x shift x product",
            owner="quality", iso22400="Quality ratio (ISO 22400-2)",
        ),
        Metric(
            "first_pass_yield", "First-pass yield",
            "Units passing their first inspection / units at their first inspection.",
            "ratio", Source.PRODUCT,
            "CAST(SUM(qty_inspected_first) - SUM(qty_defective_first) AS DOUBLE)"
            " / NULLIF(SUM(qty_inspected_first), 0)",
            "yield", ("first_pass",), grain="equipment x shift x product", owner="quality",
            iso22400="First pass yield (ISO 22400-2)",
        ),
        Metric(
            "scrap_rate", "Scrap rate", "Scrap quantity / produced quantity.",
            "ratio", Source.PRODUCT, _ratio("qty_scrap", "qty_total"), "rate", ("scrap",),
            grain="equipment x shift x product", owner="quality", iso22400="Scrap ratio (ISO 22400-2)",
            higher_is_better=False,
        ),
        Metric(
            "good_qty", "Good quantity", "Good units of completed operations.",
            "units", Source.PRODUCT, "SUM(qty_good)", "qty", ("good",), additive=True,
            grain="equipment x shift x product", iso22400="Good quantity (ISO 22400-2 GQ)",
        ),
        Metric(
            "throughput_rate", "Throughput rate", "Good quantity per hour of actual production time.",
            "units/h", Source.OEE, "CAST(SUM(qty_good) AS DOUBLE) / NULLIF(SUM(run_time_s) / 3600.0, 0)",
            "throughput", iso22400="Throughput rate (ISO 22400-2)",
        ),
        Metric(
            "capacity_utilization", "Capacity utilization",
            "Actual production time / planned operation time of the shifts (APT / POT).",
            "ratio", Source.OEE, _ratio("run_time_s", "calendar_time_s"), "utilization", ("capacity",),
            iso22400="Utilization efficiency (ISO 22400-2)",
        ),
        Metric(
            "unplanned_downtime_h", "Unplanned downtime", "Hours of unplanned downtime inside planned time.",
            "h", Source.OEE, "SUM(unplanned_downtime_s) / 3600.0", "downtime_h", ("unplanned",),
            additive=True, higher_is_better=False, iso22400="Actual unit down time (ISO 22400-2 ADOT)",
        ),
        Metric(
            "mtbf_h", "Mean time between failures", "Actual production time / number of breakdowns.",
            "h", Source.OEE, "SUM(run_time_s) / 3600.0 / NULLIF(SUM(failures), 0)", "mtbf_h",
            owner="maintenance", iso22400="Mean operating time between failures (ISO 22400-2 MTBF)",
        ),
        Metric(
            "mttr_h", "Mean time to repair", "Breakdown repair time / number of breakdowns.",
            "h", Source.OEE, "SUM(repair_time_s) / 3600.0 / NULLIF(SUM(failures), 0)", "mttr_h",
            owner="maintenance", iso22400="Mean time to restoration (ISO 22400-2 MTTR)",
            higher_is_better=False,
        ),
        Metric(
            "exception_handling_time_min", "Exception handling time",
            "Mean minutes from the start to the end of an unplanned stop (alarm / downtime handled).",
            "min", Source.OEE, "SUM(stoppage_time_s) / 60.0 / NULLIF(SUM(stoppages), 0)",
            "handling_time_min", ("exception",), higher_is_better=False,
        ),
        Metric(
            "on_time_delivery", "On-time delivery",
            "Completed work orders finished by their due date / completed work orders.",
            "ratio", Source.ORDERS,
            "CAST(SUM(CASE WHEN on_time THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF(COUNT(*), 0)",
            "delivery_rate", ("on_time",), grain="work order", owner="planning",
        ),
        Metric(
            "order_lead_time_h", "Order lead time",
            "Mean hours from release to completion of completed orders.",
            "h", Source.ORDERS, "AVG(lead_time_s) / 3600.0", "lead_time_h", ("order",), grain="work order",
            owner="planning", higher_is_better=False,
            iso22400="Production lead time (ISO 22400-2 PLT)",
        ),
        Metric(
            "booking_gap_qty", "Booking gap (parallel run)",
            "Good units the legacy MES booked minus good units plantloop recorded, per line and day.",
            "units", Source.RECONCILIATION, "SUM(gap_qty_good)", "gap_qty", ("booking",), additive=True,
            grain="line x day", owner="data-platform", higher_is_better=False,
        ),
        Metric(
            "data_asset_utilization", "Data asset utilization",
            "Share of governed warehouse tables that were actually queried in the period"
            " (from the query log).",
            "ratio", Source.QUERY_LOG, "COUNT(DISTINCT table_name)", "utilization", ("data_asset",),
            grain="table x day", owner="data-platform",
        ),
    )
}  # fmt: skip
