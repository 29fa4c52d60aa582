"""The metrics layer: named ISO 22400 / OneData metrics computed from ADS and DWS, and their query API."""

from plantloop.dataplatform.metrics.definitions import DIMENSIONS, METRICS, Metric, Source
from plantloop.dataplatform.metrics.query import (
    MetricResult,
    get_metric,
    list_metrics,
    parse_filter,
    parse_period,
    query_metric,
)

__all__ = [
    "DIMENSIONS",
    "METRICS",
    "Metric",
    "MetricResult",
    "Source",
    "get_metric",
    "list_metrics",
    "parse_filter",
    "parse_period",
    "query_metric",
]
