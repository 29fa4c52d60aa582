"""Measuring what a decision did: a KPI over a window before it was published against the same window after.

``measure_effect(metric, published_at, window)`` calls ``metric(start, end)`` twice — any function that
answers a KPI for a time range, e.g. the scrap rate of the held lot's product from the metrics layer — and
returns the before/after values with their difference. It is a before/after comparison, not a controlled
experiment: the result says so (``method``), and the twin's ``loop`` vs ``baseline`` runs on the same seeds
are where the causal effect of the loop is measured.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

#: A KPI over [start, end): a number, or None when there is no data for the range.
Metric = Callable[[datetime, datetime], float | None]


def measure_effect(
    metric: Metric, published_at: datetime, window: timedelta, *, higher_is_better: bool = True
) -> dict[str, Any]:
    before = metric(published_at - window, published_at)
    after = metric(published_at, published_at + window)
    delta = None if before is None or after is None else after - before
    relative = None if delta is None or not before else delta / abs(before)
    improved = None if delta is None else (delta > 0) == higher_is_better and delta != 0
    return {
        "before": before,
        "after": after,
        "delta": delta,
        "relative": relative,
        "improved": improved,
        "window_h": window.total_seconds() / 3600,
        "method": "before/after over equal windows",
    }
