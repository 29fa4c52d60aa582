"""The operator terminal (phone-friendly): the work center's current dispatch list, start / pause / resume /
complete operations, report good and scrap with a defect code, report and end downtime with a reason.

Everything an operator does here is an MES command through the row-scoped bus (``issued_by`` = the user),
so it is validated, audited in the outbox and refused outside the operator's lines exactly as over the API.
The list refreshes itself when the live hub sees an event.
"""

from __future__ import annotations

from typing import Any

from nicegui import background_tasks, run, ui

from plantloop.mes.domain import commands as c
from plantloop.mes.domain.dispatch import DispatchItem
from plantloop.mes.domain.equipment import Equipment
from plantloop.mes.domain.work_order import Operation
from plantloop.ui.live.plant_view import Snapshot
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer


def register() -> None:
    guarded_page("/terminal", "execute", title_key="nav.terminal")(terminal)


def terminal(viewer: Viewer, wc: str = "") -> None:
    t = viewer.t
    plant = viewer.ctx.container.plant
    centers = {
        wc_id: f"{wc_id} · {center.name}"
        for wc_id, center in plant.work_centers.items()
        if viewer.sees_line(plant.line_of.get(wc_id))
    }
    if not centers:
        ui.label(t("terminal.no_work_centers")).classes("text-lg")
        return
    state = {"wc": wc if wc in centers else next(iter(centers))}
    if wc and wc not in centers:
        ui.notify(t("terminal.out_of_scope", wc=wc), type="warning")
    picker = ui.select(centers, value=state["wc"], label=t("terminal.work_center"))
    picker.props("outlined").classes("w-full sm:w-96").props("data-test=terminal-wc")

    #: What the operator has typed, by operation: kept across refreshes of the board.
    drafts: dict[str, dict[str, Any]] = {}
    shown: dict[str, Any] = {"fingerprint": None}

    def read() -> tuple[list[Equipment], list[tuple[Equipment, Operation]], list[DispatchItem]]:
        wc_id = state["wc"]
        equipment = [e for e in viewer.queries.equipment_states() if e.work_center_id == wc_id]
        return equipment, _running_operations(viewer, equipment), viewer.queries.dispatch_list(wc_id)

    @ui.refreshable
    def board() -> None:
        equipment, running, items = read()
        shown["fingerprint"] = _fingerprint(state["wc"], equipment, running, items)
        ui.label(t("terminal.running")).classes("text-lg font-bold mt-2")
        if not running:
            ui.label(t("terminal.nothing_running")).classes("pl-muted")
        for eq, op in running:
            _running_card(
                viewer,
                eq,
                op,
                board.refresh,
                drafts.setdefault(op.id, {"good": 0, "scrap": 0, "defect": None}),
            )
        ui.label(t("terminal.dispatch_list", count=len(items))).classes("text-lg font-bold mt-2")
        if not items:
            ui.label(t("terminal.empty_list")).classes("pl-muted").props("data-test=terminal-empty")
        idle = [e for e in equipment if e.current_operation_id is None and not e.downtime_reason_code]
        for item in items[:40]:
            _dispatch_card(viewer, item, idle, board.refresh)
        ui.label(t("terminal.machines")).classes("text-lg font-bold mt-2")
        with ui.row().classes("w-full gap-2"):
            for eq in equipment:
                _machine_card(viewer, eq, board.refresh)

    def choose(e: Any) -> None:
        state["wc"] = e.value
        board.refresh()

    picker.on_value_change(choose)
    board()
    client = ui.context.client
    last = {"seq": viewer.ctx.hub.view.last_seq}

    async def refresh_if_changed() -> None:
        # Most plant events do not concern this work center: rebuild only when what it shows changed,
        # so an operator typing quantities is not interrupted.
        found = await run.io_bound(read)
        if found is not None and _fingerprint(state["wc"], *found) != shown["fingerprint"]:
            board.refresh()

    def on_snapshot(snapshot: Snapshot) -> None:
        if client.has_socket_connection and snapshot["last_seq"] != last["seq"]:
            last["seq"] = snapshot["last_seq"]
            background_tasks.create(refresh_if_changed(), context=client, name="terminal-refresh")

    client.on_delete(viewer.ctx.hub.listen(on_snapshot))


def _fingerprint(
    wc: str, equipment: list[Equipment], running: list[tuple[Equipment, Operation]], items: list[DispatchItem]
) -> tuple[Any, ...]:
    return (
        wc,
        tuple((e.id, e.state.value, e.downtime_reason_code, e.current_operation_id) for e in equipment),
        tuple((op.id, op.status.value) for _, op in running),
        tuple((i.operation_id, i.status, i.position, i.equipment_id) for i in items[:40]),
    )


def _running_operations(viewer: Viewer, equipment: list[Equipment]) -> list[tuple[Equipment, Operation]]:
    out = []
    for eq in equipment:
        if eq.current_operation_id is None:
            continue
        wo = viewer.queries.operation_work_order(eq.current_operation_id)
        op = next((o for o in wo.operations if o.id == eq.current_operation_id), None) if wo else None
        if op is not None:
            out.append((eq, op))
    return out


def _machine_card(viewer: Viewer, eq: Equipment, refresh: Any) -> None:
    t = viewer.t
    plant = viewer.ctx.container.plant
    with ui.card().classes("p-3 w-full sm:w-64").props(f"data-test=machine-{eq.id}"):
        ui.label(f"{eq.id} · {plant.equipment[eq.id].name}").classes("font-bold")
        text = viewer.tv("equipment_state", eq.state.value)
        if eq.downtime_reason_code:
            text += f" · {t('terminal.down')}: {eq.downtime_reason_code}"
        ui.label(text).classes("text-sm")
        if eq.downtime_reason_code:
            ui.button(
                t("terminal.end_downtime"),
                icon="play_arrow",
                color="positive",
                on_click=lambda: _send(viewer, c.EndDowntime(equipment_id=eq.id), refresh),
            ).classes("w-full").props(f"data-test=end-downtime-{eq.id}")
        else:
            reasons = {r.code: f"{r.code} · {r.name}" for r in plant.downtime_reasons}
            with ui.row().classes("w-full no-wrap items-center gap-1"):
                reason = (
                    ui.select(reasons, label=t("terminal.reason")).props("dense outlined").classes("grow")
                )
                reason.props(f"data-test=downtime-reason-{eq.id}")

                async def report() -> None:
                    if not reason.value:
                        ui.notify(t("terminal.choose_reason"), type="warning")
                        return
                    await _send(
                        viewer, c.StartDowntime(equipment_id=eq.id, reason_code=reason.value), refresh
                    )

                ui.button(icon="report", color="negative", on_click=report).props("dense").props(
                    f"data-test=start-downtime-{eq.id}"
                ).tooltip(t("terminal.report_downtime"))


def _running_card(viewer: Viewer, eq: Equipment, op: Operation, refresh: Any, draft: dict[str, Any]) -> None:
    t = viewer.t
    plant = viewer.ctx.container.plant
    with ui.card().classes("p-3 w-full").props(f"data-test=running-{op.id}"):
        with ui.row().classes("w-full items-center"):
            ui.label(op.id).classes("font-bold text-lg")
            ui.badge(
                viewer.tv("op_status", op.status.value),
                color="green" if op.status.value == "running" else "orange",
            )
            ui.space()
            ui.label(f"{eq.id}").classes("pl-muted")
        ui.label(op.name).classes("text-sm")
        with ui.row().classes("w-full gap-2 items-end"):
            good = ui.number(t("terminal.qty_good"), min=0, precision=0).props("outlined dense")
            good.bind_value(draft, "good")
            good.classes("w-28").props(f"data-test=qty-good-{op.id}")
            scrap = ui.number(t("terminal.qty_scrap"), min=0, precision=0).props("outlined dense")
            scrap.bind_value(draft, "scrap")
            scrap.classes("w-28").props(f"data-test=qty-scrap-{op.id}")
            defects = {d.code: f"{d.code} · {d.name}" for d in plant.defect_codes}
            defect = ui.select(defects, label=t("terminal.defect_code")).props("outlined dense clearable")
            defect.bind_value(draft, "defect")
            defect.classes("w-48").props(f"data-test=defect-{op.id}")

        async def complete() -> None:
            qty_good, qty_scrap = int(good.value or 0), int(scrap.value or 0)
            if qty_scrap and not defect.value:
                ui.notify(t("terminal.scrap_needs_defect"), type="warning")
                return
            command = c.CompleteOperation(
                operation_id=op.id, qty_good=qty_good, qty_scrap=qty_scrap, scrap_defect_code=defect.value
            )
            await _send(viewer, command, refresh)

        with ui.row().classes("w-full gap-2 mt-1"):
            ui.button(
                t("terminal.complete"), icon="check_circle", color="positive", on_click=complete
            ).classes("grow").props("size=lg").props(f"data-test=complete-{op.id}")
            if op.status.value == "paused":
                ui.button(
                    t("terminal.resume"),
                    icon="play_arrow",
                    on_click=lambda: _send(viewer, c.ResumeOperation(operation_id=op.id), refresh),
                ).props("size=lg")


def _dispatch_card(viewer: Viewer, item: DispatchItem, idle: list[Equipment], refresh: Any) -> None:
    t = viewer.t
    with ui.card().classes("p-3 w-full").props(f"data-test=dispatch-{item.operation_id}"):
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(f"{item.position + 1}.").classes("text-lg pl-muted")
            ui.label(item.operation_id).classes("font-bold text-lg")
            ui.badge(viewer.tv("op_status", item.status), color="blue" if item.status == "ready" else "grey")
            ui.space()
            ui.label(f"{item.material_id} × {item.qty}").classes("text-sm")
        ui.label(t("terminal.due", due=viewer.local(item.due_at))).classes("text-xs pl-muted")
        if item.status != "ready":
            return
        choices = {e.id: e.id for e in idle}
        preferred = item.equipment_id if item.equipment_id in choices else next(iter(choices), None)
        with ui.row().classes("w-full no-wrap items-center gap-2"):
            machine = ui.select(choices, value=preferred, label=t("terminal.machine")).props("outlined dense")
            machine.classes("grow").props(f"data-test=machine-for-{item.operation_id}")

            async def start() -> None:
                if not machine.value:
                    ui.notify(t("terminal.no_idle_machine"), type="warning")
                    return
                command = c.StartOperation(
                    operation_id=item.operation_id, equipment_id=machine.value, operator_id=viewer.username
                )
                await _send(viewer, command, refresh)

            ui.button(t("terminal.start"), icon="play_circle", on_click=start).props(
                "size=lg color=primary"
            ).props(f"data-test=start-{item.operation_id}")


async def _send(viewer: Viewer, command: c.Command, refresh: Any) -> None:
    """Send one MES command as the viewer (scope and permission checked), then refresh the board."""
    stamped = command.model_copy(update={"issued_by": viewer.username})

    async def handle() -> Any:
        return await run.io_bound(viewer.bus.handle, stamped)

    await viewer.act("execute", handle, done=viewer.t("terminal.sent", command=type(command).__name__))
    refresh()
