"""Quality: defect Pareto, SPC charts (p chart of scrap per operation, I-MR of a process parameter against
its specification), lot genealogy as a graph, the root-cause report of a defect signal, and hold / release
of lots as decisions. The analytics are the quality context's (``optimize/quality``) over its ledger of MES
facts; this page only asks and draws."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from nicegui import run, ui

from plantloop.kernel.errors import PlantloopError
from plantloop.loop import DecisionKind
from plantloop.mes.domain import commands as c
from plantloop.optimize.quality.ledger import QualityLedger
from plantloop.ui import charts
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer

MAX_POINTS = 120


def register() -> None:
    guarded_page("/quality", "read", title_key="nav.quality")(quality_page)


def _ledger(viewer: Viewer) -> QualityLedger:
    view = viewer.ctx.extras.get("ledger_view")
    if view is None:
        from plantloop.ui.quality_ledger import LedgerView

        container = viewer.ctx.container
        view = viewer.ctx.extras["ledger_view"] = LedgerView(container.plant, container.outbox_reader)
    return view.current()


def _visible_ops(viewer: Viewer, ledger: QualityLedger) -> list[Any]:
    plant = viewer.ctx.container.plant
    return [
        op
        for op in ledger.operations.values()
        if op.completed_at is not None and viewer.sees_line(plant.line_of.get(op.work_center_id or ""))
    ]


def quality_page(viewer: Viewer, days: int = 7, lot: str = "") -> None:
    t = viewer.t
    body = ui.column().classes("w-full gap-3")
    with body:
        ui.spinner(size="lg")

    async def load() -> None:
        ledger = await run.io_bound(_ledger, viewer)
        body.clear()
        with body:
            if ledger is None:
                return
            ops = _visible_ops(viewer, ledger)
            _pareto(viewer, ledger, ops, days)
            _spc(viewer, ops)
            _root_cause(viewer, ledger, days)
            _genealogy(viewer, lot)
            _hold_release(viewer)

    ui.timer(0.05, load, once=True)
    ui.label(t("quality.window", days=days)).classes("pl-muted text-sm")


def _pareto(viewer: Viewer, ledger: QualityLedger, ops: list[Any], days: int) -> None:
    t = viewer.t
    since = viewer.ctx.container.clock.now() - timedelta(days=days)
    counts: dict[str, float] = {}
    for op in ops:
        if op.completed_at >= since and op.qty_scrap:
            code = op.scrap_defect_code or "—"
            counts[code] = counts.get(code, 0) + op.qty_scrap
    seen = {op.operation_id for op in ops}
    for insp in ledger.inspections.values():
        if insp.operation_id in seen and insp.at >= since and insp.qty_defective:
            code = insp.defect_code or "—"
            counts[code] = counts.get(code, 0) + insp.qty_defective
    labels = {"count": t("quality.units"), "cumulative": t("screen.cumulative")}
    with ui.card().classes("w-full"):
        ui.label(t("quality.pareto", total=int(sum(counts.values())))).classes("text-lg font-bold")
        ui.echart(charts.pareto(list(counts.items()), labels, dark=False)).classes("w-full h-72").props(
            "data-test=quality-pareto"
        )


def _spc(viewer: Viewer, ops: list[Any]) -> None:
    from plantloop.optimize.quality.errors import InsufficientData as QualityError
    from plantloop.optimize.quality.rca_data import parameter_specs_from_plant
    from plantloop.optimize.quality.spc import imr_chart, p_chart

    t = viewer.t
    plant = viewer.ctx.container.plant
    ops = sorted(ops, key=lambda o: o.completed_at)
    by_wc: dict[str, list[Any]] = {}
    for op in ops:
        if op.qty_good + op.qty_scrap > 0:
            by_wc.setdefault(op.work_center_id or "", []).append(op)
    with ui.card().classes("w-full"):
        ui.label(t("quality.spc")).classes("text-lg font-bold")
        if not by_wc:
            ui.label(t("quality.no_data")).classes("pl-muted")
            return
        wc = max(by_wc, key=lambda k: len(by_wc[k]))
        points = by_wc[wc][-MAX_POINTS:]
        try:
            chart = p_chart([o.qty_scrap for o in points], [o.qty_good + o.qty_scrap for o in points])
            ucl = float(np.nanmax(chart.ucl))
            lcl = float(np.nanmin(chart.lcl))
            ui.label(t("quality.p_chart", wc=wc, n=len(points))).classes("font-bold")
            ui.echart(
                charts.control_chart(
                    [
                        (viewer.local(o.completed_at, "%m-%d %H:%M"), round(float(v), 4))
                        for o, v in zip(points, chart.points, strict=True)
                    ],
                    round(chart.center, 4),
                    round(lcl, 4),
                    round(ucl, 4),
                    {"value": t("quality.fraction_scrap")},
                    violations=[h.index for h in chart.violations],
                )
            ).classes("w-full h-64").props("data-test=quality-p-chart")
        except QualityError as exc:
            ui.label(str(exc)).classes("pl-muted")
        specs = parameter_specs_from_plant(plant)
        series: dict[tuple[str, str], list[tuple[Any, float]]] = {}
        for op in ops:
            for name, value in op.parameters.items():
                if (op.material_id, name) in specs:
                    series.setdefault((op.material_id, name), []).append((op.completed_at, float(value)))
        if not series:
            return
        key = max(series, key=lambda k: len(series[k]))
        values = series[key][-MAX_POINTS:]
        lsl, _, usl = specs[key]
        try:
            individuals, _ = imr_chart([v for _, v in values])
        except QualityError as exc:
            ui.label(str(exc)).classes("pl-muted")
            return
        ui.label(t("quality.imr", material=key[0], parameter=key[1], lsl=lsl, usl=usl)).classes("font-bold")
        ui.echart(
            charts.control_chart(
                [(viewer.local(at, "%m-%d %H:%M"), round(v, 3)) for at, v in values],
                round(individuals.center, 3),
                round(float(individuals.lcl[-1]), 3),
                round(float(individuals.ucl[-1]), 3),
                {"value": key[1]},
                violations=[h.index for h in individuals.violations],
            )
        ).classes("w-full h-64").props("data-test=quality-imr")


def _root_cause(viewer: Viewer, ledger: QualityLedger, days: int) -> None:
    t = viewer.t
    plant = viewer.ctx.container.plant
    with ui.card().classes("w-full"):
        ui.label(t("quality.root_cause")).classes("text-lg font-bold")
        with ui.row().classes("items-end gap-2"):
            code = (
                ui.select(
                    {"": t("quality.any_defect")}
                    | {d.code: f"{d.code} · {d.name}" for d in plant.defect_codes},
                    value="",
                    label=t("quality.defect"),
                )
                .props("dense outlined")
                .classes("w-56")
            )
            product = (
                ui.select(
                    {"": "—"} | {p.id: p.id for p in plant.products}, value="", label=t("quality.product")
                )
                .props("dense outlined")
                .classes("w-40")
            )
            result = ui.column().classes("w-full")

            async def analyse() -> None:
                result.clear()
                now = viewer.ctx.container.clock.now()
                try:
                    found = await run.io_bound(
                        _rank,
                        ledger,
                        plant,
                        code.value or None,
                        product.value or None,
                        now - timedelta(days=days),
                        now,
                    )
                except PlantloopError as exc:
                    with result:
                        ui.label(viewer.error_text(exc)).classes("text-negative")
                    return
                with result:
                    _causes(viewer, found)

            ui.button(t("quality.analyse"), icon="troubleshoot", on_click=analyse).props("data-test=rca-run")


def _rank(
    ledger: QualityLedger, plant: Any, code: str | None, product: str | None, start: Any, end: Any
) -> Any:
    from plantloop.optimize.quality.rca_data import DefectSignal, build_observations, spec_limits_from_plant
    from plantloop.optimize.quality.root_cause import rank_causes

    signal = DefectSignal(defect_code=code, start=start, end=end, material_id=product)
    obs = build_observations(ledger, signal, spec_limits=spec_limits_from_plant(plant))
    return rank_causes(obs, permutations=200)


def _causes(viewer: Viewer, found: Any) -> None:
    t = viewer.t
    ui.label(
        t(
            "quality.signal",
            ops=found.operations,
            units=int(found.units),
            defects=int(found.defects),
            rate=f"{found.rate * 100:.2f}",
        )
    ).classes("text-sm")
    rows = [
        {
            "rank": c.rank,
            "cause": f"{c.kind}: {c.value}",
            "ratio": f"{c.rate_ratio:.1f}",
            "ci": f"{c.rate_ratio_ci[0]:.1f}–{c.rate_ratio_ci[1]:.1f}",
            "excess": f"{c.excess_defects:.0f}",
            "share": f"{c.share_of_defects * 100:.0f} %",
            "q": f"{c.q_value:.3g}",
            "verdict": t("quality.significant") if c.selected and c.q_value <= found.alpha else "",
        }
        for c in found.causes[:10]
    ]
    columns = [
        {"name": k, "label": t(f"quality.col.{k}"), "field": k, "align": "left"}
        for k in ("rank", "cause", "ratio", "ci", "excess", "share", "q", "verdict")
    ]
    ui.table(columns=columns, rows=rows, row_key="rank").props("flat dense data-test=rca-table").classes(
        "w-full"
    )


def _genealogy(viewer: Viewer, lot: str) -> None:
    t = viewer.t
    with ui.card().classes("w-full"):
        ui.label(t("quality.genealogy")).classes("text-lg font-bold")
        with ui.row().classes("items-end gap-2"):
            box = ui.input(t("quality.lot"), value=lot).props("dense outlined data-test=genealogy-lot")
            ui.button(t("trace.open"), on_click=lambda: ui.navigate.to(f"/quality?lot={box.value or ''}"))
        if not lot:
            return
        queries = viewer.queries
        if queries.lot(lot) is None:
            ui.label(t("trace.not_found", key=lot)).classes("pl-muted")
            return
        links = queries.genealogy(lot, "backward", 6) + queries.genealogy(lot, "forward", 6)
        nodes: dict[str, dict[str, Any]] = {
            lot: {"id": lot, "name": lot, "category": t("quality.this_lot"), "size": 26}
        }
        for link in links:
            for lot_id in (link.component_lot_id, link.produced_lot_id):
                if lot_id not in nodes:
                    found = queries.lot(lot_id)
                    kind = found.lot_kind.value if found else "?"
                    nodes[lot_id] = {"id": lot_id, "name": lot_id, "category": kind}
        edges = [
            {"source": ln.component_lot_id, "target": ln.produced_lot_id, "value": ln.qty} for ln in links
        ]
        ui.echart(charts.graph(list(nodes.values()), edges)).classes("w-full h-96").props(
            "data-test=genealogy-graph"
        )


def _hold_release(viewer: Viewer) -> None:
    t = viewer.t
    if not viewer.can("quality"):
        return
    with ui.card().classes("w-full"):
        ui.label(t("quality.hold_release")).classes("text-lg font-bold")
        with ui.row().classes("items-end gap-2"):
            lot = ui.input(t("quality.lot")).props("dense outlined data-test=hold-lot")
            reason = (
                ui.input(t("quality.reason")).props("dense outlined data-test=hold-reason").classes("w-80")
            )

            async def decide(hold: bool) -> None:
                def call() -> Any:
                    lot_id = (lot.value or "").strip()
                    if viewer.queries.lot(lot_id) is None:
                        from plantloop.kernel.errors import NotFound

                        raise NotFound(t("trace.not_found", key=lot_id))
                    command: c.Command = (
                        c.HoldLot(lot_id=lot_id, reason=reason.value or "quality hold")
                        if hold
                        else c.ReleaseLot(lot_id=lot_id, reason=reason.value or "")
                    )
                    from plantloop.api.scope import LineResolver, check_command

                    check_command(LineResolver(viewer.ctx.container.queries), command, viewer.scope)
                    kind = DecisionKind.LOT_HOLD if hold else DecisionKind.LOT_RELEASE
                    return viewer.ctx.container.decisions.propose(
                        kind,
                        subject=f"lot:{lot_id}",
                        commands=[command],
                        proposed_by=viewer.username,
                        title=f"{'Hold' if hold else 'Release'} {lot_id}: {reason.value or ''}",
                        evidence={"entered_in": "quality page", "reason": reason.value or ""},
                    )

                async def act() -> Any:
                    return await run.io_bound(call)

                decision = await viewer.act("quality", act)
                if decision is not None:
                    ui.notify(viewer.tv("decision_status", decision.status.value), type="positive")

            ui.button(
                t("quality.hold"), icon="pause_circle", color="negative", on_click=lambda: decide(True)
            ).props("data-test=hold")
            ui.button(t("quality.release"), icon="play_circle", on_click=lambda: decide(False)).props(
                "outline data-test=release"
            )
