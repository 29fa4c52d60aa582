"""The quality ledger folded from MES events and commands, and traces over the genealogy index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plantloop.mes.domain import commands as c
from plantloop.optimize.quality.errors import UnknownTraceLot
from plantloop.optimize.quality.feeds import apply_command, apply_event
from plantloop.optimize.quality.genealogy import GenealogyTracer, LedgerIndexer, index_ledger
from plantloop.optimize.quality.genealogy_index import GenealogyIndex
from plantloop.optimize.quality.ledger import QualityLedger

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def three_level_ledger() -> QualityLedger:
    """Product P made of sub-assembly S (made of part M from resin R1) and purchased cord C1/C2."""
    ledger = QualityLedger(lambda at: "A" if at.hour < 14 else "B")
    ledger.receive_lot("R1", "RESIN", "SUP-R", T0 - timedelta(days=2), "R-REF-1")
    ledger.receive_lot("C1", "CORD", "SUP-C", T0 - timedelta(days=2))
    ledger.receive_lot("C2", "CORD", "SUP-C", T0 - timedelta(days=2))
    ledger.create_work_order("WO-1", "P", qty=10, sales_order_id="SO-1", customer="ACME")
    ledger.create_work_order("WO-1~S", "S", qty=10, parent_work_order_id="WO-1")
    ledger.create_work_order("WO-1~S~M", "M", qty=10, parent_work_order_id="WO-1~S")
    steps = [
        ("WO-1~S~M/010", "IM-01", "E1", [("R1", 3.5)], {"melt_temperature_c": 214.8}),
        ("WO-1~S/010", "WD-01", "E2", [("LOT-WO-1~S~M", 10)], {"weld_current_a": 80.4}),
        ("WO-1/010", "AS-11", "E3", [("LOT-WO-1~S", 10), ("C1", 6), ("C2", 4)], {"screw_torque_nm": 1.21}),
        ("WO-1/020", "TS-11", "E3", [], {"power_w": 1001.0}),
    ]
    for k, (op, machine, operator, consumed, params) in enumerate(steps):
        at = T0 + timedelta(hours=2 * k)
        ledger.start_operation(op, machine, at, operator_id=operator)
        for lot, qty in consumed:
            ledger.consume(op, lot, qty, at)
        ledger.complete_operation(op, at + timedelta(hours=1), 10, 0, parameters=params)
    return ledger


def test_a_backward_trace_reaches_every_component_lot_across_three_bom_levels_with_its_context() -> None:
    trace = GenealogyTracer(index_ledger(three_level_ledger())).backward("LOT-WO-1")

    depth = {lot.lot_id: lot.depth for lot in trace.components}
    assert depth == {"LOT-WO-1~S": 1, "C1": 1, "C2": 1, "LOT-WO-1~S~M": 2, "R1": 3}
    assert trace.suppliers == ["SUP-C", "SUP-R"]
    assert {lot.supplier_lot_ref for lot in trace.supplier_lots} == {None, "R-REF-1"}
    assert trace.machines == ["AS-11", "IM-01", "TS-11", "WD-01"]
    assert trace.operators == ["E1", "E2", "E3"]
    assert trace.shifts == ["A", "B"]
    weld = next(o for o in trace.operations if o.operation_id == "WO-1~S/010")
    assert weld.parameters == {"weld_current_a": 80.4}
    assert weld.started_at == T0 + timedelta(hours=2) and weld.completed_at == T0 + timedelta(hours=3)
    assert len(trace.links) == 5


def test_a_forward_trace_from_a_supplier_lot_reaches_the_end_lot_and_its_shipment() -> None:
    trace = GenealogyTracer(index_ledger(three_level_ledger())).forward("R1")

    assert [lot.lot_id for lot in trace.affected] == ["LOT-WO-1~S~M", "LOT-WO-1~S", "LOT-WO-1"]
    assert [lot.lot_id for lot in trace.end_lots] == ["LOT-WO-1"]
    assert [(s.lot_id, s.sales_order_id, s.customer) for s in trace.shipments] == [
        ("LOT-WO-1", "SO-1", "ACME")
    ]


def test_tracing_a_lot_nobody_reported_is_a_not_found_error() -> None:
    with pytest.raises(UnknownTraceLot) as caught:
        GenealogyTracer(index_ledger(three_level_ledger())).backward("LOT-NOPE")
    assert caught.value.lot_id == "LOT-NOPE"


def test_an_index_kept_current_fact_by_fact_traces_like_one_built_in_bulk_before_and_after_its_rebuild() -> (
    None
):
    ledger = QualityLedger()
    incremental = GenealogyIndex(rebuild_fraction=0.5)
    LedgerIndexer(incremental).attach(ledger)
    for k in range(3000):  # a chain long enough to rebuild the CSR several times on the way
        ledger.consume(f"WO-{k + 1}/010", f"LOT-WO-{k}" if k else "RAW", 1.0, T0 + timedelta(minutes=k))
    bulk = index_ledger(ledger)
    for index in (incremental, bulk):
        trace = GenealogyTracer(index).backward("LOT-WO-3000", max_depth=5000)
        assert len(trace.components) == 3000
        assert trace.components[-1].lot_id == "RAW"
    assert (
        incremental.backward.indexed_rows > 0 and incremental.backward.indexed_rows < incremental.n_edges + 1
    )


def test_an_operation_completed_before_its_start_arrives_still_gets_its_machine_and_shift() -> None:
    ledger = QualityLedger(lambda at: "N")
    apply_event(
        ledger,
        "OperationCompleted",
        {
            "operation_id": "WO-7/010",
            "qty_good": 9,
            "qty_scrap": 1,
            "scrap_defect_code": "D-X",
            "parameters": {"t": 1},
        },
        T0,
    )
    apply_event(
        ledger,
        "OperationStarted",
        {"operation_id": "WO-7/010", "equipment_id": "M1"},
        T0 - timedelta(hours=1),
    )
    op = ledger.operations["WO-7/010"]
    assert (op.equipment_id, op.shift_id, op.qty_scrap, op.seq, op.lot_id) == ("M1", "N", 1, 10, "LOT-WO-7")


def test_a_redelivered_consumption_is_recorded_once() -> None:
    ledger = QualityLedger()
    payload = {"operation_id": "WO-1/010", "lot_id": "R1", "qty": 2.0, "produced_lot_id": "LOT-WO-1"}
    for _ in range(3):
        apply_event(ledger, "MaterialConsumed", payload, T0)
    assert len(ledger.consumptions) == 1


def test_shop_floor_commands_fold_into_the_same_facts_with_child_orders_named_by_convention() -> None:
    ledger = QualityLedger()
    apply_command(ledger, c.StartOperation(at=T0, operation_id="WO-2~SA-X/010", equipment_id="WD-01"), T0)
    apply_command(ledger, c.ConsumeMaterial(at=T0, operation_id="WO-2~SA-X/010", lot_id="PL-1", qty=1), T0)
    apply_command(ledger, c.HoldLot(at=T0, lot_id="PL-1", reason="suspect"), T0)
    child = ledger.work_orders["WO-2~SA-X"]
    assert (child.material_id, child.parent_work_order_id) == ("SA-X", "WO-2")
    assert ledger.top_work_order("WO-2~SA-X") == "WO-2"
    assert ledger.lots["PL-1"].held


def test_a_lot_released_after_a_hold_is_known_as_dispositioned() -> None:
    ledger = QualityLedger()
    apply_command(ledger, c.StartOperation(at=T0, operation_id="WO-3/010", equipment_id="WD-01"), T0)
    apply_command(ledger, c.ConsumeMaterial(at=T0, operation_id="WO-3/010", lot_id="PL-2", qty=1), T0)
    lot = ledger.lots["LOT-WO-3"]
    apply_command(ledger, c.ReleaseLot(at=T0, lot_id="LOT-WO-3", reason="never held"), T0)
    assert not lot.dispositioned  # a release without a hold decides nothing
    apply_command(ledger, c.HoldLot(at=T0, lot_id="LOT-WO-3", reason="suspect"), T0)
    assert lot.held and not lot.dispositioned
    apply_event(ledger, "LotReleased", {"lot_id": "LOT-WO-3", "reason": "review: rework"}, T0)
    assert not lot.held and lot.dispositioned  # the watcher does not propose to hold it again
