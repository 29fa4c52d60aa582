"""The home page: what this user can open (by role), and the few numbers worth a glance — work orders by
status in scope, machines down, decisions waiting for approval, open alerts."""

from __future__ import annotations

from nicegui import ui

from plantloop.reports.alerts import AlertState
from plantloop.ui.menu import PAGES
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer


def register() -> None:
    guarded_page("/home", "read", title_key="nav.home")(home)


def home(viewer: Viewer) -> None:
    t = viewer.t
    ui.label(t("home.welcome", user=viewer.username)).classes("text-2xl font-bold").props(
        "data-test=home-welcome"
    )
    counts = viewer.queries.work_order_counts()
    down = [e for e in viewer.queries.equipment_states() if e.downtime_reason_code]
    pending = viewer.ctx.container.decisions.pending(limit=500)
    alerts = [a for a in viewer.ctx.alerts.alerts() if a.state is AlertState.OPEN]
    with ui.row().classes("w-full gap-3"):
        for label, value, mark in (
            (t("home.orders_in_progress"), counts.get("in_progress", 0), "in-progress"),
            (t("home.orders_released"), counts.get("released", 0), "released"),
            (t("home.machines_down"), len(down), "down"),
            (t("home.pending_decisions"), len(pending), "pending"),
            (t("home.open_alerts"), len(alerts), "alerts"),
        ):
            with ui.card().classes("p-4 min-w-40").props(f"data-test=home-{mark}"):
                ui.label(label).classes("text-sm pl-muted")
                ui.label(str(value)).classes("text-3xl font-bold pl-kpi")
    with ui.grid().classes("w-full gap-3 grid-cols-1 sm:grid-cols-2 lg:grid-cols-4"):
        for page in PAGES:
            if page.path == "/home" or not page.in_menu or not viewer.can(page.permission):
                continue
            with (
                ui.card()
                .classes("p-4 cursor-pointer hover:shadow-lg")
                .on("click", lambda p=page.path: ui.navigate.to(p))
                .props(f"data-test=tile{page.path.replace('/', '-')}")
            ):
                with ui.row().classes("items-center gap-2"):
                    ui.icon(page.icon, size="1.6rem", color="primary")
                    ui.label(t(page.title_key)).classes("text-lg font-bold")
                ui.label(t(f"{page.title_key}_hint")).classes("text-sm pl-muted")
