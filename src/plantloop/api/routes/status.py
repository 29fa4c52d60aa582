"""A minimal HTML status page at ``/``: plant, work orders by status, equipment states, last events.
Refreshes itself every 5 s. The web UI replaces it later."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from plantloop.api.deps import QueriesDep, require

router = APIRouter(tags=["status"])

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f3f3f3}"
    ".execute{background:#d8f5d0}.aborted,.held,.stopped{background:#f9d6d5}.maintenance{background:#fdf0c4}"
)


def _table(headers: list[str], rows: list[list[str]], row_class: list[str] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        f'<tr class="{escape(row_class[i]) if row_class else ""}">'
        + "".join(f"<td>{escape(v)}</td>" for v in r)
        + "</tr>"
        for i, r in enumerate(rows)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


@router.get("/", response_class=HTMLResponse, dependencies=[require("read")])
def status_page(queries: QueriesDep) -> HTMLResponse:
    """Plant status page (HTML, refreshes every 5 s)."""
    plant = queries.plant
    counts = queries.work_order_counts()
    equipment = queries.equipment_states()
    events = queries.last_events(15)
    html = (
        f'<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">'
        f"<title>plantloop — {escape(plant.site.name)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(plant.enterprise.name)} — {escape(plant.site.name)}</h1>"
        "<h2>Work orders</h2>"
        + _table(["status", "count"], [[k, str(v)] for k, v in sorted(counts.items())])
        + "<h2>Equipment</h2>"
        + _table(
            ["equipment", "work center", "state", "operation", "downtime"],
            [
                [
                    e.id,
                    e.work_center_id,
                    e.state.value,
                    e.current_operation_id or "",
                    e.downtime_reason_code or "",
                ]
                for e in equipment
            ],
            [e.state.value for e in equipment],
        )
        + "<h2>Last events</h2>"
        + _table(
            ["seq", "occurred at", "type", "subject"],
            [
                [str(r.seq), r.envelope.occurred_at.isoformat(), r.envelope.type, r.envelope.subject or ""]
                for r in events
            ],
        )
        + "</body></html>"
    )
    return HTMLResponse(html)
