"""ECharts option builders: plain functions from data to option dicts (no NiceGUI), so they are tested
without a browser and every page draws the same way. Ratios are 0..1 in data and percent on screen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Options = dict[str, Any]

DARK_TEXT = "#cbd5e1"
STATE_COLORS = {
    "execute": "#22c55e",
    "idle": "#94a3b8",
    "starting": "#38bdf8",
    "held": "#f59e0b",
    "suspended": "#f59e0b",
    "stopped": "#ef4444",
    "aborted": "#ef4444",
    "maintenance": "#a855f7",
    "unknown": "#64748b",
}


def pct(value: float | None, decimals: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{decimals}f}%"


def gauge(title: str, value: float | None, *, dark: bool = True) -> Options:
    """A 0–100 % gauge; ``None`` shows an empty gauge (no data yet), never a made-up zero."""
    text = DARK_TEXT if dark else "#334155"
    level = (
        "#94a3b8" if value is None else "#ef4444" if value < 0.6 else "#f59e0b" if value < 0.85 else "#22c55e"
    )
    return {
        "series": [
            {
                "type": "gauge",
                "min": 0,
                "max": 100,
                "radius": "92%",
                "progress": {"show": True, "width": 12, "itemStyle": {"color": level}},
                "axisLine": {"lineStyle": {"width": 12, "color": [[1, "#1e293b" if dark else "#e2e8f0"]]}},
                "axisTick": {"show": False},
                "splitLine": {"show": False},
                "axisLabel": {"show": False},
                "pointer": {"show": False},
                "title": {"offsetCenter": [0, "70%"], "color": text, "fontSize": 14},
                "detail": {
                    "valueAnimation": False,
                    "offsetCenter": [0, "5%"],
                    "fontSize": 28,
                    "color": text,
                    "formatter": "{value}%" if value is not None else "—",
                },
                "data": [{"value": None if value is None else round(value * 100, 1), "name": title}],
            }
        ]
    }


def line_factors(lines: Sequence[dict[str, Any]], labels: dict[str, str], *, dark: bool = True) -> Options:
    """Grouped bars per line: availability, performance, quality and OEE (percent)."""
    keys = ("availability", "performance", "quality", "oee")
    colors = ("#38bdf8", "#a78bfa", "#34d399", "#f59e0b")
    text = DARK_TEXT if dark else "#334155"
    return {
        "legend": {"textStyle": {"color": text}, "top": 0},
        "grid": {"left": 40, "right": 10, "top": 30, "bottom": 25},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [ln["line_id"] for ln in lines], "axisLabel": {"color": text}},
        "yAxis": {"type": "value", "max": 100, "axisLabel": {"color": text, "formatter": "{value}%"}},
        "series": [
            {
                "name": labels[key],
                "type": "bar",
                "itemStyle": {"color": color},
                "data": [None if ln.get(key) is None else round(ln[key] * 100, 1) for ln in lines],
            }
            for key, color in zip(keys, colors, strict=True)
        ],
    }


def output_vs_plan(lines: Sequence[dict[str, Any]], labels: dict[str, str], *, dark: bool = True) -> Options:
    text = DARK_TEXT if dark else "#334155"
    return {
        "legend": {"textStyle": {"color": text}, "top": 0},
        "grid": {"left": 50, "right": 10, "top": 30, "bottom": 25},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [ln["line_id"] for ln in lines], "axisLabel": {"color": text}},
        "yAxis": {"type": "value", "axisLabel": {"color": text}},
        "series": [
            {
                "name": labels["plan"],
                "type": "bar",
                "itemStyle": {"color": "#475569"},
                "data": [ln["plan_qty"] for ln in lines],
            },
            {
                "name": labels["output"],
                "type": "bar",
                "itemStyle": {"color": "#22c55e"},
                "data": [ln["output_qty"] for ln in lines],
            },
        ],
    }


def pareto(items: Sequence[tuple[str, float]], labels: dict[str, str], *, dark: bool = True) -> Options:
    """Bars by descending count with the cumulative share as a line on a second axis."""
    items = sorted(items, key=lambda kv: (-kv[1], kv[0]))
    total = sum(v for _, v in items) or 1.0
    cumulative, running = [], 0.0
    for _, value in items:
        running += value
        cumulative.append(round(running / total * 100, 1))
    text = DARK_TEXT if dark else "#334155"
    return {
        "grid": {"left": 45, "right": 45, "top": 30, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "legend": {"textStyle": {"color": text}, "top": 0},
        "xAxis": {
            "type": "category",
            "data": [k for k, _ in items],
            "axisLabel": {"color": text, "rotate": 20},
        },
        "yAxis": [
            {"type": "value", "axisLabel": {"color": text}},
            {"type": "value", "max": 100, "axisLabel": {"color": text, "formatter": "{value}%"}},
        ],
        "series": [
            {
                "name": labels["count"],
                "type": "bar",
                "itemStyle": {"color": "#f97316"},
                "data": [v for _, v in items],
            },
            {
                "name": labels["cumulative"],
                "type": "line",
                "yAxisIndex": 1,
                "data": cumulative,
                "itemStyle": {"color": "#38bdf8"},
            },
        ],
    }


def control_chart(
    points: Sequence[tuple[str, float]],
    center: float,
    lcl: float,
    ucl: float,
    labels: dict[str, str],
    *,
    violations: Sequence[int] = (),
) -> Options:
    """An SPC chart: the points, centre line and control limits; violating points in red."""
    data: list[Any] = []
    bad = set(violations)
    values = [v for _, v in points]
    low, high = min([lcl, center, *values]), max([ucl, center, *values])
    pad = (high - low) * 0.08 or abs(center) * 0.05 or 1.0
    for i, (_, v) in enumerate(points):
        data.append({"value": v, "itemStyle": {"color": "#dc2626"}} if i in bad else v)
    return {
        "grid": {"left": 55, "right": 20, "top": 30, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [k for k, _ in points]},
        "yAxis": {"type": "value", "min": round(low - pad, 6), "max": round(high + pad, 6)},
        "series": [
            {
                "name": labels["value"],
                "type": "line",
                "data": data,
                "symbolSize": 6,
                "markLine": {
                    "symbol": "none",
                    "data": [
                        {"yAxis": ucl, "name": "UCL", "lineStyle": {"color": "#dc2626", "type": "dashed"}},
                        {"yAxis": center, "name": "CL", "lineStyle": {"color": "#16a34a"}},
                        {"yAxis": lcl, "name": "LCL", "lineStyle": {"color": "#dc2626", "type": "dashed"}},
                    ],
                    "label": {"formatter": "{b}: {c}"},
                },
            }
        ],
    }


def graph(
    nodes: Sequence[dict[str, Any]], links: Sequence[dict[str, Any]], *, layout: str = "force"
) -> Options:
    """A node-link graph (genealogy, lineage). Nodes: ``id``, ``name``, ``category``; links: source/target."""
    categories = sorted({str(n.get("category", "")) for n in nodes})
    return {
        "tooltip": {},
        "legend": [{"data": categories, "top": 0}],
        "series": [
            {
                "type": "graph",
                "layout": layout,
                "roam": True,
                "draggable": True,
                "label": {"show": True, "position": "right", "fontSize": 11},
                "edgeSymbol": ["none", "arrow"],
                "edgeSymbolSize": 7,
                "force": {"repulsion": 220, "edgeLength": 90},
                "categories": [{"name": c} for c in categories],
                "data": [
                    {
                        **n,
                        "category": categories.index(str(n.get("category", ""))),
                        "symbolSize": n.get("size", 18),
                    }
                    for n in nodes
                ],
                "links": list(links),
                "lineStyle": {"opacity": 0.7, "curveness": 0.1},
            }
        ],
    }


#: ECharts custom series renderer for Gantt bars: value = [row index, start ms, end ms, label].
_GANTT_RENDER = """(params, api) => {
  const row = api.value(0); const start = api.coord([api.value(1), row]);
  const end = api.coord([api.value(2), row]); const h = api.size([0, 1])[1] * 0.36;
  const offset = params.seriesIndex === 0 ? -h * 0.55 : h * 0.55;
  const w = Math.max(end[0] - start[0], 1);
  return {type: 'rect', transition: ['shape'], style: api.style(),
          shape: {x: start[0], y: start[1] - h / 2 + offset, width: w, height: h}};
}"""


def gantt(
    rows: Sequence[str],
    plan: Sequence[tuple[int, float, float, str]],
    actual: Sequence[tuple[int, float, float, str]],
    labels: dict[str, str],
) -> Options:
    """Plan vs actual per resource row; times in epoch milliseconds (plan above, actual below)."""

    def series(name: str, items: Sequence[tuple[int, float, float, str]], color: str) -> dict[str, Any]:
        return {
            "name": name,
            "type": "custom",
            ":renderItem": _GANTT_RENDER,
            "clip": True,
            "itemStyle": {"color": color, "opacity": 0.85},
            "encode": {"x": [1, 2], "y": 0},
            "data": [{"value": list(item), "name": item[3]} for item in items],
        }

    return {
        "tooltip": {":formatter": "p => `${p.seriesName}: ${p.value[3]}`"},
        "legend": {"top": 0},
        "dataZoom": [
            {"type": "slider", "filterMode": "weakFilter", "height": 18, "bottom": 5},
            {"type": "inside", "filterMode": "weakFilter"},
        ],
        "grid": {"left": 90, "right": 20, "top": 30, "bottom": 50},
        "xAxis": {"type": "time"},
        "yAxis": {"type": "category", "data": list(rows), "inverse": True},
        "series": [series(labels["plan"], plan, "#64748b"), series(labels["actual"], actual, "#2f6fae")],
    }
