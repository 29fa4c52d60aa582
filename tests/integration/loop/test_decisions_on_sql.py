"""Decision records and the audit log on the real operational store (SQLite and PostgreSQL), publishing
through the real MES bus."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plantloop.bootstrap import Container
from plantloop.loop import (
    ApprovalMode,
    ApprovalPolicy,
    DecisionKind,
    DecisionService,
    DecisionStatus,
    PartitionRef,
    SqlAuditLog,
    SqlDecisionStore,
    UnknownDecision,
)
from plantloop.mes.domain import commands as c

LOT = "LOT-MOTOR-7"


@pytest.fixture
def mes(make_container: Callable[..., Container]) -> Container:
    container = make_container()
    container.bus.handle(
        c.ReceiveMaterialLot(lot_id=LOT, material_id="CP-MOTOR-S", supplier_id="SUP-HX", qty=100)
    )
    return container


def sql_service(mes: Container, policy: ApprovalPolicy | None = None) -> DecisionService:
    assert mes.engine is not None
    return DecisionService(
        mes.bus,
        SqlDecisionStore(mes.engine),
        policy=policy,
        audit=SqlAuditLog(mes.engine, mes.clock),
        clock=mes.clock,
    )


def test_a_waiting_decision_survives_a_restart_and_is_approved_by_another_process(
    mes: Container, make_container: Callable[..., Container]
) -> None:
    policy = ApprovalPolicy().with_mode(DecisionKind.LOT_HOLD, ApprovalMode.APPROVAL)
    proposed = sql_service(mes, policy).propose(
        DecisionKind.LOT_HOLD,
        f"lot:{LOT}",
        [c.HoldLot(lot_id=LOT, reason="RCA: motor lot linked to noise defects")],
        title="Hold motor lot",
        evidence={"p_value": 2e-5, "effect": 0.31},
        inputs=[PartitionRef("dwd_inspection", "2026-01-05/L2")],
        model_version="rca-v1",
        proposed_by="rca",
    )
    other = make_container()  # a second process on the same database
    service = sql_service(other, policy)
    again = service.get(proposed.id)
    assert again.status is DecisionStatus.PROPOSED
    assert again.evidence == {"p_value": 2e-5, "effect": 0.31}
    assert again.inputs == (PartitionRef("dwd_inspection", "2026-01-05/L2"),)
    assert again.commands == proposed.commands
    done = service.approve(proposed.id, "quinn", ["quality"])
    assert done.status is DecisionStatus.ACKNOWLEDGED
    lot = other.queries.lot(LOT)
    assert lot is not None and lot.held
    assert [d.id for d in service.list(kind=DecisionKind.LOT_HOLD)] == [proposed.id]
    assert service.pending() == []


def test_the_audit_log_keeps_every_step_in_order(mes: Container) -> None:
    service = sql_service(mes)
    decision = service.propose(
        DecisionKind.LOT_HOLD, f"lot:{LOT}", [c.HoldLot(lot_id=LOT, reason="x")], title="Hold"
    )
    assert mes.engine is not None
    actions = [e.action for e in reversed(SqlAuditLog(mes.engine).entries(target=f"decision:{decision.id}"))]
    assert actions == ["decision.propose", "decision.approve", "decision.publish", "decision.acknowledge"]


def test_an_unknown_decision_is_a_not_found_error(mes: Container) -> None:
    with pytest.raises(UnknownDecision):
        sql_service(mes).get("no-such-decision")
