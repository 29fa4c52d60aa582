"""Alerts: open and acknowledged alerts of your lines with acknowledgement (which flows back to the engine
and, through the live hub, to every big screen), the rules with their channels, and the state history."""

from __future__ import annotations

from nicegui import ui

from plantloop.reports.alerts import Alert, AlertState
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer


def register() -> None:
    guarded_page("/alerts", "read", title_key="nav.alerts")(alerts_page)


def _visible(viewer: Viewer, alert: Alert) -> bool:
    return viewer.sees_line(viewer.ctx.line_of_target(alert.target))


def alerts_page(viewer: Viewer) -> None:
    t = viewer.t
    engine = viewer.ctx.alerts

    @ui.refreshable
    def active() -> None:
        alerts = [a for a in engine.alerts() if a.state is not AlertState.RESOLVED and _visible(viewer, a)]
        ui.label(t("alerts.active", count=len(alerts))).classes("text-lg font-bold")
        if not alerts:
            ui.label(t("alerts.none")).classes("pl-muted").props("data-test=alerts-none")
        for alert in alerts:
            colour = {"critical": "negative", "warning": "warning"}.get(alert.severity.value, "info")
            with ui.card().classes("w-full").props(f"data-test=alert-{alert.id}"):
                with ui.row().classes("w-full items-center gap-2"):
                    ui.badge(viewer.tv("severity", alert.severity.value), color=colour)
                    ui.label(alert.message).classes("font-bold")
                    ui.space()
                    ui.badge(viewer.tv("alert_state", alert.state.value), color="grey")
                ui.label(
                    t(
                        "alerts.since",
                        since=viewer.local(alert.opened_at, "%m-%d %H:%M:%S"),
                        count=alert.occurrences,
                    )
                ).classes("text-sm pl-muted")
                if alert.acknowledged_by:
                    acked_at = viewer.local(alert.acknowledged_at, "%m-%d %H:%M")
                    ui.label(t("alerts.acked_by", user=alert.acknowledged_by, at=acked_at)).classes("text-sm")
                if alert.state is AlertState.OPEN and viewer.can("execute"):

                    async def ack(alert_id: str = alert.id) -> None:
                        def call() -> Alert:
                            if not _visible(viewer, engine.get(alert_id)):
                                from plantloop.api.scope import OutOfScope

                                raise OutOfScope(t("errors.code.out_of_scope"))
                            return engine.acknowledge(alert_id, by=viewer.username, note="web UI")

                        if await viewer.act("execute", call, done=t("alerts.acknowledged")) is not None:
                            viewer.ctx.hub.poke()
                            active.refresh()

                    ui.button(t("alerts.acknowledge"), icon="done", on_click=ack).props(
                        f"data-test=ack-{alert.id}"
                    )

    active()
    ui.timer(5.0, active.refresh)
    with ui.expansion(t("alerts.rules"), icon="rule").classes("w-full").props("data-test=alerts-rules"):
        columns = [
            {"name": k, "label": t(f"alerts.col.{k}"), "field": k, "align": "left"}
            for k in ("name", "kind", "severity", "condition", "channels")
        ]
        rows: list[dict[str, str]] = []
        for rule in engine.rules():
            if rule.kind.value == "event":
                condition = f"{rule.event_type} → {rule.clear_event_type or t('alerts.ack_clears')}"
            else:
                word = "<" if rule.direction.value == "below" else ">"
                condition = f"{rule.metric}({rule.target}) {word} {rule.threshold:g} ≥ {rule.duration_s:g}s"
            rows.append(
                {
                    "id": rule.id,
                    "name": rule.name,
                    "kind": rule.kind.value,
                    "severity": viewer.tv("severity", rule.severity.value),
                    "condition": condition,
                    "channels": ", ".join(rule.channels) or t("alerts.ui_only"),
                }
            )
        ui.table(columns=columns, rows=rows, row_key="id").props("flat dense").classes("w-full")
    with ui.expansion(t("alerts.history"), icon="history").classes("w-full"):
        history = [h for h in engine.history() if viewer.sees_line(viewer.ctx.line_of_target(h.target))][
            -200:
        ]
        transitions = [
            {
                "i": i,
                "at": viewer.local(h.at, "%m-%d %H:%M:%S"),
                "rule": h.rule_id,
                "target": h.target,
                "state": viewer.tv("alert_state", h.state.value),
                "by": h.by or "",
                "note": h.note or "",
            }
            for i, h in enumerate(reversed(history))
        ]
        columns = [
            {"name": k, "label": t(f"alerts.col.{k}"), "field": k, "align": "left"}
            for k in ("at", "rule", "target", "state", "by", "note")
        ]
        ui.table(columns=columns, rows=transitions, row_key="i", pagination=20).props("flat dense").classes(
            "w-full"
        )
