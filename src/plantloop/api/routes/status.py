"""A plain HTML status page at ``/status``: the plant working — plant time, the running process (simulator,
landing, warehouse builds), work orders and operations by status, live OEE per equipment, equipment
states, event counts and the last events. Refreshes itself every 5 s; the web UI replaces it later.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from plantloop.api.deps import ContainerDep, ScopeDep, require
from plantloop.api.scope import scoped_queries
from plantloop.bootstrap import Container

router = APIRouter(tags=["status"])

_STYLE = (
    "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1.2em}h2{margin:.8em 0 .3em}"
    "td,th{border:1px solid #ccc;padding:.2em .55em;text-align:left}th{background:#f3f3f3}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".execute{background:#d8f5d0}.aborted,.held,.stopped{background:#f9d6d5}.maintenance{background:#fdf0c4}"
    ".suspended{background:#e8e8f8}.demo{background:#fff3cd;border:1px solid #e0c060;padding:.4em .8em}"
    ".cols{display:flex;gap:2em;flex-wrap:wrap}"
)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f'<td class="n">{value:.3f}</td>'
    if isinstance(value, int):
        return f'<td class="n">{value:,}</td>'
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], classes: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        f'<tr class="{escape(classes[i]) if i < len(classes) else ""}">' + "".join(map(_cell, r)) + "</tr>"
        for i, r in enumerate(rows)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _section(title: str, content: str) -> str:
    return f"<div><h2>{escape(title)}</h2>{content}</div>"


def _runtime(status: dict[str, Any]) -> str:
    ods = status.get("ods", {})
    wh = status.get("warehouse", {})
    rows: list[list[object]] = [
        ["simulated up to", status.get("sim_time", "")],
        ["simulator lag (plant s)", status.get("sim_lag_s", 0.0)],
        [
            "commands sent / refused",
            f"{status.get('commands_sent', 0):,} / {status.get('commands_rejected', 0)}",
        ],
        ["MQTT telemetry published", status.get("mqtt_published", "off")],
        ["outbox not landed yet", ods.get("outbox_lag", 0)],
        ["warehouse builds / failed", f"{wh.get('builds', 0)} / {wh.get('failures', 0)}"],
    ]
    rows += [[f"landed in {k}", v] for k, v in sorted(ods.items()) if k.startswith("ods_")]
    if status.get("sim_error"):
        rows.append(["simulator error", status["sim_error"]])
    if wh.get("last_error"):
        rows.append(["last build error", wh["last_error"]])
    return _table(["", ""], rows)


def _live_oee(container: Container, scope: frozenset[str] | None) -> str:
    platform = container.platform
    if platform is None:
        return "<p>No live metrics in this process (run <code>plantloop demo</code>).</p>"
    from plantloop.dataplatform.live.combined import oee_today

    rows = oee_today(platform.live, None, now=container.clock.now(), scope=set(scope) if scope else None)
    if not rows:
        return "<p>No operations folded in the running shift yet.</p>"
    return _table(
        [
            "equipment",
            "line",
            "shift",
            "state",
            "availability",
            "performance",
            "quality",
            "OEE",
            "good",
            "scrap",
        ],
        [
            [
                r["equipment_id"],
                r.get("line_id"),
                r.get("shift_id"),
                r.get("state"),
                r.get("availability"),
                r.get("performance"),
                r.get("quality_rate"),
                r.get("oee"),
                r.get("qty_good", 0),
                r.get("qty_scrap", 0),
            ]
            for r in rows
        ],
    )


@router.get("/", include_in_schema=False)
def root(request: Request) -> RedirectResponse:
    """Browsers land on the web UI's home page when the UI is mounted, else on the status page."""
    return RedirectResponse("/home" if getattr(request.app.state, "ui", None) is not None else "/status")


@router.get("/status", response_class=HTMLResponse, dependencies=[require("read")])
def status_page(container: ContainerDep, scope: ScopeDep) -> HTMLResponse:
    """Plant status page (HTML, refreshes every 5 s)."""
    queries = scoped_queries(container.queries, scope)  # the row scope, as on every other read
    plant = queries.plant
    now = container.clock.now()
    runtime = container.runtime_status() if container.runtime_status is not None else None
    equipment = [
        e for e in queries.equipment_states() if scope is None or plant.line_of.get(e.work_center_id) in scope
    ]
    events = queries.last_events(15)
    banner = ""
    if container.settings.demo:
        banner = (
            '<p class="demo"><b>DEMO MODE</b> — demo users with the password <code>demo</code> are enabled. '
            "Never expose this instance beyond loopback.</p>"
        )
    failing = container.relay.failures
    if failing:  # a subscriber that keeps failing sees no new events until it is fixed: say so
        names = ", ".join(f"{escape(name)} ({n:,} failed tries)" for name, n in sorted(failing.items()))
        banner += f'<p class="demo"><b>Event delivery failing</b> for {names}; see the log.</p>'
    speed = f" — {runtime['speed']:g}× real time" if runtime and "speed" in runtime else ""
    parts = [
        f'<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">'
        f"<title>plantloop — {escape(plant.site.name)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(plant.enterprise.name)} — {escape(plant.site.name)}</h1>",
        banner,
        f"<p>Plant time <b>{escape(now.isoformat(timespec='seconds'))}</b>{escape(speed)} · "
        f"{container.outbox_reader.last_seq():,} MES events · API docs at <a href='/docs'>/docs</a></p>",
        '<div class="cols">',
        _section(
            "Work orders",
            _table(["status", "count"], sorted(queries.work_order_counts().items())),
        ),
        _section("Operations", _table(["status", "count"], sorted(queries.operation_counts().items()))),
        _section(
            "Events by type",
            _table(["type", "count"], sorted(queries.event_counts().items(), key=lambda kv: -kv[1])[:12]),
        ),
        _section("Process", _runtime(runtime)) if runtime is not None else "",
        "</div>",
        _section("Live OEE (running shift)", _live_oee(container, scope)),
        _section(
            "Equipment",
            _table(
                ["equipment", "work center", "state", "since", "operation", "downtime"],
                [
                    [
                        e.id,
                        e.work_center_id,
                        e.state.value,
                        e.state_since.isoformat(timespec="seconds") if e.state_since else "",
                        e.current_operation_id,
                        e.downtime_reason_code,
                    ]
                    for e in equipment
                ],
                [e.state.value for e in equipment],
            ),
        ),
        _section(
            "Last events",
            _table(
                ["seq", "occurred at", "type", "subject"],
                [
                    [
                        r.seq,
                        r.envelope.occurred_at.isoformat(timespec="seconds"),
                        r.envelope.type,
                        r.envelope.subject,
                    ]
                    for r in events
                ],
            ),
        ),
        "</body></html>",
    ]
    return HTMLResponse("".join(parts))
