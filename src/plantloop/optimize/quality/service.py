"""The quality service: one ledger and genealogy index kept current from the MES outbox, and the questions
a quality engineer asks of them (trace a lot, explain a defect, chart a parameter, propose actions).

``QualityService.from_container(container)`` builds it over a running MES; ``sync()`` folds the outbox
events recorded since the last call (cheap when nothing happened). Every method syncs first, so answers
include everything the MES has recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from plantloop.kernel.ports import OutboxReader
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.optimize.proposals import Proposal
from plantloop.optimize.quality.actions import ActionConfig, propose_actions
from plantloop.optimize.quality.errors import InsufficientData
from plantloop.optimize.quality.feeds import OutboxFollower
from plantloop.optimize.quality.genealogy import BackwardTrace, ForwardTrace, GenealogyTracer, LedgerIndexer
from plantloop.optimize.quality.genealogy_index import GenealogyIndex
from plantloop.optimize.quality.ledger import QualityLedger
from plantloop.optimize.quality.rca_data import DefectSignal, build_observations, spec_limits_from_plant
from plantloop.optimize.quality.report import explain_defect
from plantloop.optimize.quality.root_cause import RootCauseResult, rank_causes
from plantloop.optimize.quality.spc import ewma_chart, imr_chart, p_chart
from plantloop.optimize.quality.spc_rules import RuleSet

if TYPE_CHECKING:
    from plantloop.bootstrap import Container


class QualityService:
    def __init__(self, plant: PlantDefinition, reader: OutboxReader | None = None) -> None:
        from plantloop.dataplatform.live.shifts import shift_at

        def shift_of(at: datetime) -> str | None:
            instance = shift_at(plant, at)
            return instance.shift_id if instance else None

        self.plant = plant
        self.ledger = QualityLedger(
            shift_of, {e.id: wc.id for wc in plant.work_centers.values() for e in wc.equipment}
        )
        self.index = GenealogyIndex()
        LedgerIndexer(self.index).attach(self.ledger)
        self.tracer = GenealogyTracer(self.index)
        self.follower = OutboxFollower(self.ledger, reader) if reader is not None else None
        self.spec_limits = spec_limits_from_plant(plant)
        self._lock = threading.Lock()

    @classmethod
    def from_container(cls, container: Container) -> QualityService:
        return cls(container.plant, container.outbox_reader)

    def sync(self) -> int:
        """Fold the outbox events recorded since the last sync; returns how many the ledger used."""
        if self.follower is None:
            return 0
        with self._lock:
            return self.follower.poll()

    # ---- genealogy ---------------------------------------------------------------------------------
    def trace(
        self, lot_id: str, direction: Literal["backward", "forward"] = "backward", max_depth: int = 20
    ) -> BackwardTrace | ForwardTrace:
        self.sync()
        return self.tracer.trace(lot_id, direction, max_depth)

    # ---- root cause ----------------------------------------------------------------------------------
    def root_cause(self, signal: DefectSignal, *, permutations: int = 400) -> RootCauseResult:
        self.sync()
        observations = build_observations(self.ledger, signal, spec_limits=self.spec_limits)
        return rank_causes(observations, permutations=permutations)

    def explain(self, signal: DefectSignal, *, top: int = 3, api_base: str = "/api/v1") -> dict[str, Any]:
        """The "explain this defect" report of ``signal``."""
        return explain_defect(self.ledger, self.root_cause(signal), top=top, api_base=api_base)

    def propose(
        self, signal: DefectSignal, now: datetime, config: ActionConfig | None = None
    ) -> list[Proposal]:
        """Holds, services and non-conformances for the actionable causes of ``signal``."""
        result = self.root_cause(signal)
        held = {lot.lot_id for lot in self.ledger.lots.values() if lot.held}
        return propose_actions(result, now, config=config, tracer=self.tracer, held=held)

    # ---- control charts ------------------------------------------------------------------------------
    def parameter_chart(
        self,
        equipment_id: str,
        parameter: str,
        *,
        baseline: int = 20,
        rules: RuleSet = RuleSet.WESTERN_ELECTRIC,
    ) -> dict[str, Any]:
        """I-MR and EWMA charts of ``parameter`` as reported by operations on ``equipment_id``."""
        self.sync()
        ops = sorted(
            (
                op
                for op in self.ledger.operations.values()
                if op.equipment_id == equipment_id
                and op.completed_at is not None
                and parameter in op.parameters
            ),
            key=lambda o: o.completed_at or datetime.min,
        )
        if len(ops) < 3:
            raise InsufficientData(f"{parameter} on {equipment_id}", len(ops), 3)
        values = np.array([op.parameters[parameter] for op in ops])
        size = min(baseline, len(values))
        individuals, moving_range = imr_chart(values, baseline=size, rules=rules)
        ewma = ewma_chart(values, baseline=size)
        return {
            "equipment_id": equipment_id,
            "parameter": parameter,
            "times": [op.completed_at.isoformat() for op in ops if op.completed_at],
            "operations": [op.operation_id for op in ops],
            "individuals": individuals.to_dict(),
            "moving_range": moving_range.to_dict(),
            "ewma": ewma.to_dict(),
        }

    def defect_chart(
        self,
        defect_code: str | None,
        start: datetime | None = None,
        *,
        work_centers: Collection[str] | None = None,
    ) -> dict[str, Any]:
        """p chart of the fraction of units scrapped with ``defect_code`` (any code: None), per operation
        (only operations at ``work_centers`` when given: a line-scoped reader's chart)."""
        self.sync()
        ops = sorted(
            (
                op
                for op in self.ledger.operations.values()
                if op.completed_at is not None
                and op.qty_good + op.qty_scrap > 0
                and (start is None or op.completed_at >= start)
                and (work_centers is None or op.work_center_id in work_centers)
            ),
            key=lambda o: o.completed_at or datetime.min,
        )
        if len(ops) < 2:
            raise InsufficientData("defect chart operations", len(ops), 2)
        units = np.array([op.qty_good + op.qty_scrap for op in ops], dtype=float)
        defects = np.array(
            [op.qty_scrap if defect_code is None or op.scrap_defect_code == defect_code else 0 for op in ops],
            dtype=float,
        )
        chart = p_chart(defects, units)
        return {
            "defect_code": defect_code,
            "times": [op.completed_at.isoformat() for op in ops if op.completed_at],
            "operations": [op.operation_id for op in ops],
            "chart": chart.to_dict(),
        }
