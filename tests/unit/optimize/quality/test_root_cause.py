"""Root-cause ranking on a synthetic history with known causes, the explain report and the actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from plantloop.loop import DecisionKind, DecisionService, InMemoryDecisionStore
from plantloop.mes.domain import commands as c
from plantloop.optimize.quality.actions import ActionConfig, actionable, propose_actions
from plantloop.optimize.quality.errors import InvalidDefectSignal
from plantloop.optimize.quality.genealogy import GenealogyTracer, index_ledger
from plantloop.optimize.quality.rca_data import DefectSignal, build_observations
from plantloop.optimize.quality.report import explain_defect
from plantloop.optimize.quality.root_cause import rank_causes
from tests.unit.optimize.quality.conftest import START, History


def test_the_bad_supplier_lot_ranks_first_and_the_machine_that_mostly_used_it_is_explained_away(
    history_factory: Callable[..., History],
) -> None:
    history = history_factory(seed=1, confound=1.0)
    result = rank_causes(build_observations(history.ledger, DefectSignal("D-X")), permutations=200)

    top = result.causes[0]
    assert (top.kind, top.value, top.selected) == ("supplier_lot", history.bad_lot, True)
    assert top.q_value < 1e-3 and top.rate_ratio_ci[0] > 3
    assert top.share_of_defects > 0.5
    machine = next(c for c in result.causes if c.key == "equipment:A2")
    assert machine.p_value < 0.05  # A2 looks bad on its own …
    assert not machine.selected and machine.rank > 1  # … but not once the lot is accounted for
    assert [c.key for c in result.significant] == [top.key]


def test_a_parameter_drifting_on_one_machine_is_found_through_its_range_and_its_locus(
    history_factory: Callable[..., History],
) -> None:
    history = history_factory(seed=2, bad_lot_index=None, drift_machine="A1")
    observations = build_observations(
        history.ledger, DefectSignal("D-X"), spec_limits={("P-1", "torque_nm"): (1.0, 1.4)}
    )
    top = rank_causes(observations, permutations=200).causes[0]
    assert top.kind in ("param_out", "param_high", "equipment")
    assert (top.value if top.kind == "equipment" else top.locus) == "A1"


def test_random_defects_give_no_significant_cause(history_factory: Callable[..., History]) -> None:
    history = history_factory(seed=3, bad_lot_index=None)
    result = rank_causes(build_observations(history.ledger, DefectSignal("D-X")), permutations=200)
    assert result.defects > 20
    assert result.significant == []
    assert actionable(result) == []


def test_a_signal_window_with_no_operations_is_invalid_input(history_factory: Callable[..., History]) -> None:
    history = history_factory(orders=20)
    with pytest.raises(InvalidDefectSignal):
        build_observations(
            history.ledger, DefectSignal("D-X", START - timedelta(days=9), START - timedelta(days=8))
        )


def test_the_explain_report_summarises_the_cause_and_links_its_examples_to_the_raw_data(
    history_factory: Callable[..., History],
) -> None:
    history = history_factory(seed=1)
    result = rank_causes(build_observations(history.ledger, DefectSignal("D-X")), permutations=200)
    report = explain_defect(history.ledger, result, top=2)
    assert history.bad_lot in report["summary"] and "D-X" in report["summary"]
    first = report["causes"][0]
    assert first["description"] == f"supplier lot {history.bad_lot}" and first["significant"]
    example = first["examples"][0]
    assert example["links"]["lot_trace"].startswith(f"/api/v1/quality/trace/{example['lot_id']}")
    assert example["links"]["operation_events"] == f"/api/v1/events?subject={example['operation_id']}"


def test_a_supplier_lot_cause_proposes_holding_it_and_its_unconsumed_products_and_a_nonconformance(
    history_factory: Callable[..., History],
) -> None:
    history = history_factory(seed=1)
    result = rank_causes(build_observations(history.ledger, DefectSignal("D-X")), permutations=200)
    tracer = GenealogyTracer(index_ledger(history.ledger))
    proposals = propose_actions(result, START + timedelta(days=9), tracer=tracer)

    kinds = [p.kind for p in proposals]
    assert kinds == ["lot_hold", "nonconformance"]
    hold = proposals[0]
    held = [cmd.lot_id for cmd in hold.commands if isinstance(cmd, c.HoldLot)]
    assert held[0] == history.bad_lot and len(held) == 11  # the lot and the ten products made from it
    assert hold.evidence["q_value"] < 1e-3 and hold.evidence["held_lots"] == held
    again = propose_actions(result, START + timedelta(days=9), tracer=tracer, held=set(held))
    assert [p.kind for p in again] == ["nonconformance"]


def test_a_machine_cause_proposes_a_service_order_and_goes_through_the_decision_layer(
    history_factory: Callable[..., History],
) -> None:
    history = history_factory(seed=2, bad_lot_index=None, drift_machine="A1")
    observations = build_observations(
        history.ledger, DefectSignal("D-X"), spec_limits={("P-1", "torque_nm"): (1.0, 1.4)}
    )
    result = rank_causes(observations, permutations=200)
    proposals = propose_actions(
        result, START + timedelta(days=9), config=ActionConfig(service_duration_s=900)
    )
    service_order = next(p for p in proposals if p.kind == "maintenance_order")
    order = service_order.commands[0]
    assert isinstance(order, c.CreateMaintenanceOrder)
    assert (order.equipment_id, order.kind, order.planned_duration_s) == (
        "A1",
        c.MaintenanceKind.CORRECTIVE,
        900,
    )

    class Sink:
        def __init__(self) -> None:
            self.sent: list[c.Command] = []

        def handle(self, command: c.Command) -> None:
            self.sent.append(command)

    sink = Sink()
    decisions = DecisionService(sink, InMemoryDecisionStore())
    decision = decisions.propose(**service_order.as_kwargs())
    assert decision.kind is DecisionKind.MAINTENANCE_ORDER and decision.evidence["locus"] == "A1"
    assert [(m.maintenance_order_id, m.decision_id) for m in sink.sent] == [
        (order.maintenance_order_id, decision.id)
    ]
