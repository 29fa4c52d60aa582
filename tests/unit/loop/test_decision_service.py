"""The decision layer on the in-memory MES twin: propose → gate → approve → publish → acknowledge."""

from __future__ import annotations

import pytest

from plantloop.bootstrap import Container, build_in_memory_container
from plantloop.kernel.clock import FakeClock
from plantloop.loop import (
    ApprovalMode,
    ApprovalPolicy,
    DataQualityRefused,
    DecisionKind,
    DecisionNotPending,
    DecisionService,
    DecisionStatus,
    FixedGate,
    InMemoryAuditLog,
    NotAllowedToApprove,
    PartitionRef,
    RecordingNotifier,
)
from plantloop.mes.domain import commands as c
from plantloop.mes.masterdata import PlantDefinition

LOT = "LOT-PCB-1"
GOOD = PartitionRef("dwd_inspection", "2026-01-05/L1")
BAD = PartitionRef("dwd_inspection", "2026-01-06/L1")


@pytest.fixture
def mes(reference_plant: PlantDefinition) -> Container:
    container = build_in_memory_container(plant=reference_plant, clock=FakeClock())
    container.bus.handle(
        c.ReceiveMaterialLot(lot_id=LOT, material_id="CP-PCB", supplier_id="SUP-HX", qty=500)
    )
    return container


def service(mes: Container, **kwargs: object) -> DecisionService:
    return DecisionService(mes.bus, clock=mes.clock, **kwargs)  # type: ignore[arg-type]


def held(mes: Container) -> bool:
    lot = mes.queries.lot(LOT)
    assert lot is not None
    return lot.held


def hold(subject_lot: str = LOT) -> list[c.Command]:
    return [c.HoldLot(lot_id=subject_lot, reason="suspect supplier lot")]


def test_an_auto_approved_hold_reaches_the_mes_and_is_acknowledged(mes: Container) -> None:
    notifier = RecordingNotifier()
    loop = service(mes, notifiers=[notifier])
    decision = loop.propose(
        DecisionKind.LOT_HOLD, f"lot:{LOT}", hold(), title="Hold PCB lot", evidence={"p_value": 1e-6}
    )
    assert decision.status is DecisionStatus.ACKNOWLEDGED
    assert decision.acknowledgement == {"applied": 1, "results": [LOT]}
    assert held(mes)
    assert notifier.sent == [("published", decision.id, "lot_hold")]


def test_the_mes_event_carries_the_decision_id_and_the_approver(mes: Container) -> None:
    decision = service(mes).propose(DecisionKind.LOT_HOLD, f"lot:{LOT}", hold(), title="Hold")
    events = [r.envelope for r in mes.outbox_reader.fetch_after(0, 1000) if r.envelope.type == "LotHeld"]
    assert len(events) == 1
    assert events[0].payload.get("decision_id") == decision.id


def test_a_decision_that_needs_approval_waits_and_only_the_right_role_may_approve(mes: Container) -> None:
    policy = ApprovalPolicy().with_mode(DecisionKind.LOT_HOLD, ApprovalMode.APPROVAL)
    loop = service(mes, policy=policy)
    decision = loop.propose(DecisionKind.LOT_HOLD, f"lot:{LOT}", hold(), title="Hold")
    assert decision.status is DecisionStatus.PROPOSED and decision.approval_required
    assert not held(mes)
    with pytest.raises(NotAllowedToApprove):
        loop.approve(decision.id, "olga", ["operator"])
    done = loop.approve(decision.id, "quinn", ["quality"], note="agreed")
    assert done.status is DecisionStatus.ACKNOWLEDGED and done.decided_by == "quinn"
    assert held(mes)
    with pytest.raises(DecisionNotPending):
        loop.approve(decision.id, "quinn", ["quality"])


def test_failed_data_quality_blocks_the_decision_until_someone_overrides_it(mes: Container) -> None:
    loop = service(mes, gate=FixedGate(failed=[BAD]))
    decision = loop.propose(DecisionKind.LOT_HOLD, f"lot:{LOT}", hold(), title="Hold", inputs=[GOOD, BAD])
    assert decision.status is DecisionStatus.PROPOSED
    assert not decision.dq.passed and decision.dq.failed_partitions == (str(BAD),)
    with pytest.raises(DataQualityRefused):
        loop.approve(decision.id, "quinn", ["quality"])
    done = loop.approve(decision.id, "quinn", ["quality"], override_dq=True)
    assert done.status is DecisionStatus.ACKNOWLEDGED
    assert "overridden by quinn" in done.note


def test_a_command_the_mes_refuses_marks_the_decision_failed_with_the_reason(mes: Container) -> None:
    decision = service(mes).propose(
        DecisionKind.LOT_HOLD, "lot:NOPE", hold("NOPE"), title="Hold a lot that does not exist"
    )
    assert decision.status is DecisionStatus.FAILED
    assert decision.error is not None and "NOPE" in decision.error
    assert decision.acknowledgement is not None and decision.acknowledgement["applied"] == 0


def test_a_new_version_supersedes_the_one_still_waiting(mes: Container) -> None:
    policy = ApprovalPolicy().with_mode(DecisionKind.LOT_HOLD, ApprovalMode.APPROVAL)
    loop = service(mes, policy=policy)
    first = loop.propose(DecisionKind.LOT_HOLD, f"lot:{LOT}", hold(), title="v1")
    second = loop.propose(DecisionKind.LOT_HOLD, f"lot:{LOT}", hold(), title="v2")
    assert (first.version, second.version) == (1, 2)
    assert loop.get(first.id).status is DecisionStatus.SUPERSEDED
    assert [d.id for d in loop.pending()] == [second.id]


def test_every_transition_is_audited_with_its_actor(mes: Container) -> None:
    audit = InMemoryAuditLog(mes.clock)
    policy = ApprovalPolicy().with_mode(DecisionKind.LOT_HOLD, ApprovalMode.APPROVAL)
    loop = service(mes, policy=policy, audit=audit)
    decision = loop.propose(DecisionKind.LOT_HOLD, f"lot:{LOT}", hold(), title="Hold", proposed_by="rca")
    loop.approve(decision.id, "quinn", ["quality"])
    trail = [(e.actor, e.action) for e in reversed(audit.entries(target=f"decision:{decision.id}"))]
    assert trail == [
        ("rca", "decision.propose"),
        ("quinn", "decision.approve"),
        ("quinn", "decision.publish"),
        ("mes", "decision.acknowledge"),
    ]


def test_a_rejected_decision_sends_nothing(mes: Container) -> None:
    policy = ApprovalPolicy().with_mode(DecisionKind.LOT_HOLD, ApprovalMode.APPROVAL)
    loop = service(mes, policy=policy)
    decision = loop.propose(DecisionKind.LOT_HOLD, f"lot:{LOT}", hold(), title="Hold")
    rejected = loop.reject(decision.id, "mia", ["manager"], reason="false alarm")
    assert rejected.status is DecisionStatus.REJECTED and rejected.note == "false alarm"
    assert not held(mes)
