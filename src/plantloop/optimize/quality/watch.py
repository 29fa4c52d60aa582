"""The quality watcher: MES facts in, holds, recalibrations and non-conformances out.

Every ``tick`` it looks at what the MES recorded since the last one:

1. **Process parameters.** One individuals chart per machine and parameter (the values reported with each
   completed operation, in units of the product's tolerance when its specification limits are known — so
   products with other targets share the chart — else one chart per product), its limits learned from the
   first ``baseline_points`` operations; a Western
   Electric rule broken by a new point proposes to service and recalibrate the machine (drift is caught
   before it makes scrap). After maintenance on a machine only later points count.
2. **Defect rates.** One p chart per defect code over the operations of the last ``chart_window``
   (defective units out of units processed and inspected). A new point beyond the upper limit is a defect
   signal: a root-cause analysis over the last ``analysis_window`` ranks its causes, and the actionable
   ones become proposals (:func:`~plantloop.optimize.quality.actions.propose_actions`): hold the supplier
   lot, service the machine, open a non-conformance.

A subject acted on is left alone for ``cooldown``; a defect code is analysed at most once per
``analysis_every``. The watcher is fed MES commands as a shop floor sends them (``observe``, the twin) or
MES events (``observe_event``, a real plant's outbox).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from plantloop.kernel.clock import ensure_utc
from plantloop.kernel.envelope import EventEnvelope
from plantloop.mes.domain import commands as c
from plantloop.optimize.proposals import Proposal
from plantloop.optimize.quality.actions import ActionConfig, propose_actions, propose_recalibration
from plantloop.optimize.quality.errors import InvalidDefectSignal
from plantloop.optimize.quality.feeds import apply_command, apply_event
from plantloop.optimize.quality.genealogy import GenealogyTracer, LedgerIndexer
from plantloop.optimize.quality.genealogy_index import GenealogyIndex
from plantloop.optimize.quality.ledger import QualityLedger, ShiftOf
from plantloop.optimize.quality.rca_data import DefectSignal, build_observations
from plantloop.optimize.quality.root_cause import RootCauseResult, rank_causes
from plantloop.optimize.quality.spc import Chart, d2, ewma_chart, p_chart, violation_events
from plantloop.optimize.quality.spc_rules import RuleSet, evaluate_rules


@dataclass(frozen=True)
class QualityWatchConfig:
    tick_s: float = 3600.0
    baseline_points: int = 30
    parameter_rules: RuleSet = RuleSet.WESTERN_ELECTRIC
    ewma_lambda: float = 0.2
    ewma_width: float = 3.6
    chart_window: timedelta = timedelta(days=7)
    analysis_window: timedelta = timedelta(hours=48)
    analysis_every: timedelta = timedelta(hours=4)
    min_defects: int = 10
    cooldown: timedelta = timedelta(hours=24)
    permutations: int = 400
    actions: ActionConfig = field(default_factory=ActionConfig)


class QualityWatcher:
    name = "quality"

    def __init__(
        self,
        config: QualityWatchConfig | None = None,
        *,
        shift_of: ShiftOf | None = None,
        work_center_of: Mapping[str, str] | None = None,
        specs: Mapping[tuple[str, str], tuple[float, float, float]] | None = None,
    ) -> None:
        self.config = config or QualityWatchConfig()
        self.tick_s = self.config.tick_s
        self.ledger = QualityLedger(shift_of, work_center_of)
        self.index = GenealogyIndex()
        LedgerIndexer(self.index).attach(self.ledger)
        self.tracer = GenealogyTracer(self.index)
        #: (lsl, target, usl) per (material, parameter)
        self.specs = dict(specs or {})
        self.spec_limits = {key: (lsl, usl) for key, (lsl, _, usl) in self.specs.items()}
        self._order_equipment: dict[str, str] = {}
        self._maintained_at: dict[str, datetime] = {}
        self._checked_at: datetime | None = None
        self._acted: dict[str, datetime] = {}
        self._analysed: dict[str, datetime] = {}
        self._acted_on_code: dict[str, datetime] = {}
        self.analyses: list[RootCauseResult] = []
        #: ``SpcRuleViolated`` events of the parameter charts (Western Electric rules), for the alert engine.
        self.alerts: list[EventEnvelope] = []
        self.proposals: list[Proposal] = []

    # ---- facts -------------------------------------------------------------------------------------
    def observe(self, command: c.Command) -> None:
        if command.at is None:
            return
        apply_command(self.ledger, command, command.at)
        if isinstance(command, c.CreateMaintenanceOrder):
            self._order_equipment[command.maintenance_order_id] = command.equipment_id
        elif isinstance(command, c.CompleteMaintenance):
            equipment = self._order_equipment.get(command.maintenance_order_id)
            if equipment:
                self._maintained_at[equipment] = ensure_utc(command.at)

    def observe_event(self, type: str, payload: Mapping[str, Any], occurred_at: datetime) -> None:
        apply_event(self.ledger, type, payload, occurred_at)
        if type == "MaintenanceCompleted":
            self._maintained_at[payload["equipment_id"]] = ensure_utc(occurred_at)

    def telemetry(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, Any]
    ) -> None:
        """Quality does not use telemetry (the parameters come with each operation)."""

    # ---- decisions ---------------------------------------------------------------------------------
    def tick(self, now_at: datetime) -> list[Proposal]:
        now = ensure_utc(now_at)
        since = self._checked_at or datetime.min.replace(tzinfo=now.tzinfo)
        out = self._parameter_charts(since, now) + self._defect_signals(since, now)
        self._checked_at = now
        self.proposals += out
        return out

    def _cooldown(self, subject: str) -> timedelta:
        """An open non-conformance is not opened again within the chart window; a serviced machine is not
        serviced again for the same reason before the analysis window has passed over the service."""
        cfg = self.config
        if subject.startswith("nc:"):
            return max(cfg.cooldown, cfg.chart_window)
        if subject.startswith("equipment:"):
            return max(cfg.cooldown, cfg.analysis_window)
        return cfg.cooldown

    def _fresh(self, subject: str, now: datetime) -> bool:
        last = self._acted.get(subject)
        return last is None or now - last >= self._cooldown(subject)

    def _keep(self, proposals: list[Proposal], now: datetime) -> list[Proposal]:
        kept = [p for p in proposals if self._fresh(p.subject, now)]
        for p in kept:
            self._acted[p.subject] = now
        return kept

    def _parameter_series(self) -> dict[tuple[str, str], list[tuple[datetime, float]]]:
        """Per (machine, parameter): (completion time, value) — in tolerance units around the target when the
        product's specification is known (key: the parameter), else raw (key: ``parameter@product``)."""
        series: dict[tuple[str, str], list[tuple[datetime, float]]] = {}
        for op in self.ledger.operations.values():
            if op.completed_at is None or op.equipment_id is None:
                continue
            for name, value in op.parameters.items():
                spec = self.specs.get((op.material_id or "", name))
                if spec is not None:
                    lsl, target, usl = spec
                    key, point = name, (value - target) / max((usl - lsl) / 2.0, 1e-12)
                else:
                    key, point = f"{name}@{op.material_id}", value
                series.setdefault((op.equipment_id, key), []).append((op.completed_at, point))
        for points in series.values():
            points.sort()
        return series

    def _pooled_sigma(self, series: dict[tuple[str, str], list[tuple[datetime, float]]]) -> dict[str, float]:
        """σ of each standardised parameter from the moving ranges of every machine's points (short-term
        variation: a slow drift hardly changes them), once there are ``2 × baseline_points`` of them."""
        ranges: dict[str, list[float]] = {}
        for (_, key), points in series.items():
            if "@" not in key:
                ranges.setdefault(key, []).extend(np.abs(np.diff([v for _, v in points])).tolist())
        need = 2 * self.config.baseline_points
        return {
            key: float(np.mean(mr)) / d2(2)
            for key, mr in ranges.items()
            if len(mr) >= need and np.mean(mr) > 0
        }

    def _parameter_charts(self, since: datetime, now: datetime) -> list[Proposal]:
        cfg = self.config
        series = self._parameter_series()
        pooled = self._pooled_sigma(series)
        out: list[Proposal] = []
        for (equipment, key), points in sorted(series.items()):
            if points[-1][0] <= since:
                continue
            values = np.array([v for _, v in points])
            if key in pooled:  # standards given: the target and the fleet's σ
                center, sigma, first_judged = 0.0, pooled[key], 0
            elif len(values) > cfg.baseline_points:
                head = values[: cfg.baseline_points]
                center, sigma = float(head.mean()), float(np.abs(np.diff(head)).mean()) / d2(2)
                first_judged = cfg.baseline_points
            else:
                continue
            if sigma <= 0:
                continue
            sigmas = np.full(len(values), sigma)
            rule_hits = evaluate_rules((values - center) / sigma, cfg.parameter_rules)
            individuals = Chart(
                "individuals",
                values,
                center,
                center + 3 * sigmas,
                center - 3 * sigmas,
                sigmas,
                rule_hits,
                first_judged,
            )
            self._alert(equipment, key, individuals, points, since)
            serviced = self._maintained_at.get(equipment)
            start_at = (
                0 if serviced is None else next((i for i, (t, _) in enumerate(points) if t > serviced), None)
            )
            if start_at is None:
                continue
            # After a service the EWMA starts again from the centre (the machine was recalibrated).
            chart = ewma_chart(
                values[start_at:], lam=cfg.ewma_lambda, width=cfg.ewma_width, center=center, sigma=sigma
            )
            flagged = [h.index + start_at for h in chart.violations]
            new = [i for i in flagged if i >= first_judged and points[i][0] > since]
            if not new or not self._fresh(f"equipment:{equipment}", now):
                continue
            index = new[0]
            window = slice(max(0, index - 30), index + 1)
            evidence = {
                "center": chart.center,
                "sigma": sigma,
                "points": values[window].round(6).tolist(),
                "times": [t.isoformat() for t, _ in points[window]],
                "violation_index": index - window.start,
                "units": "tolerance (value - target) / half-width" if key in pooled else "raw",
            }
            out += self._keep(
                [
                    propose_recalibration(
                        equipment,
                        key,
                        "ewma",
                        f"EWMA beyond {cfg.ewma_width:g} sigma",
                        evidence,
                        now,
                        config=cfg.actions,
                    )
                ],
                now,
            )
        return out

    def _alert(
        self, equipment: str, name: str, chart: Chart, points: list[tuple[datetime, float]], since: datetime
    ) -> None:
        """Western Electric violations of new points become ``SpcRuleViolated`` events (alert engine)."""
        fresh = [h for h in chart.violations if points[h.index][0] > since]
        if fresh:
            shown = Chart(
                chart.kind,
                chart.points,
                chart.center,
                chart.ucl,
                chart.lcl,
                chart.sigma,
                fresh,
                chart.baseline,
            )
            self.alerts += violation_events(
                shown,
                chart_id=f"spc:{equipment}:{name}",
                times=[t for t, _ in points],
                context={"equipment_id": equipment, "parameter": name},
            )

    def _defect_signals(self, since: datetime, now: datetime) -> list[Proposal]:
        cfg = self.config
        ops = [
            op
            for op in self.ledger.operations.values()
            if op.completed_at is not None and op.completed_at > now - cfg.chart_window
        ]
        if not ops:
            return []
        ops.sort(key=lambda o: o.completed_at or now)
        units = np.array([op.qty_good + op.qty_scrap for op in ops], dtype=float)
        new = np.array([(op.completed_at or now) > since for op in ops])
        out: list[Proposal] = []
        for code in sorted({op.scrap_defect_code for op in ops if op.scrap_defect_code}):
            defects = np.array(
                [op.qty_scrap if op.scrap_defect_code == code else 0 for op in ops], dtype=float
            )
            keep = units > 0
            if defects.sum() < cfg.min_defects or not (new & keep).any():
                continue
            chart = p_chart(defects[keep], units[keep])
            above = (chart.points > chart.ucl) & new[keep]
            last = self._analysed.get(code)
            if not above.any() or (last is not None and now - last < cfg.analysis_every):
                continue
            self._analysed[code] = now
            out += self._analyse(code, now)
        return out

    def _analyse(self, code: str, now: datetime) -> list[Proposal]:
        cfg = self.config
        # After acting on a code, judge what came after the action: defects made before a hold or a service
        # would otherwise keep pointing at whatever was correlated with the cause that was removed.
        start = max(now - cfg.analysis_window, self._acted_on_code.get(code, now - cfg.analysis_window))
        signal = DefectSignal(code, start, now)
        try:
            observations = build_observations(self.ledger, signal, spec_limits=self.spec_limits)
        except InvalidDefectSignal:
            return []
        if observations.defects.sum() < cfg.min_defects:
            return []
        result = rank_causes(observations, permutations=cfg.permutations)
        self.analyses.append(result)
        # on hold, or released by whoever reviewed the hold: not proposed again
        held = {lot.lot_id for lot in self.ledger.lots.values() if lot.held or lot.dispositioned}
        proposals = self._keep(
            propose_actions(result, now, config=cfg.actions, tracer=self.tracer, held=held), now
        )
        if any(p.commands for p in proposals):
            self._acted_on_code[code] = now
        return proposals


def _pattern_length(rule: str) -> int:
    """Points a rule looks back over (so a pattern is not built from points before a service)."""
    return {"we_1": 1, "we_2": 3, "we_3": 5, "we_4": 8, "nelson_2": 9, "nelson_3": 6, "nelson_4": 14}.get(
        rule, 15
    )
